import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  crc32Mpeg,
  packHeaderSize,
  packScr,
  parsePsm,
  pesHeaderSize,
  pesTimestamps,
  readTimestamp,
  Timeline,
  writePackHeader,
  writePesHeader,
  writePsm,
  writeTimestamp,
} from '../../../src/lib/ps/index.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

test('CRC_32 of ISO/IEC 13818-1 Annex A: check value and a real PAT', () => {
  assert.equal(crc32Mpeg(Buffer.from('123456789')), 0x0376e6e7);
  // PAT of an ffmpeg-made TS (program 1 → PMT PID 0x1000), CRC included: remainder 0
  assert.equal(crc32Mpeg(hex('00b00d0001c100000001f0002ab104b2')), 0);
});

test('PTS/DTS 33-bit fields (§2.4.3.7) round trip, including values past 2^32 and the wrap', () => {
  const b = Buffer.alloc(5);
  for (const v of [0, 1, 3600, 2 ** 30 - 1, 2 ** 32 + 12345, 2 ** 33 - 1]) {
    writeTimestamp(b, 0, 2, v);
    assert.equal(b[0] >> 4, 2);
    assert.equal(b[0] & 1, 1);
    assert.equal(readTimestamp(b, 0), v);
  }
  writeTimestamp(b, 0, 2, 2 ** 33 + 7);
  assert.equal(readTimestamp(b, 0), 7);
});

test('pack header (§2.5.3.3): SCR round trip; MPEG-1 pack; stuffing; not a pack', () => {
  const b = Buffer.alloc(14);
  writePackHeader(b, 0, 2 ** 33 - 90_000, 5000);
  assert.equal(packHeaderSize(b, 14), 14);
  assert.equal(packScr(b), 2 ** 33 - 90_000);
  assert.equal((b.readUIntBE(10, 3) >> 2) & 0x3fffff, 5000);
  const stuffed = Buffer.from(b);
  stuffed[13] = 0xfa; // 2 stuffing bytes
  assert.equal(packHeaderSize(stuffed, 14), 16);
  assert.equal(packHeaderSize(stuffed, 5), 14, 'MPEG-2 needs 14 bytes to tell the stuffing');
  // MPEG-1 pack of `ffmpeg -f mpeg`: SCR 0x... from '0010' layout
  const m1 = hex('000001ba2100010001c33367');
  assert.equal(packHeaderSize(m1, 12), 12);
  assert.equal(packScr(m1), 0);
  assert.equal(packHeaderSize(hex('000001bac0'), 5), -1);
});

test('PES header (§2.4.3.6): sizes for MPEG-2 and MPEG-1 syntax, timestamps', () => {
  const b = Buffer.alloc(19);
  assert.equal(writePesHeader(b, 0, 0xe0, 100, 2 ** 33 - 1, 2 ** 33 - 3601), 19);
  assert.equal(pesHeaderSize(b, 19), 19);
  assert.equal(b.readUInt16BE(4), 113);
  assert.deepEqual(pesTimestamps(b, 19), { pts: 2 ** 33 - 1, dts: 2 ** 33 - 3601 });
  assert.equal(writePesHeader(b, 0, 0xc0, 10, 9000), 14);
  assert.deepEqual(pesTimestamps(b, 14), { pts: 9000 });
  assert.equal(writePesHeader(b, 0, 0xe0, 10), 9);
  assert.deepEqual(pesTimestamps(b, 9), {});
  assert.equal(pesHeaderSize(b, 6), 0);
  // MPEG-1: stuffing, STD_buffer, PTS+DTS (from `ffmpeg -f mpeg`)
  const m1 = hex('000001e207df' + 'ffff' + '6000' + '3100039fd1' + '1100035f91');
  assert.equal(pesHeaderSize(m1, m1.length), 20);
  assert.equal(pesHeaderSize(m1, 9), 0, 'needs more bytes');
  assert.deepEqual(pesTimestamps(m1, 20), { pts: 53224, dts: 45000 });
  assert.equal(pesHeaderSize(hex('000001e00010' + '0f'), 7), 7, 'MPEG-1 without timestamps');
  assert.equal(pesHeaderSize(hex('000001e00010' + '55'), 7), 0, "'01': STD_buffer follows, need more");
  assert.equal(pesHeaderSize(hex('000001e00010' + '1f'), 7), -1);
});

test('PSM (§2.5.4): written with a valid CRC, parsed back; descriptors skipped; bad lengths refused', () => {
  const b = Buffer.alloc(64);
  const n = writePsm(b, 0, 3, [
    { streamType: 0x1b, streamId: 0xe0 },
    { streamType: 0x90, streamId: 0xc0 },
  ]);
  const psm = b.subarray(0, n);
  assert.equal(crc32Mpeg(psm), 0);
  assert.equal(psm[6] & 0x1f, 3);
  assert.deepEqual(parsePsm(psm), [
    { streamType: 0x1b, streamId: 0xe0 },
    { streamType: 0x90, streamId: 0xc0 },
  ]);
  // program_stream_info (3 bytes) and an ES descriptor (2 bytes) are skipped
  const withDesc = hex('000001bc0017e0ff0003aabbcc000a1be00002ddee90c00000' + '00000000');
  assert.deepEqual(parsePsm(withDesc), [
    { streamType: 0x1b, streamId: 0xe0 },
    { streamType: 0x90, streamId: 0xc0 },
  ]);
  const tooLong = Buffer.from(withDesc);
  tooLong.writeUInt16BE(0x40, 13); // elementary_stream_map_length past the end
  assert.equal(parsePsm(tooLong), undefined);
});

test('Timeline: unwraps 33-bit values, keeps audio/video relation, rebases jumps', () => {
  const t = new Timeline();
  const W = 2 ** 33;
  assert.deepEqual(t.map(W - 3600), { pts: W - 3600, dts: W - 3600, jump: false });
  assert.deepEqual(t.map(0), { pts: W, dts: W, jump: false });
  assert.equal(t.map(3600 - 1800).dts, W + 1800, 'audio slightly behind video stays behind');
  assert.deepEqual(t.map(10_800, 3600), { pts: W + 10_800, dts: W + 3600, jump: false });
  const j = t.map(900_000_000);
  assert.equal(j.jump, true);
  assert.equal(j.dts, W + 3600 + 1800);
  assert.equal(t.map(900_003_600).dts, W + 3600 + 1800 + 3600);
  assert.equal(t.jumps, 1);
});

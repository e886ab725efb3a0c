import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRtcp, parseRtp, RTP_HEADER_BYTES, writeRtp, writeRtpInto } from '../../../src/lib/rtp/index.js';
import { loadFixture } from '../../fixtures/rtp/capture.js';

test('parses a minimal header (RFC 3550 §5.1)', () => {
  const b = Buffer.from('80e01234deadbeef0102030461626364', 'hex');
  const p = parseRtp(b)!;
  assert.deepEqual({ ...p, payload: p.payload.toString() }, { marker: true, payloadType: 96, seq: 0x1234, timestamp: 0xdeadbeef, ssrc: 0x01020304, payload: 'abcd' });
  // the payload is a view, not a copy
  assert.equal(p.payload.buffer, b.buffer);
  assert.equal(p.payload.byteOffset, b.byteOffset + 12);
});

test('skips CSRCs and the header extension, strips padding', () => {
  // V=2 P=1 X=1 CC=2, PT 8, two CSRCs, extension 0xBEDE with 1 word, payload "xy", 3 padding bytes (last = 3)
  const b = Buffer.concat([
    Buffer.from('b208000100000064cafebabe', 'hex'),
    Buffer.from('1111111122222222', 'hex'),
    Buffer.from('bede0001aabbccdd', 'hex'),
    Buffer.from('7879', 'hex'),
    Buffer.from('000003', 'hex'),
  ]);
  const p = parseRtp(b)!;
  assert.equal(p.payloadType, 8);
  assert.equal(p.marker, false);
  assert.equal(p.seq, 1);
  assert.equal(p.timestamp, 100);
  assert.equal(p.ssrc, 0xcafebabe);
  assert.equal(p.payload.toString('latin1'), 'xy');
});

test('returns undefined for garbage', () => {
  const ok = Buffer.from('80600001000000000000000141', 'hex');
  assert.ok(parseRtp(ok));
  assert.equal(parseRtp(Buffer.alloc(0)), undefined);
  assert.equal(parseRtp(ok.subarray(0, 11)), undefined, 'shorter than the fixed header');
  assert.equal(parseRtp(Buffer.from('40600001000000000000000141', 'hex')), undefined, 'version 1');
  assert.equal(parseRtp(Buffer.from('83600001000000000000000141', 'hex')), undefined, 'CSRC list beyond the end');
  assert.equal(parseRtp(Buffer.from('90600001000000000000000100', 'hex')), undefined, 'extension header cut');
  assert.equal(parseRtp(Buffer.from('906000010000000000000001bede0009', 'hex')), undefined, 'extension longer than the packet');
  assert.equal(parseRtp(Buffer.from('a0600001000000000000000141', 'hex').fill(0x20, 12)), undefined, 'padding longer than the packet');
  assert.equal(parseRtp(Buffer.from('a060000100000000000000014100', 'hex')), undefined, 'padding count 0');
  assert.equal(parseRtp(Buffer.from('GET / HTTP/1.1\r\n')), undefined);
});

test('RTCP on a muxed port is not RTP (RFC 5761 §4)', () => {
  const sr = Buffer.from('80c8000600000001000000000000000000000000000000000000000000000000', 'hex');
  assert.equal(isRtcp(sr), true);
  assert.equal(parseRtp(sr), undefined);
  assert.equal(isRtcp(Buffer.from('80600001000000000000000141', 'hex')), false);
});

test('writeRtp / writeRtpInto round-trip, timestamps modulo 2^32, seq modulo 2^16', () => {
  const payload = Buffer.from('hello');
  const b = writeRtp({ marker: true, payloadType: 97, seq: 65536 + 7, timestamp: 2 ** 32 + 90000, ssrc: 0x80000001 }, payload);
  assert.equal(b.length, RTP_HEADER_BYTES + 5);
  assert.equal(b.toString('hex', 0, 12), '80e1000700015f9080000001');
  const p = parseRtp(b)!;
  assert.deepEqual([p.marker, p.payloadType, p.seq, p.timestamp, p.ssrc, p.payload.toString()], [true, 97, 7, 90000, 0x80000001, 'hello']);
  const target = Buffer.alloc(40, 0xff);
  const n = writeRtpInto(target, 3, { payloadType: 8, seq: 1, timestamp: 160, ssrc: 5 }, payload);
  assert.equal(n, 17);
  assert.equal(target[2], 0xff);
  assert.equal(target[20], 0xff);
  assert.deepEqual(parseRtp(target.subarray(3, 3 + n))!.payload, payload);
});

test('parses every packet ffmpeg sent: one SSRC, consecutive sequence numbers, one marker per frame', () => {
  const { packets } = loadFixture('h264', 'h264');
  assert.equal(packets.length, 55);
  const ps = packets.map((b) => parseRtp(b)!);
  assert.ok(ps.every(Boolean));
  assert.equal(new Set(ps.map((p) => p.ssrc)).size, 1);
  for (let i = 1; i < ps.length; i++) assert.equal(ps[i].seq, (ps[i - 1].seq + 1) & 0xffff);
  assert.equal(ps.filter((p) => p.marker).length, 50);
  assert.ok(ps.every((p) => p.payloadType === 96 && p.payload.length <= 1188));
});

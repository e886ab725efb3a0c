import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  avcDecoderConfigurationRecord,
  BitReader,
  BitstreamError,
  h264NalType,
  h264Params,
  isH264Keyframe,
  joinAnnexB,
  nalToRbsp,
  parseAvcDecoderConfigurationRecord,
  parseH264Sps,
  splitAnnexB,
} from '../../../src/lib/h264/index.js';
import { accessUnits, ffmpeg, fixture, FIXTURES, H264_FILE, hasFfmpeg } from '../ps/media-helpers.js';
import { BitWriter, rbspToNal } from './bit-writer.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

test('splitAnnexB: 3- and 4-byte start codes, leading garbage, trailing zeros, subarrays', () => {
  const buf = hex('ffee' + '00000001' + '6742' + '000001' + '68ce' + '0000' + '00000001' + '65888000' + '000001');
  const units = splitAnnexB(buf);
  assert.deepEqual(
    units.map((u) => u.toString('hex')),
    ['6742', '68ce', '658880'], // trailing zero bytes stripped (B.1: trailing_zero_8bits)
  );
  assert.equal(units[0].buffer, buf.buffer, 'no copy');
  assert.deepEqual(splitAnnexB(hex('6742abcd')), []);
  assert.deepEqual(splitAnnexB(Buffer.alloc(0)), []);
  assert.deepEqual(splitAnnexB(hex('000001')), []);
});

test('splitAnnexB on the x264 fixture: 109 NAL units of the expected types; joinAnnexB round trip', () => {
  const es = fixture(H264_FILE);
  const units = splitAnnexB(es);
  assert.equal(units.length, 109);
  const types: Record<number, number> = {};
  for (const u of units) types[h264NalType(u)] = (types[h264NalType(u)] ?? 0) + 1;
  assert.deepEqual(types, { 1: 96, 5: 4, 6: 1, 7: 4, 8: 4 });
  assert.deepEqual(units.slice(0, 4).map(h264NalType), [7, 8, 6, 5]);
  const again = splitAnnexB(joinAnnexB(units));
  assert.equal(again.length, units.length);
  for (let i = 0; i < units.length; i++) assert.ok(again[i].equals(units[i]), `unit ${i}`);
  // payload bytes are preserved exactly: units + start codes add up to the file (x264 writes 4-byte start codes
  // for parameter sets and the first slice of a picture, 3-byte ones elsewhere)
  const payload = units.reduce((n, u) => n + u.length, 0);
  assert.ok(es.length - payload >= 3 * units.length && es.length - payload <= 4 * units.length);
});

test('BitReader: u(n), ue(v), se(v), past-the-end error; nalToRbsp removes emulation prevention bytes', () => {
  const w = new BitWriter().u(3, 5).ue(0).ue(1).ue(2).ue(7).ue(254).se(1).se(-1).se(-300).u(32, 0xdeadbeef);
  const r = new BitReader(w.rbsp());
  assert.equal(r.u(3), 5);
  assert.deepEqual([r.ue(), r.ue(), r.ue(), r.ue(), r.ue()], [0, 1, 2, 7, 254]);
  assert.deepEqual([r.se(), r.se(), r.se()], [1, -1, -300]);
  assert.equal(r.u(32), 0xdeadbeef);
  assert.equal(r.u(1), 1); // stop bit
  r.skip(r.bitsLeft);
  assert.throws(() => r.u(1), BitstreamError);
  assert.equal(nalToRbsp(hex('000003010000030200')).toString('hex'), '00000100000200');
  assert.equal(nalToRbsp(hex('67000003')).toString('hex'), '670000');
  const plain = hex('6742c01e');
  const same = nalToRbsp(plain, 1);
  assert.ok(same.buffer === plain.buffer && same.byteOffset === plain.byteOffset + 1, 'no copy when nothing to remove');
});

test('parseH264Sps: the fixture SPS (High, 640x360, 25 fps from VUI timing)', () => {
  const sps = splitAnnexB(fixture(H264_FILE)).find((u) => h264NalType(u) === 7)!;
  assert.deepEqual(parseH264Sps(sps), {
    profileIdc: 100,
    constraintFlags: 0,
    levelIdc: 30,
    spsId: 0,
    chromaFormatIdc: 1,
    bitDepthLuma: 8,
    bitDepthChroma: 8,
    width: 640,
    height: 360,
    frameMbsOnly: true,
    fps: 25,
  });
});

// SPS bytes of one-frame encodes made with Debian ffmpeg 5.1 / libx264 (sizes and rates as ffprobe reports them)
const REAL_SPS: [string, string, Partial<ReturnType<typeof parseH264Sps>>][] = [
  // -s 1920x1080 -r 30000/1001 -profile:v main: 1088 coded rows cropped to 1080
  ['main 1080p 29.97', '674d4028eca03c0113f2e022000007d20001d4c01e30632c', { profileIdc: 77, constraintFlags: 0x40, levelIdc: 40, width: 1920, height: 1080, fps: 29.97 }],
  // -s 704x576 -profile:v baseline
  ['baseline 4CIF', '6742c01ed900b0126c0440000003004000000c83c58b92', { profileIdc: 66, constraintFlags: 0xc0, width: 704, height: 576, fps: 25 }],
  // -s 720x576 interlaced (+ildct+ilme): frame_mbs_only_flag 0, height in field pairs
  ['interlaced 576i', '6764001eacd940b424d8088000000300800000190f8a14cb', { frameMbsOnly: false, width: 720, height: 576, fps: 25 }],
  // -pix_fmt yuv422p 1920x1080: High 4:2:2, crop unit 1 row (SubHeightC = 1)
  ['4:2:2 1080p', '677a0028bcd940780227e27011000003000100000300320f183196', { profileIdc: 122, chromaFormatIdc: 2, width: 1920, height: 1080, fps: 25 }],
];

for (const [name, spsHex, want] of REAL_SPS) {
  test(`parseH264Sps: ${name}`, () => {
    const s = parseH264Sps(hex(spsHex));
    for (const [k, v] of Object.entries(want)) assert.equal(s[k as keyof typeof s], v, k);
  });
}

test('parseH264Sps: crafted SPS without VUI (fps 0), with scaling lists, cropping and emulation prevention', () => {
  // High profile, scaling matrix present with two explicit lists, 1280x720 (720 = 736 − 2·8 crop), no VUI
  const w = new BitWriter().u(8, 100).u(8, 0).u(8, 31).ue(0);
  w.ue(1).ue(0).ue(0).u(1, 0).u(1, 1); // 4:2:0, 8 bit, qpprime 0, seq_scaling_matrix_present_flag
  for (let i = 0; i < 8; i++) {
    if (i === 0 || i === 6) {
      w.u(1, 1);
      const n = i < 6 ? 16 : 64;
      for (let j = 0; j < n; j++) w.se(j === 0 ? 8 : 1); // deltas: 16, 17, 18 … (never 0: every delta is coded)
    } else w.u(1, 0);
  }
  w.ue(0).ue(0).ue(0); // log2_max_frame_num_minus4, poc type 0, log2_max_poc_lsb_minus4
  w.ue(1).u(1, 0).ue(79).ue(45).u(1, 1).u(1, 1); // refs, gaps, 80 MBs wide, 46 map units high, frame_mbs_only, direct8x8
  w.u(1, 1).ue(0).ue(0).ue(0).ue(8); // crop bottom 8 (·2 rows)
  w.u(1, 0); // no VUI
  const sps = Buffer.concat([hex('67'), rbspToNal(w.rbsp())]);
  const s = parseH264Sps(sps);
  assert.equal(s.width, 1280);
  assert.equal(s.height, 720);
  assert.equal(s.fps, 0);
  assert.equal(s.levelIdc, 31);
  assert.throws(() => parseH264Sps(sps.subarray(0, 8)), BitstreamError);
  assert.throws(() => parseH264Sps(hex('68ce3c80')), BitstreamError);
});

test('h264Params: VideoParams with mime avc1.64001e from the fixture parameter sets; undefined without a PPS', () => {
  const units = splitAnnexB(fixture(H264_FILE));
  const p = h264Params(units.slice(0, 4))!;
  assert.equal(p.codec, 'h264');
  assert.equal(p.width, 640);
  assert.equal(p.height, 360);
  assert.equal(p.fps, 25);
  assert.equal(p.mime, 'avc1.64001e');
  assert.equal(p.sps, units[0]);
  assert.equal(p.pps, units[1]);
  assert.equal(h264Params([units[0], units[3]]), undefined);
  assert.equal(h264Params([hex('6700'), units[1]]), undefined, 'broken SPS');
});

test('isH264Keyframe: IDR access units at 0, 25, 50, 75 of the fixture', () => {
  const aus = accessUnits(fixture(H264_FILE), 'h264');
  assert.equal(aus.length, 100);
  const keys = aus.flatMap((au, i) => (isH264Keyframe(au) ? [i] : []));
  assert.deepEqual(keys, [0, 25, 50, 75]);
});

test('avcDecoderConfigurationRecord: fields per ISO/IEC 14496-15 §5.3.3.1.2 and parse round trip', () => {
  const units = splitAnnexB(fixture(H264_FILE));
  const rec = avcDecoderConfigurationRecord(units[0], units[1]);
  assert.deepEqual([...rec.subarray(0, 6)], [1, 100, 0, 30, 0xff, 0xe1]);
  assert.equal(rec.readUInt16BE(6), units[0].length);
  // High profile: chroma_format, bit depths and numOfSequenceParameterSetExt follow the PPS
  assert.deepEqual([...rec.subarray(rec.length - 4)], [0xfd, 0xf8, 0xf8, 0]);
  const back = parseAvcDecoderConfigurationRecord(rec);
  assert.equal(back.lengthSize, 4);
  assert.ok(back.sps[0].equals(units[0]) && back.pps[0].equals(units[1]));
  // baseline: no extension bytes
  const base = avcDecoderConfigurationRecord(hex('6742c01ed900b0126c0440000003004000000c83c58b92'), hex('68ce3c80'));
  assert.equal(base.length, 6 + 2 + 23 + 1 + 2 + 4);
  assert.throws(() => parseAvcDecoderConfigurationRecord(rec.subarray(0, 10)), BitstreamError);
});

test('avcDecoderConfigurationRecord equals the avcC ffmpeg writes into MP4', { skip: !hasFfmpeg && 'ffmpeg not installed' }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'avcc-'));
  try {
    const mp4 = path.join(dir, 'a.mp4');
    ffmpeg(['-i', path.join(FIXTURES, H264_FILE), '-c', 'copy', mp4]);
    const file = readFileSync(mp4);
    const at = file.indexOf('avcC');
    const box = file.subarray(at + 4, at - 4 + file.readUInt32BE(at - 4));
    const units = splitAnnexB(fixture(H264_FILE));
    assert.equal(avcDecoderConfigurationRecord(units[0], units[1]).toString('hex'), box.toString('hex'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

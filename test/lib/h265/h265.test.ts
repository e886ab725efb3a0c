import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { BitstreamError, splitAnnexB } from '../../../src/lib/h264/index.js';
import {
  h265Mime,
  h265NalType,
  h265Params,
  hevcDecoderConfigurationRecord,
  isH265Keyframe,
  parseH265Sps,
  parseHevcDecoderConfigurationRecord,
} from '../../../src/lib/h265/index.js';
import { BitWriter, rbspToNal } from '../h264/bit-writer.js';
import { accessUnits, ffmpeg, fixture, FIXTURES, H265_FILE, hasFfmpeg } from '../ps/media-helpers.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

test('h265NalType on the x265 fixture: VPS/SPS/PPS/prefix SEI before each IRAP (IDR_N_LP, then CRA)', () => {
  const units = splitAnnexB(fixture(H265_FILE));
  assert.equal(units.length, 116);
  const types: Record<number, number> = {};
  for (const u of units) types[h265NalType(u)] = (types[h265NalType(u)] ?? 0) + 1;
  assert.deepEqual(types, { 1: 96, 20: 1, 21: 3, 32: 4, 33: 4, 34: 4, 39: 4 });
  assert.deepEqual(units.slice(0, 5).map(h265NalType), [32, 33, 34, 39, 20]);
  assert.equal(h265NalType(hex('40')), -1);
});

test('parseH265Sps: the fixture SPS (Main, 640x360, level 2.1·3 = 63, 25 fps from VUI)', () => {
  const sps = splitAnnexB(fixture(H265_FILE)).find((u) => h265NalType(u) === 33)!;
  const s = parseH265Sps(sps);
  assert.deepEqual(
    { ...s, constraintFlags: s.constraintFlags.toString('hex') },
    {
      profileSpace: 0,
      tierFlag: false,
      profileIdc: 1,
      compatibilityFlags: 0x60000000,
      constraintFlags: '900000000000',
      levelIdc: 63,
      maxSubLayers: 1,
      temporalIdNesting: true,
      spsId: 0,
      chromaFormatIdc: 1,
      bitDepthLuma: 8,
      bitDepthChroma: 8,
      width: 640,
      height: 360,
      fps: 25,
    },
  );
});

// SPS bytes of one-frame libx265 encodes (Debian ffmpeg 5.1); sizes and rates as ffprobe reports them
const REAL: [string, string, Record<string, unknown>, string][] = [
  // 1920x1080 at 50 fps: 1088 coded rows, conformance window bottom 4 (·2)
  ['Main 1080p50', '42010101600000030090000003000003007ba003c08010e596566924caf0168080000003008000001904', { width: 1920, height: 1080, fps: 50, levelIdc: 123 }, 'hvc1.1.6.L123.90'],
  // -pix_fmt yuv420p10le 1280x720
  ['Main 10 720p25', '42010102200000030090000003000003005da00280802d1365959a4932bc05a02000000300200000030321', { profileIdc: 2, bitDepthLuma: 10, bitDepthChroma: 10, width: 1280, height: 720, fps: 25 }, 'hvc1.2.4.L93.90'],
  // -pix_fmt yuv422p 1920x1080: RExt, conformance window in 1-row units (SubHeightC = 1)
  ['RExt 4:2:2 1080p25', '4201010408000003009d08000003000078b003c08010e596566924caf0168080000003008000000c84', { profileIdc: 4, chromaFormatIdc: 2, width: 1920, height: 1080, fps: 25 }, 'hvc1.4.10.L120.9D.08'],
];

for (const [name, spsHex, want, mime] of REAL) {
  test(`parseH265Sps / h265Mime: ${name}`, () => {
    const s = parseH265Sps(hex(spsHex));
    for (const [k, v] of Object.entries(want)) assert.equal(s[k as keyof typeof s], v, k);
    assert.equal(h265Mime(s), mime);
  });
}

test('parseH265Sps: crafted SPS with scaling lists, PCM, inter-predicted RPS, long-term refs and a full VUI', () => {
  const w = new BitWriter().u(4, 0).u(3, 0).u(1, 1);
  w.u(2, 0).u(1, 1).u(5, 1).u(32, 0x60000000).u(16, 0xb000).u(32, 0).u(8, 153); // high tier, level 5.1
  w.ue(0).ue(1).ue(1920).ue(1088).u(1, 1).ue(0).ue(0).ue(0).ue(4); // 4:2:0, window bottom 4·2
  w.ue(0).ue(0).ue(4).u(1, 1).ue(4).ue(0).ue(0); // bit depths, log2_max_poc_lsb 8, ordering info
  w.ue(0).ue(3).ue(0).ue(3).ue(1).ue(1);
  w.u(1, 1).u(1, 1); // scaling_list_enabled_flag, sps_scaling_list_data_present_flag
  for (let sizeId = 0; sizeId < 4; sizeId++) {
    for (let m = 0; m < 6; m += sizeId === 3 ? 3 : 1) {
      if (m % 2 === 0) w.u(1, 0).ue(m > 0 ? 1 : 0);
      else {
        w.u(1, 1);
        if (sizeId > 1) w.se(8);
        for (let i = 0; i < Math.min(64, 1 << (4 + (sizeId << 1))); i++) w.se(i % 3 - 1);
      }
    }
  }
  w.u(1, 1).u(1, 1).u(1, 1).u(4, 7).u(4, 7).ue(0).ue(1).u(1, 0); // amp, sao, pcm
  w.ue(3);
  w.ue(2).ue(1).ue(0).u(1, 1).ue(1).u(1, 1).ue(0).u(1, 1); // RPS 0: 2 negative, 1 positive → 3 deltas
  w.u(1, 1).u(1, 0).ue(0).u(1, 1).u(1, 0).u(1, 1).u(1, 0).u(1, 0).u(1, 1); // RPS 1 from 0: 4 flags → 3 used
  w.u(1, 1).u(1, 1).ue(1).u(1, 1).u(1, 1).u(1, 0).u(1, 0).u(1, 1); // RPS 2 from 1: 4 flags → 3 used
  w.u(1, 1).ue(2).u(8, 17).u(1, 1).u(8, 99).u(1, 0); // long-term refs
  w.u(1, 1).u(1, 1).u(1, 1); // temporal mvp, strong intra smoothing, vui
  w.u(1, 1).u(8, 255).u(16, 4).u(16, 3).u(1, 1).u(1, 0).u(1, 1).u(3, 5).u(1, 0).u(1, 1).u(8, 1).u(8, 1).u(8, 1);
  w.u(1, 1).ue(0).ue(0).u(1, 0).u(1, 0).u(1, 0).u(1, 1).ue(0).ue(0).ue(0).ue(0);
  w.u(1, 1).u(32, 1001).u(32, 60000).u(1, 0).u(1, 0); // timing 60000/1001
  const sps = Buffer.concat([hex('4201'), rbspToNal(w.rbsp())]);
  const s = parseH265Sps(sps);
  assert.equal(s.width, 1920);
  assert.equal(s.height, 1080);
  assert.equal(s.fps, 59.94);
  assert.equal(s.tierFlag, true);
  assert.equal(h265Mime(s), 'hvc1.1.6.H153.B0');
  assert.throws(() => parseH265Sps(sps.subarray(0, 10)), BitstreamError);
  assert.throws(() => parseH265Sps(hex('4401c172b46240')), BitstreamError);
  // a damaged tail keeps size and profile, fps unknown
  const cut = parseH265Sps(sps.subarray(0, 30));
  assert.equal(cut.width, 1920);
  assert.equal(cut.fps, 0);
});

test('h265Mime: profile space letter, reversed compatibility flags, trailing zero constraint bytes dropped', () => {
  const ptl = { profileSpace: 1, tierFlag: false, profileIdc: 1, compatibilityFlags: 0x60000000, levelIdc: 90 };
  assert.equal(h265Mime({ ...ptl, constraintFlags: hex('b00000000000') }), 'hvc1.A1.6.L90.B0');
  assert.equal(h265Mime({ ...ptl, profileSpace: 0, constraintFlags: hex('000000000000') }), 'hvc1.1.6.L90.00');
  assert.equal(h265Mime({ ...ptl, profileSpace: 0, profileIdc: 2, compatibilityFlags: 0x20000000, constraintFlags: hex('b00000000001') }), 'hvc1.2.4.L90.B0.00.00.00.00.01');
});

test('h265Params: needs VPS, SPS and PPS; mime hvc1.1.6.L63.90', () => {
  const units = splitAnnexB(fixture(H265_FILE));
  const p = h265Params(units.slice(0, 5))!;
  assert.equal(p.codec, 'h265');
  assert.deepEqual([p.width, p.height, p.fps, p.mime], [640, 360, 25, 'hvc1.1.6.L63.90']);
  assert.ok(p.vps === units[0] && p.sps === units[1] && p.pps === units[2]);
  assert.equal(h265Params(units.slice(1, 5)), undefined);
});

test('isH265Keyframe: IRAP access units (IDR_N_LP at 0, CRA at 25, 50, 75)', () => {
  const aus = accessUnits(fixture(H265_FILE), 'h265');
  assert.equal(aus.length, 100);
  assert.deepEqual(
    aus.flatMap((au, i) => (isH265Keyframe(au) ? [i] : [])),
    [0, 25, 50, 75],
  );
});

test('hevcDecoderConfigurationRecord: layout per ISO/IEC 14496-15 §8.3.3.1.2 and parse round trip', () => {
  const [vps, sps, pps] = splitAnnexB(fixture(H265_FILE));
  const rec = hevcDecoderConfigurationRecord(vps, sps, pps);
  assert.equal(rec.subarray(0, 23).toString('hex'), '0101600000009000000000003ff000fcfdf8f800000f03');
  const back = parseHevcDecoderConfigurationRecord(rec);
  assert.equal(back.lengthSize, 4);
  assert.ok(back.vps[0].equals(vps) && back.sps[0].equals(sps) && back.pps[0].equals(pps));
  assert.throws(() => parseHevcDecoderConfigurationRecord(rec.subarray(0, 40)), BitstreamError);
});

test('hevcDecoderConfigurationRecord equals the hvcC ffmpeg writes into MP4', { skip: !hasFfmpeg && 'ffmpeg not installed' }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hvcc-'));
  try {
    const mp4 = path.join(dir, 'a.mp4');
    ffmpeg(['-i', path.join(FIXTURES, H265_FILE), '-c', 'copy', '-tag:v', 'hvc1', mp4]);
    const file = readFileSync(mp4);
    const at = file.indexOf('hvcC');
    const box = file.subarray(at + 4, at - 4 + file.readUInt32BE(at - 4));
    const [vps, sps, pps] = splitAnnexB(fixture(H265_FILE));
    assert.equal(hevcDecoderConfigurationRecord(vps, sps, pps).toString('hex'), box.toString('hex'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

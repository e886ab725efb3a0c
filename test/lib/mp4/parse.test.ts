import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AudioFrame, Frame, TrackParams, VideoFrame } from '../../../src/lib/av/frame.js';
import { box, fields, fullBox } from '../../../src/lib/fmp4/box.js';
import { initSegment, mediaSegment, sampleUnits } from '../../../src/lib/fmp4/index.js';
import {
  isSyncFlags,
  iterateBoxes,
  Mp4Error,
  parseInit,
  parseMoof,
  readBoxHeader,
  sampleToFrame,
  splitLengthPrefixed,
  type Mp4Track,
} from '../../../src/lib/mp4/index.js';
import { aacClip, BASE, interleave, videoClip } from '../../fixtures/mux/media.js';

test('box headers: 32-bit size, 64-bit largesize, size 0 runs to the container end, uuid usertype', () => {
  const small = readBoxHeader(fields([32, 24], 'free', Buffer.alloc(16)), 0, 24)!;
  assert.deepEqual([small.type, small.headerSize, small.size, small.end], ['free', 8, 24, 24]);
  const large = fields([32, 1], 'mdat', [64, 2 ** 33 + 16]);
  const lh = readBoxHeader(large, 0, Infinity, 1000)!;
  assert.deepEqual([lh.type, lh.headerSize, lh.size, lh.start, lh.end], ['mdat', 16, 2 ** 33 + 16, 1000, 1000 + 2 ** 33 + 16]);
  const toEnd = readBoxHeader(fields([32, 0], 'mdat'), 0, 5000, 100)!;
  assert.equal(toEnd.size, 4900);
  const uuid = readBoxHeader(fields([32, 40], 'uuid', Buffer.alloc(32)), 0, 40)!;
  assert.equal(uuid.headerSize, 24);
  assert.equal(readBoxHeader(Buffer.from([0, 0, 0, 1, 0x6d, 0x64, 0x61, 0x74]), 0, 100), undefined, 'largesize not yet available');
  assert.throws(() => readBoxHeader(fields([32, 4], 'free'), 0, 8), Mp4Error);
  const two = Buffer.concat([box('free', Buffer.alloc(3)), box('skip')]);
  assert.deepEqual(
    [...iterateBoxes(two)].map((b) => [b.type, b.start, b.body.length]),
    [
      ['free', 0, 3],
      ['skip', 11, 0],
    ],
  );
  assert.throws(() => [...iterateBoxes(two.subarray(0, 12))], Mp4Error);
});

test('parseInit reads back what initSegment writes: ids, kinds, timescales, codecs, sample entries, sizes', () => {
  const v = videoClip('h264');
  const a = aacClip();
  const init = parseInit(initSegment({ video: v.params, audio: a.params }));
  assert.equal(init.fragmented, true);
  const [vt, at] = init.tracks;
  assert.deepEqual([vt.id, vt.kind, vt.timescale, vt.codec, vt.width, vt.height], [1, 'video', 90000, 'h264', 640, 360]);
  assert.equal(vt.sampleEntry.toString('latin1', 4, 8), 'avc1');
  assert.equal(vt.sampleEntry.readUInt32BE(0), vt.sampleEntry.length, 'the whole entry box');
  assert.ok(vt.entries[0].avc!.sps[0].equals(v.params.sps!));
  assert.equal(vt.entries[0].avc!.lengthSize, 4);
  assert.deepEqual([at.id, at.kind, at.timescale, at.codec], [2, 'audio', 44100, 'aac']);
  assert.deepEqual(at.entries[0].audio, { sampleRate: 44100, channels: 1, config: a.params.config });
  assert.deepEqual(vt.defaults, { sampleDescriptionIndex: 1, sampleDuration: 0, sampleSize: 0, sampleFlags: 0 });

  const h = videoClip('h265');
  const [ht] = parseInit(initSegment({ video: h.params })).tracks;
  assert.deepEqual([ht.codec, ht.sampleEntry.toString('latin1', 4, 8), ht.width], ['h265', 'hvc1', 640]);
  assert.ok(ht.entries[0].hevc!.vps[0].equals(h.params.vps!));
  assert.throws(() => parseInit(box('free')), Mp4Error);
});

function lengthPrefixed(units: Buffer[]): Buffer {
  return Buffer.concat(units.flatMap((u) => [fields([32, u.length]), u]));
}

test('parseMoof reads back mediaSegment: counts, sizes, dts from tfdt + durations, composition offsets, keys, file offsets', () => {
  const v = videoClip('h264', { bframes: 2 });
  const a = aacClip();
  const params: TrackParams = { video: v.params, audio: a.params };
  const vf = v.frames.slice(25, 50);
  const af = a.frames.filter((f) => f.dts >= vf[0].dts && f.dts < v.frames[50].dts);
  const origin = v.frames[0].dts;
  const seg = mediaSegment(interleave<Frame>(vf, af), 9, params, { origin, nextVideoDts: v.frames[50].dts });
  const init = parseInit(initSegment(params));
  const fileOffset = 123_456;
  const file = Buffer.concat([Buffer.alloc(fileOffset), seg]);
  const { sequence, samples } = parseMoof(seg, fileOffset, init.tracks);
  assert.equal(sequence, 9);
  const video = samples.filter((s) => s.trackId === 1);
  const audio = samples.filter((s) => s.trackId === 2);
  assert.equal(video.length, vf.length);
  assert.equal(audio.length, af.length);
  assert.ok(vf.some((f) => f.pts !== f.dts), 'the clip has B-frames');
  vf.forEach((f, i) => {
    const s = video[i];
    const units = sampleUnits('h264', f.units);
    assert.equal(s.dts, f.dts - origin, `dts ${i}`);
    assert.equal(s.cto, f.pts - f.dts, `cto ${i}`);
    assert.equal(s.key, f.key, `key ${i}`);
    assert.equal(s.entry, 1);
    assert.ok(file.subarray(s.fileOffset, s.fileOffset + s.size).equals(lengthPrefixed(units)), `bytes of sample ${i}`);
  });
  assert.equal(video[video.length - 1].dts + video[video.length - 1].duration, v.frames[50].dts - origin);
  af.forEach((f, i) => {
    const s = audio[i];
    assert.equal(s.dts, Math.round(((f.dts - origin) * 44100) / 90000), `audio dts ${i}`);
    assert.equal(s.duration, 1024);
    assert.ok(s.key);
    assert.ok(file.subarray(s.fileOffset, s.fileOffset + s.size).equals(f.units[0]));
  });
  assert.equal(audio[0].fileOffset, video[video.length - 1].fileOffset + video[video.length - 1].size, 'audio run follows the video run');
});

test('sampleToFrame: key frames get avcC / hvcC parameter sets in front, others are the sample units; AAC keeps its config', () => {
  for (const codec of ['h264', 'h265'] as const) {
    const v = videoClip(codec);
    const params: TrackParams = { video: v.params };
    const [track] = parseInit(initSegment(params)).tracks;
    const seg = mediaSegment(v.frames.slice(0, 25), 1, params, { origin: v.frames[0].dts, nextVideoDts: v.frames[25].dts });
    const { samples } = parseMoof(seg, 0, [track]);
    samples.forEach((s, i) => {
      const f = sampleToFrame(track, { dts: 1000 + s.dts, cto: s.cto, key: s.key }, seg.subarray(s.fileOffset, s.fileOffset + s.size)) as VideoFrame;
      const src = v.frames[i];
      assert.equal(f.codec, codec);
      assert.equal(f.dts, 1000 + src.dts - v.frames[0].dts);
      assert.equal(f.key, src.key);
      const sets = codec === 'h264' ? [v.params.sps!, v.params.pps!] : [v.params.vps!, v.params.sps!, v.params.pps!];
      const want = [...(src.key ? sets : []), ...sampleUnits(codec, src.units)];
      assert.equal(f.units.length, want.length, `units of frame ${i}`);
      f.units.forEach((u, k) => assert.ok(u.equals(want[k]), `unit ${k} of frame ${i}`));
    });
  }
  const a = aacClip();
  const [at] = parseInit(initSegment({ audio: a.params })).tracks;
  const f = sampleToFrame(at, { dts: 5, cto: 0, key: true }, a.frames[3].units[0]) as AudioFrame;
  assert.deepEqual([f.track, f.codec, f.dts, f.pts, f.key], ['audio', 'aac', 5, 5, true]);
  assert.ok(f.units[0].equals(a.frames[3].units[0]));
  assert.deepEqual(f.params, { codec: 'aac', sampleRate: 44100, channels: 1, config: a.params.config });
  assert.throws(() => splitLengthPrefixed(Buffer.from([0, 0, 0, 9, 1, 2]), 4), Mp4Error);
});

/** A moof built by hand with the optional fields our muxer never writes. */
test('parseMoof honours tfhd / trex defaults, base_data_offset, sample_description_index, chained truns and trafs, missing tfdt', () => {
  const track = (id: number, defaults: Mp4Track['defaults']): Mp4Track => ({
    id,
    kind: 'video',
    timescale: 1000,
    codec: 'unknown',
    sampleEntry: Buffer.alloc(0),
    sampleEntries: [],
    entries: [],
    width: 0,
    height: 0,
    defaults,
  });
  // trex of track 2 gives duration 40, size 7, flags non-sync
  const tracks = [track(1, { sampleDescriptionIndex: 1, sampleDuration: 0, sampleSize: 0, sampleFlags: 0 }), track(2, { sampleDescriptionIndex: 3, sampleDuration: 40, sampleSize: 7, sampleFlags: 0x00010000 })];
  const SYNC = 0x02000000;
  const NON_SYNC = 0x01010000;
  // traf 1: tfhd with base_data_offset (0x1) + sample_description_index (0x2) + default duration (0x8) + size (0x10) + flags (0x20)
  const tfhd1 = fullBox('tfhd', 0, 0x3b, fields([32, 1], [64, 5000], [32, 2], [32, 33], [32, 100], [32, NON_SYNC]));
  const tfdt1 = fullBox('tfdt', 0, 0, fields([32, 7000])); // version 0: 32-bit
  // run 1: data_offset (0x1) + first_sample_flags (0x4), 3 samples all from defaults
  const trunA = fullBox('trun', 0, 0x005, fields([32, 3], [32, 10], [32, SYNC]));
  // run 2: no data_offset (follows run 1), per-sample size (0x200) and unsigned cto v0 (0x800)
  const trunB = fullBox('trun', 0, 0xa00, fields([32, 2], [32, 50], [32, 4000], [32, 60], [32, 0]));
  const traf1 = box('traf', tfhd1, tfdt1, trunA, trunB);
  // traf 2: no base flags and not default-base-is-moof → base is the end of traf 1's data; no tfdt → from nextDts;
  // trun v1 with per-sample duration (0x100) and signed cto (0x800), size/flags from trex
  const tfhd2 = fullBox('tfhd', 0, 0, fields([32, 2]));
  const trunC = fullBox('trun', 1, 0x901, fields([32, 2], [32, 4], [32, 20], [32, -10 >>> 0], [32, 30], [32, 5]));
  const traf2 = box('traf', tfhd2, trunC);
  // traf 3: an undeclared track, skipped
  const traf3 = box('traf', fullBox('tfhd', 0, 0x020000, fields([32, 9])), fullBox('trun', 0, 0x200, fields([32, 1], [32, 5])));
  const moof = box('moof', fullBox('mfhd', 0, 0, fields([32, 42])), traf1, traf2, traf3);
  const nextDts = new Map([[2, 900]]);
  const { sequence, samples } = parseMoof(Buffer.concat([moof, Buffer.alloc(64)]), 777, tracks, nextDts);
  assert.equal(sequence, 42);
  const pick = (s: (typeof samples)[number]) => [s.trackId, s.dts, s.cto, s.duration, s.size, s.fileOffset, s.key, s.entry];
  assert.deepEqual(samples.map(pick), [
    // run 1 at base 5000 + 10; durations and sizes from tfhd defaults; first sample flags sync, the rest non-sync
    [1, 7000, 0, 33, 100, 5010, true, 2],
    [1, 7033, 0, 33, 100, 5110, false, 2],
    [1, 7066, 0, 33, 100, 5210, false, 2],
    // run 2 right after run 1's data
    [1, 7099, 4000, 33, 50, 5310, false, 2],
    [1, 7132, 0, 33, 60, 5360, false, 2],
    // traf 2: base = end of traf 1 data (5420) + data_offset 4; sizes/flags/entry from trex; dts from nextDts
    [2, 900, -10, 20, 7, 5424, false, 3],
    [2, 920, 5, 30, 7, 5431, false, 3],
  ]);
  assert.equal(nextDts.get(1), 7165);
  assert.equal(nextDts.get(2), 950);
  assert.equal(isSyncFlags(0), true);
  assert.equal(isSyncFlags(0x01010000), false);
  assert.equal(isSyncFlags(0x02010000), true, 'sample_depends_on 2');
  assert.throws(() => parseMoof(box('moof', box('traf', fullBox('tfhd', 0, 0, fields([32, 1])), fullBox('trun', 0, 0x300, fields([32, 1000])))), 0, tracks), Mp4Error);
  assert.throws(() => parseMoof(box('mdat'), 0, tracks), Mp4Error);
});

test('frames round-trip through fMP4 bytes at the BASE clock', () => {
  const v = videoClip('h264');
  const params: TrackParams = { video: v.params };
  const [track] = parseInit(initSegment(params)).tracks;
  const seg = mediaSegment(v.frames.slice(0, 10), 1, params, { origin: BASE });
  const { samples } = parseMoof(seg, 0, [track]);
  assert.equal(samples[0].dts, v.frames[0].dts - BASE);
  assert.equal(samples.length, 10);
});

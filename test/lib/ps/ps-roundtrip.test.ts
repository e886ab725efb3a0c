import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AudioFrame, Frame, TrackParams, VideoFrame } from '../../../src/lib/av/frame.js';
import { audioSpecificConfig, splitAdts } from '../../../src/lib/aac/index.js';
import { muxPs, PsDemuxer, PsMuxer } from '../../../src/lib/ps/index.js';
import { chunks, fixture, H264_FILE, H265_FILE, sameUnits, summary, videoFrames, walkPs } from './media-helpers.js';

const P264: TrackParams = { video: { codec: 'h264', width: 640, height: 360, fps: 25 } };
const P265: TrackParams = { video: { codec: 'h265', width: 640, height: 360, fps: 25 } };

function demux(pieces: Buffer[], markers?: Set<number>): { frames: Frame[]; errors: string[]; d: PsDemuxer } {
  const frames: Frame[] = [];
  const errors: string[] = [];
  const d = new PsDemuxer({ onFrame: (f) => frames.push(f), onError: (c, m) => errors.push(`${c}: ${m}`) });
  pieces.forEach((p, i) => d.push(p, markers?.has(i)));
  d.flush();
  return { frames, errors, d };
}

for (const [name, file, params] of [
  ['H.264', H264_FILE, P264],
  ['H.265', H265_FILE, P265],
] as const) {
  const codec = params.video!.codec as 'h264' | 'h265';
  test(`${name}: muxPs → random 1..1400-byte chunks → PsDemuxer gives the same 100 frames`, () => {
    const src = videoFrames(fixture(file), codec);
    assert.equal(src.length, 100);
    const ps = Buffer.concat(src.map((f) => muxPs(f, params)));
    for (const seed of [1, 2, 3]) {
      const { frames, errors, d } = demux(chunks(ps, 1, 1400, seed));
      assert.deepEqual(errors, []);
      assert.equal(frames.length, 100);
      assert.ok(sameUnits(frames, src), 'NAL units identical');
      assert.deepEqual(summary(frames), summary(src));
      const v = frames as VideoFrame[];
      assert.deepEqual(
        v.flatMap((f, i) => (f.key ? [i] : [])),
        [0, 25, 50, 75],
      );
      for (let i = 1; i < v.length; i++) assert.equal(v[i].pts - v[i - 1].pts, 3600);
      assert.equal(v[0].pts, 90_000);
      assert.deepEqual(
        { packs: d.stats.packs, pes: d.stats.pes, psm: d.stats.psm, video: d.stats.videoFrames, dropped: d.stats.dropped },
        { packs: 100, pes: 100, psm: 4, video: 100, dropped: 0 },
      );
    }
  });

  test(`${name}: one byte at a time (first 30 frames) and PES split at 256 bytes`, () => {
    const src = videoFrames(fixture(file), codec).slice(0, 30);
    const ps = Buffer.concat(src.map((f) => muxPs(f, params)));
    const bytes = [...ps].map((b) => Buffer.from([b]));
    const one = demux(bytes);
    assert.deepEqual(one.errors, []);
    assert.deepEqual(summary(one.frames), summary(src));
    const small = Buffer.concat(src.map((f) => muxPs(f, params, { maxPesLength: 256 })));
    const pesCount = walkPs(small).filter(([id]) => id === 0xe0).length;
    assert.ok(pesCount > 90, `${pesCount} PES`);
    for (const [id, s, e] of walkPs(small)) if (id === 0xe0) assert.ok(e - s - 6 <= 256);
    const split = demux(chunks(small, 1, 1400));
    assert.deepEqual(split.errors, []);
    assert.ok(sameUnits(split.frames, src));
    assert.equal(split.d.stats.pes, pesCount);
  });
}

test('RTP marker (endOfFrame) emits each frame as soon as its last packet is pushed', () => {
  const src = videoFrames(fixture(H264_FILE), 'h264');
  const frames: Frame[] = [];
  const d = new PsDemuxer({ onFrame: (f) => frames.push(f) });
  src.forEach((f, i) => {
    const pieces = chunks(muxPs(f, P264), 200, 1400, i + 1);
    pieces.forEach((p, k) => d.push(p, k === pieces.length - 1));
    assert.equal(frames.length, i + 1, `frame ${i} out at its marker`);
  });
  assert.ok(sameUnits(frames, src));
  // without markers, a frame waits for the next one
  const late: Frame[] = [];
  const d2 = new PsDemuxer({ onFrame: (f) => late.push(f) });
  d2.push(muxPs(src[0], P264));
  assert.equal(late.length, 0);
  d2.push(muxPs(src[1], P264));
  assert.equal(late.length, 1);
  // a marker in the middle of a PES is not believed
  const ps = muxPs(src[2], P264);
  d2.push(ps.subarray(0, 500), true);
  assert.equal(late.length, 2, 'frame 1 out (PES boundary at the start of the packet was already passed)');
  d2.push(ps.subarray(500), true);
  assert.equal(late.length, 3);
  assert.ok(late[2].units[0].equals(src[2].units[0]) && late[2].units.length === src[2].units.length);
});

function g711Frames(): AudioFrame[] {
  const alaw = fixture('g711a-8000-mono.alaw');
  const out: AudioFrame[] = [];
  for (let i = 0; (i + 1) * 320 <= alaw.length; i++) {
    const pts = 90_000 + i * 3600; // 40 ms of 8 kHz A-law per frame
    out.push({ track: 'audio', codec: 'g711a', pts, dts: pts, key: true, units: [alaw.subarray(i * 320, (i + 1) * 320)] });
  }
  return out;
}

function aacFrames(perFrame: number): AudioFrame[] {
  const a = splitAdts(fixture('aac-44100-stereo.aac'))!;
  const out: AudioFrame[] = [];
  for (let i = 0; i < a.frames.length; i += perFrame) {
    const pts = 90_000 + Math.round((i * 1024 * 90_000) / 44100);
    out.push({ track: 'audio', codec: 'aac', pts, dts: pts, key: true, units: a.frames.slice(i, i + perFrame) });
  }
  return out;
}

const byDts = (a: Frame, b: Frame): number => a.dts - b.dts || (a.track === 'video' ? -1 : 1);

test('H.264 + G.711A interleaved: every audio and video frame comes back, audio params 8000/1', () => {
  const v = videoFrames(fixture(H264_FILE), 'h264').slice(0, 50);
  const a = g711Frames();
  assert.equal(a.length, 50);
  const params: TrackParams = { ...P264, audio: { codec: 'g711a', sampleRate: 8000, channels: 1 } };
  const mux = new PsMuxer(params);
  const ps = Buffer.concat([...v, ...a].sort(byDts).map((f) => mux.mux(f)));
  const { frames, errors } = demux(chunks(ps, 1, 1400, 7));
  assert.deepEqual(errors, []);
  const gotV = frames.filter((f) => f.track === 'video');
  const gotA = frames.filter((f) => f.track === 'audio') as AudioFrame[];
  assert.deepEqual(summary(gotV), summary(v));
  assert.deepEqual(summary(gotA), summary(a));
  assert.ok(sameUnits(gotA, a));
  assert.deepEqual(gotA[0].params, { codec: 'g711a', sampleRate: 8000, channels: 1 });
});

test('H.265 + AAC (3 raw frames per AudioFrame): raw AAC frames back, params with AudioSpecificConfig', () => {
  const v = videoFrames(fixture(H265_FILE), 'h265').slice(0, 50);
  const a = aacFrames(3);
  assert.equal(a.length, 30);
  const params: TrackParams = { ...P265, audio: { codec: 'aac', sampleRate: 44100, channels: 2, config: audioSpecificConfig(2, 44100, 2) } };
  const ps = Buffer.concat([...v, ...a].sort(byDts).map((f) => muxPs(f, params)));
  const { frames, errors } = demux(chunks(ps, 1, 1400, 9));
  assert.deepEqual(errors, []);
  const gotA = frames.filter((f) => f.track === 'audio') as AudioFrame[];
  assert.deepEqual(summary(gotA), summary(a));
  assert.ok(sameUnits(gotA, a));
  assert.equal(gotA.reduce((n, f) => n + f.units.length, 0), 88);
  assert.equal(gotA[0].params?.config?.toString('hex'), '1210');
  assert.deepEqual(summary(frames.filter((f) => f.track === 'video')), summary(v));
});

test('B-frame timing: DTS is written when it differs from PTS and comes back', () => {
  const src = videoFrames(fixture(H264_FILE), 'h264').slice(0, 10).map((f, i) => ({ ...f, pts: f.dts + (i % 3) * 3600 }));
  const ps = Buffer.concat(src.map((f) => muxPs(f, P264)));
  const { frames } = demux(chunks(ps, 100, 1400));
  assert.deepEqual(
    frames.map((f) => [f.pts - f.dts, f.dts]),
    src.map((f) => [f.pts - f.dts, f.dts]),
  );
});

test('PsMuxer: system header + PSM on the first frame and on keyframes, PSM version bumps on new params', () => {
  const src = videoFrames(fixture(H264_FILE), 'h264').slice(0, 30);
  const mux = new PsMuxer(P264);
  const ids = src.map((f) => walkPs(mux.mux(f)).map(([id]) => id));
  assert.deepEqual(ids[0], [0xba, 0xbb, 0xbc, 0xe0]);
  assert.deepEqual(ids[1], [0xba, 0xe0]);
  assert.deepEqual(ids[25], [0xba, 0xbb, 0xbc, 0xe0]);
  mux.setParams(P265);
  const next = mux.mux(src[1]);
  const psm = walkPs(next).find(([id]) => id === 0xbc)!;
  assert.equal(next[psm[1] + 6] & 0x1f, 1, 'program_stream_map_version 1');
  assert.equal(next[psm[1] + 12], 0x24, 'stream_type H.265');
});

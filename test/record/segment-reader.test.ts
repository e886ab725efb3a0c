import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Frame, TrackParams, VideoFrame } from '../../src/lib/av/frame.js';
import { sampleUnits } from '../../src/lib/fmp4/index.js';
import { scanSegment, SegmentFrames } from '../../src/media/record/segment-reader.js';
import type { SegmentFile, TimedFrame } from '../../src/media/record/types.js';
import { aacClip, tempDir, videoClip } from '../fixtures/mux/media.js';
import { slice, writeSegment } from './segment-files.js';

const dir = tempDir('segment-reader-test');
const T0 = 1_700_000_000_000;
// 8 s of 25 fps H.264 (a keyframe every second) + AAC; fragments at keyframes and every 400 ms, so most fragments
// start with a non-key frame
const v = videoClip('h264', { seconds: 8 });
const a = aacClip(8);
const params: TrackParams = { video: v.params, audio: a.params };
const segA = writeSegment(dir, 'a.mp4', params, slice(v.frames, a.frames, 0, 100), T0, { fragmentMs: 400 });
// 3 s gap after A's 4 s
const segB = writeSegment(dir, 'b.mp4', params, slice(v.frames, a.frames, 100, 200), T0 + 7000, { fragmentMs: 400 });

async function collect(it: AsyncIterableIterator<TimedFrame>, max = Infinity): Promise<TimedFrame[]> {
  const out: TimedFrame[] = [];
  for await (const f of it) {
    out.push(f);
    if (out.length >= max) break;
  }
  return out;
}

const videoOf = (fs: TimedFrame[]): TimedFrame[] => fs.filter((f) => f.frame.track === 'video');

test('scanSegment: tracks, every fragment and sample, complete file', async () => {
  const scan = await scanSegment(segA.path);
  assert.deepEqual(
    scan.tracks.map((t) => [t.id, t.kind, t.codec, t.timescale]),
    [
      [1, 'video', 'h264', 90000],
      [2, 'audio', 'aac', 44100],
    ],
  );
  assert.equal(scan.fragments.length, segA.made.fragments.length);
  assert.ok(scan.fragments.length >= 8, 'keyframe and 400 ms cuts');
  assert.equal(scan.fragments.some((f) => !f.samples.find((s) => s.trackId === 1)!.key), true, 'some fragments start without a keyframe');
  const samples = scan.fragments.flatMap((f) => f.samples);
  const inFile = segA.made.fragments.flat();
  assert.equal(samples.filter((s) => s.trackId === 1).length, 100);
  assert.equal(samples.filter((s) => s.trackId === 2).length, inFile.filter((f) => f.track === 'audio').length);
  assert.deepEqual(
    scan.fragments.map((f) => f.moofOffset),
    segA.made.fragmentOffsets,
  );
  assert.equal(scan.truncated, false);
  assert.equal(scan.validBytes, segA.size);
  assert.equal(scan.durationMs, 4000);
  assert.equal(scan.codec, 'h264');
});

test('from(t) mid-segment starts at the last keyframe ≤ t (within one GOP), carries SPS/PPS there, and crosses the gap', async () => {
  const frames = new SegmentFrames([segB, segA]);
  assert.deepEqual(frames.span, { startMs: T0, endMs: segB.endMs });
  const t = T0 + 2500;
  const got = await collect(frames.from(t));
  const first = got[0];
  assert.equal(first.frame.track, 'video');
  assert.equal(first.frame.key, true);
  assert.ok(first.atMs <= t && t - first.atMs < 1000, `starts at ${first.atMs - T0}`);
  assert.equal(first.atMs, T0 + 2000);
  const units = first.frame.units;
  assert.deepEqual([units[0][0] & 0x1f, units[1][0] & 0x1f], [7, 8], 'SPS, PPS in front of the IDR');
  const video = videoOf(got);
  assert.equal(video.length, 50 + 100);
  // bytes: the same NAL units as the frames muxed (parameter sets aside)
  const src = [...v.frames.slice(50, 100), ...v.frames.slice(100, 200)];
  video.forEach((f, i) => {
    const want = sampleUnits('h264', src[i].units);
    const have = sampleUnits('h264', f.frame.units);
    assert.equal(have.length, want.length, `frame ${i}`);
    have.forEach((u, k) => assert.ok(u.equals(want[k]), `frame ${i} unit ${k}`));
    assert.equal(f.frame.key, src[i].key);
  });
  // the gap: A's last frame at 3.96 s, B's first at 7 s; frame clocks keep growing
  const lastA = video[49];
  const firstB = video[50];
  assert.equal(lastA.atMs, T0 + 3960);
  assert.equal(firstB.atMs, T0 + 7000);
  for (let i = 1; i < got.length; i++) assert.ok(got[i].atMs >= got[i - 1].atMs, `atMs ordered at ${i}`);
  for (let i = 1; i < video.length; i++) assert.ok(video[i].frame.dts > video[i - 1].frame.dts, `video dts grows at ${i}`);
  assert.equal(firstB.frame.dts - lastA.frame.dts, (7000 - 3960) * 90);
  // audio comes along, none before the start keyframe
  const audio = got.filter((f) => f.frame.track === 'audio');
  assert.ok(audio.length > 100);
  assert.ok(audio.every((f) => f.atMs >= first.atMs));
  assert.equal((audio[0].frame as Frame & { params?: { sampleRate: number } }).params?.sampleRate, 44100);
});

test('from(t) in a gap starts at the next keyframe; before everything at the first; past the end yields nothing', async () => {
  const frames = new SegmentFrames([segA, segB]);
  const [g] = await collect(frames.from(T0 + 5000), 1);
  assert.deepEqual([g.atMs, g.frame.key], [T0 + 7000, true]);
  const [s] = await collect(frames.from(T0 - 60_000), 1);
  assert.deepEqual([s.atMs, s.frame.key], [T0, true]);
  const [k] = await collect(frames.from(T0 + 1000), 1);
  assert.equal(k.atMs, T0 + 1000, 'exactly on a keyframe');
  assert.equal((await collect(frames.from(segB.endMs + 1))).length, 0);
});

test('a torn last fragment: scanSegment says truncated and where the good bytes end; frames up to the last whole fragment play', async () => {
  const bytes = readFileSync(segA.path);
  const offs = segA.made.fragmentOffsets;
  const lastFrag = offs[offs.length - 1];
  const cases: [string, Buffer][] = [
    ['cut in the last mdat', bytes.subarray(0, bytes.length - 100)],
    ['cut in the last moof header', bytes.subarray(0, lastFrag + 5)],
    ['cut in the last moof', bytes.subarray(0, lastFrag + 40)],
  ];
  for (const [name, b] of cases) {
    const file = path.join(dir, `torn-${cases.findIndex((c) => c[0] === name)}.mp4`);
    writeFileSync(file, b);
    const scan = await scanSegment(file);
    assert.equal(scan.truncated, true, name);
    assert.equal(scan.fragments.length, offs.length - 1, name);
    assert.equal(scan.validBytes, lastFrag, name);
    const seg: SegmentFile = { ...segA, id: 900 + cases.findIndex((c) => c[0] === name), path: file, size: b.length };
    const video = videoOf(await collect(new SegmentFrames([seg]).from(T0)));
    const expected = segA.made.fragments.slice(0, -1).flat().filter((f) => f.track === 'video').length;
    assert.equal(video.length, expected, name);
  }
  // garbage after the last whole fragment (e.g. a torn write of zeros): every fragment kept, the tail flagged
  const junk = path.join(dir, 'junk-tail.mp4');
  writeFileSync(junk, bytes);
  appendFileSync(junk, Buffer.alloc(300));
  const scan = await scanSegment(junk);
  assert.deepEqual([scan.truncated, scan.fragments.length, scan.validBytes], [true, offs.length, bytes.length]);
});

test('missing and corrupt segments are skipped with onBadSegment; iteration goes on and never throws', async () => {
  const missing: SegmentFile = { ...segA, id: 1001, path: path.join(dir, 'no-such.mp4') };
  const garbage = path.join(dir, 'garbage.mp4');
  writeFileSync(garbage, Buffer.from('this is not an mp4 file at all, just text'.repeat(20)));
  const corrupt: SegmentFile = { ...segA, id: 1002, startMs: T0 + 4000, endMs: T0 + 6000, path: garbage };
  const bad: [SegmentFile, Error][] = [];
  const frames = new SegmentFrames([missing, corrupt, segB], { onBadSegment: (s, e) => bad.push([s, e]) });
  const got = await collect(frames.from(T0));
  assert.deepEqual(
    bad.map(([s]) => s.id),
    [1001, 1002],
  );
  assert.match(bad[0][1].message, /ENOENT/);
  const video = videoOf(got);
  assert.equal(video.length, 100, 'all of B');
  assert.equal(video[0].atMs, T0 + 7000);
  assert.ok((video[0].frame as VideoFrame).key);
  await assert.rejects(scanSegment(missing.path), /ENOENT/);
  await assert.rejects(scanSegment(garbage), /moov/);
});

test('stopping early closes cleanly and a later from() reuses the scan', async () => {
  const frames = new SegmentFrames([segA, segB]);
  const few = await collect(frames.from(T0 + 3500), 5);
  assert.equal(few.length, 5);
  const again = await collect(frames.from(T0 + 7500), 1);
  assert.equal(again[0].atMs, T0 + 7000);
});

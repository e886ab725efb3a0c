import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { Frame } from '../../src/lib/av/frame.js';
import { createLogger } from '../../src/core/logger.js';
import { Recorder, type RecorderErrorEvent, type SegmentEvent } from '../../src/media/record/recorder.js';
import { segmentPath } from '../../src/media/record/segment-path.js';
import { Stream } from '../../src/stream/index.js';
import { tempDir, videoClip } from '../fixtures/mux/media.js';
import { HAVE_FFMPEG } from '../helpers/media-tools.js';

// The recorder as a hub reader, driven by a fake wall clock and real x264 frames (GOP 25 at 25 fps): segment cuts,
// gaps, alarm pre-record, and a disk that fills up (a 1 MiB tmpfs).

const log = createLogger('silent');
const dir = tempDir('recorder-test');

function ffprobeDuration(file: string): number {
  return Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]).toString().trim());
}

/** Feeds `seconds` of the clip (looped) into the stream, one frame per 40 ms of fake wall time. */
function feed(stream: Stream, clock: { t: number }, frames: Frame[], seconds: number, from = 0): number {
  const n = seconds * 25;
  const span = frames.length * 3600;
  for (let i = from; i < from + n; i++) {
    const f = frames[i % frames.length];
    const loop = Math.floor(i / frames.length) * span;
    stream.push({ ...f, dts: f.dts + loop, pts: f.pts + loop } as Frame);
    clock.t += 40;
  }
  return from + n;
}

function recorderFor(root: string, clock: { t: number }, extra: Partial<ConstructorParameters<typeof Recorder>[0]> = {}) {
  const events: SegmentEvent[] = [];
  const errors: RecorderErrorEvent[] = [];
  const r = new Recorder({
    channelId: '34020000001320000001',
    pathFor: async (ch, start) => segmentPath(root, ch, start),
    segmentMs: 4000,
    now: () => clock.t,
    log,
    ...extra,
  });
  r.on('segment', (e) => events.push(e));
  r.on('error', (e) => errors.push(e));
  return { r, events, errors };
}

const settle = () => new Promise((r) => setTimeout(r, 50));

test('segments are cut at the first keyframe after the target length; each is a valid MP4 whose checksum matches', { skip: !HAVE_FFMPEG && 'ffmpeg missing' }, async () => {
  const clip = videoClip('h264', { seconds: 4 });
  const clock = { t: 1_700_000_000_000 };
  const s = new Stream({ key: 'live/x/main', channelId: '34020000001320000001', kind: 'live', variant: 'main' }, () => clock.t);
  const root = path.join(dir, 'cut');
  const { r, events } = recorderFor(root, clock);
  s.attach(r, { protocol: 'record' });
  let i = 0;
  for (let k = 0; k < 10; k++) {
    i = feed(s, clock, clip.frames, 1, i);
    await settle(); // file opens are async
  }
  await r.stop();
  await settle();
  const closes = events.filter((e) => e.phase === 'close');
  assert.ok(closes.length >= 2, `closed segments: ${closes.length}`);
  for (const c of closes) {
    const bytes = readFileSync(c.path);
    assert.equal(bytes.length, c.size);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), c.checksum);
    const d = ffprobeDuration(c.path);
    assert.ok(Math.abs(d - (c.endMs - c.startMs) / 1000) < 0.1, `file ${d} s vs index ${(c.endMs - c.startMs) / 1000} s`);
  }
  // full segments are 4 s (cut at a keyframe: GOP 1 s); they follow each other without holes
  assert.ok(Math.abs(closes[0].endMs - closes[0].startMs - 4000) <= 40, `first segment ${closes[0].endMs - closes[0].startMs} ms`);
  for (let k = 1; k < closes.length; k++) assert.ok(Math.abs(closes[k].startMs - closes[k - 1].endMs) <= 80, 'no hole between consecutive segments');
  // the open segment was reported (searchable) before it closed
  assert.equal(events[0].phase, 'open');
});

test('a gap in the stream closes the segment; the next keyframe starts a new one', { skip: !HAVE_FFMPEG && 'ffmpeg missing' }, async () => {
  const clip = videoClip('h264', { seconds: 4 });
  const clock = { t: 1_700_000_100_000 };
  const s = new Stream({ key: 'live/y/main', channelId: '34020000001320000001', kind: 'live', variant: 'main' }, () => clock.t);
  const { r, events } = recorderFor(path.join(dir, 'gap'), clock, { segmentMs: 60_000 });
  s.attach(r, { protocol: 'record' });
  let i = feed(s, clock, clip.frames, 1);
  await settle();
  i = feed(s, clock, clip.frames, 1, i);
  clock.t += 20_000; // the camera stops sending for 20 s
  i = feed(s, clock, clip.frames, 2, i);
  await settle();
  await r.stop();
  await settle();
  const closes = events.filter((e) => e.phase === 'close');
  assert.equal(closes.length, 2);
  assert.ok(closes[1].startMs - closes[0].endMs >= 19_000, `gap ${closes[1].startMs - closes[0].endMs} ms is a hole in the index`);
});

test('alarm recording writes the pre-record seconds held before the trigger and stops after the post time', { skip: !HAVE_FFMPEG && 'ffmpeg missing' }, async () => {
  const clip = videoClip('h264', { seconds: 4 });
  const clock = { t: 1_700_000_200_000 };
  const s = new Stream({ key: 'live/z/main', channelId: '34020000001320000001', kind: 'live', variant: 'main' }, () => clock.t);
  const { r, events } = recorderFor(path.join(dir, 'alarm'), clock, { segmentMs: 60_000, writing: false, preBufferMs: 2000 });
  s.attach(r, { protocol: 'record' });
  let i = feed(s, clock, clip.frames, 6);
  await settle();
  assert.equal(events.length, 0, 'nothing written before the alarm');
  const alarmAt = clock.t;
  r.trigger(alarmAt + 3000);
  i = feed(s, clock, clip.frames, 2, i);
  await settle();
  i = feed(s, clock, clip.frames, 3, i); // post time runs out in here
  await settle();
  feed(s, clock, clip.frames, 2, i);
  await settle();
  await r.stop();
  await settle();
  const closes = events.filter((e) => e.phase === 'close');
  assert.equal(closes.length, 1, JSON.stringify(events.map((e) => e.phase)));
  const c = closes[0];
  assert.ok(alarmAt - c.startMs >= 2000 && alarmAt - c.startMs <= 3100, `pre-record ${alarmAt - c.startMs} ms`);
  assert.ok(c.endMs - alarmAt >= 2900 && c.endMs - alarmAt <= 4100, `post-record ${c.endMs - alarmAt} ms`);
});

const canMount = process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0;
const mnt = path.join(tmpdir(), `sharpeye-full-${process.pid}`);
after(() => {
  spawnSync('umount', [mnt]);
  rmSync(mnt, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

test('a disk that fills up stops recording cleanly with STORAGE_FULL; what was written stays a valid MP4', { skip: (!HAVE_FFMPEG && 'ffmpeg missing') || (!canMount && 'needs root to mount a 1 MiB tmpfs') }, async (t) => {
  mkdirSync(mnt, { recursive: true });
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
  if (m.status !== 0) return t.skip(`mount refused: ${m.stderr}`);
  const clip = videoClip('h264', { seconds: 4 });
  const clock = { t: 1_700_000_300_000 };
  const s = new Stream({ key: 'live/f/main', channelId: '34020000001320000001', kind: 'live', variant: 'main' }, () => clock.t);
  const { r, events, errors } = recorderFor(mnt, clock, { segmentMs: 600_000 });
  const other: Frame[] = [];
  s.attach(r, { protocol: 'record' });
  s.attach({ start() {}, write: (f) => other.push(f), backlog: () => 0, close() {} }, { protocol: 'internal' });
  let i = 0;
  for (let k = 0; k < 40 && !errors.length; k++) {
    i = feed(s, clock, clip.frames, 1, i);
    await new Promise((res) => setTimeout(res, 30));
  }
  await settle();
  assert.equal(errors.length, 1, 'one error, not one per frame');
  assert.equal(errors[0].code, 'STORAGE_FULL');
  const close = events.find((e) => e.phase === 'close');
  assert.ok(close, 'the segment was closed');
  assert.equal(statSync(close.path).size, close.size, 'a torn fragment is cut off');
  assert.ok(ffprobeDuration(close.path) > 0.5, 'what fitted plays');
  // the stream and its other readers carry on
  const before = other.length;
  feed(s, clock, clip.frames, 1, i);
  assert.equal(other.length - before, 25);
});

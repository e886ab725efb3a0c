import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import { AppError } from '../../src/core/errors.js';
import type { AudioFrame, Frame, TrackParams, VideoFrame } from '../../src/lib/av/frame.js';
import { splitAnnexB } from '../../src/lib/h264/index.js';
import { Pacer } from '../../src/media/record/playback/pacer.js';
import { PlaybackSession, type PlaybackSessionOptions } from '../../src/media/record/playback/playback-session.js';
import type { RecordedFrames, TimedFrame } from '../../src/media/record/types.js';
import { Stream, type ReaderCloseReason, type StreamSink } from '../../src/stream/index.js';

// Real parameter sets from the fixture encode (640x360 High), so the hub's ParamsTracker parses them and turns live.
const units = splitAnnexB(readFileSync(new URL('../fixtures/media/h264-640x360-25fps-gop25.h264', import.meta.url)));
const SPS = units.find((u) => (u[0] & 0x1f) === 7)!;
const PPS = units.find((u) => (u[0] & 0x1f) === 8)!;

const T0 = Date.UTC(2024, 0, 15, 8, 0, 0);
const FRAME_MS = 40; // 25 fps
const GOP = 25; // a keyframe every second

/** tiny fake slice carrying the frame index, so a viewer's frame can be traced back to its recording time */
function slice(i: number, key: boolean): Buffer {
  const b = Buffer.alloc(6);
  b[0] = key ? 0x65 : 0x41;
  b.writeUInt32BE(i, 1);
  return b;
}
const indexOf = (f: Frame) => f.units[f.units.length - 1].readUInt32BE(1);
const atOf = (f: Frame) => T0 + indexOf(f) * FRAME_MS;

/** In-memory recordings: `seconds` of 25 fps video (GOP 25) from T0, optionally G.711 audio every 40 ms. */
class MemoryRecording implements RecordedFrames {
  readonly list: TimedFrame[] = [];
  opened = 0;
  closed = 0;
  constructor(
    seconds: number,
    private readonly opts: { audio?: boolean; throwAfter?: number; gap?: { fromIndex: number; ms: number } } = {},
  ) {
    const n = seconds * 25;
    for (let i = 0; i < n; i++) {
      const key = i % GOP === 0;
      const dts = 900_000 + i * 3600;
      const shift = opts.gap && i >= opts.gap.fromIndex ? opts.gap.ms : 0; // a hole between two segments
      const v: VideoFrame = { track: 'video', codec: 'h264', dts, pts: dts, key, units: key ? [SPS, PPS, slice(i, true)] : [slice(i, false)] };
      this.list.push({ frame: v, atMs: T0 + i * FRAME_MS + shift });
      if (opts.audio) {
        const a: AudioFrame = { track: 'audio', codec: 'g711a', dts: dts + 1800, pts: dts + 1800, key: true, units: [slice(i, false)] };
        this.list.push({ frame: a, atMs: T0 + i * FRAME_MS + shift + 20 });
      }
    }
  }
  get span() {
    return this.list.length ? { startMs: this.list[0].atMs, endMs: this.list[this.list.length - 1].atMs + FRAME_MS } : { startMs: T0, endMs: T0 - 1 };
  }
  from(atMs: number): AsyncIterableIterator<TimedFrame> {
    const list = this.list;
    let start = -1;
    for (let i = 0; i < list.length; i++) {
      const f = list[i];
      if (f.frame.track !== 'video' || !f.frame.key) continue;
      if (f.atMs <= atMs || start < 0) start = i;
      if (f.atMs > atMs) break;
    }
    this.opened++;
    const self = this;
    const throwAfter = this.opts.throwAfter;
    return (async function* () {
      try {
        let n = 0;
        for (let i = Math.max(0, start); start >= 0 && i < list.length; i++) {
          if (throwAfter !== undefined && n++ >= throwAfter) throw new Error('segment file truncated');
          if (i % 50 === 0) await new Promise((r) => setImmediate(r)); // like file reads
          yield list[i];
        }
      } finally {
        self.closed++;
      }
    })();
  }
}

interface Seen {
  wall: number;
  frame: Frame;
}

/** What a viewer receives. */
class TestSink implements StreamSink {
  starts: TrackParams[] = [];
  seen: Seen[] = [];
  start(p: TrackParams) {
    this.starts.push(p);
  }
  write(frame: Frame) {
    this.seen.push({ wall: performance.now(), frame });
  }
  backlog() {
    return 0;
  }
  close(_r: ReaderCloseReason) {}
  get video(): Seen[] {
    return this.seen.filter((s) => s.frame.track === 'video');
  }
  get lastVideo(): Seen | undefined {
    const v = this.video;
    return v[v.length - 1];
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function setup(rec: RecordedFrames, opts: Partial<PlaybackSessionOptions> = {}, attach = true) {
  const stream = new Stream({ key: 'playback/34020000001320000001/s1', channelId: '34020000001320000001', kind: 'playback', variant: 's1' });
  const sink = new TestSink();
  if (attach) stream.attach(sink, { protocol: 'flv' });
  const session = new PlaybackSession({ frames: rec, stream, startMs: T0, endMs: T0 + 3_600_000, ...opts });
  const errors: Error[] = [];
  session.on('error', (e) => errors.push(e));
  return { stream, sink, session, errors };
}

function assertMonotonic(seen: Seen[], what = 'video dts'): void {
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i].frame.dts > seen[i - 1].frame.dts, `${what} grows at ${i}: ${seen[i - 1].frame.dts} → ${seen[i].frame.dts}`);
}

/** content (recording ms) and output (ms) progress per wall ms between two observations */
async function measure(t: TestContext, sink: TestSink, settleMs: number, windowMs: number) {
  await sleep(settleMs);
  const a = sink.lastVideo!;
  const w1 = performance.now();
  await sleep(windowMs);
  const b = sink.lastVideo!;
  const wall = performance.now() - w1;
  const content = (atOf(b.frame) - atOf(a.frame)) / wall;
  const output = (b.frame.dts - a.frame.dts) / 90 / wall;
  t.diagnostic(`wall ${wall.toFixed(0)} ms: content ×${content.toFixed(3)}, output dts ×${output.toFixed(3)}`);
  return { content, output };
}

test('pacer: output at wall pace, content at speed, re-anchoring keeps the last instant in place', () => {
  const p = new Pacer(4);
  p.setClock(1000, 0);
  p.anchor(T0, 0);
  assert.equal(p.outOf(T0 + 4000), 90_000, '4 s of recording in 1 s of output at 4×');
  assert.equal(p.wallAt(90_000), 2000);
  p.setSpeed(0.5, T0 + 4000, 90_000);
  assert.equal(p.outOf(T0 + 4500), 180_000, '0.5 s of recording in 1 s at 1/2×');
  p.setClock(5000, 180_000);
  assert.equal(p.outAtWall(5500), 225_000);
});

test('4×: viewers get ≈4 s of recording per wall second while output dts advances at wall pace', async (t) => {
  const rec = new MemoryRecording(300);
  const { sink, session, errors } = setup(rec, { speed: 4 });
  const positions: number[] = [];
  session.on('position', (s) => positions.push(s.positionMs));
  const w0 = performance.now();
  session.start();
  const { content, output } = await measure(t, sink, 400, 1500);
  session.stop();
  const perSecond = positions.length / ((performance.now() - w0) / 1000);
  t.diagnostic(`${positions.length} position events, ${perSecond.toFixed(1)}/s`);
  assert.ok(perSecond >= 2 && perSecond <= 5, 'a few position events per second');
  assert.ok(positions.every((p, i) => i === 0 || p >= positions[i - 1]), 'positions grow');
  assert.ok(content >= 3.5 && content <= 4.5, `content ratio ${content}`);
  assert.ok(output >= 0.85 && output <= 1.15, `output ratio ${output}`);
  const v = sink.video;
  assertMonotonic(v);
  assert.equal(v[1].frame.dts - v[0].frame.dts, 900, 'a 40 ms frame interval is 10 ms of output at 4×');
  assert.ok(v.some((s) => !s.frame.key), '4× still sends every frame');
  assert.deepEqual(errors, []);
});

test('1/2×: recording advances at half the wall pace, output at wall pace', async (t) => {
  const rec = new MemoryRecording(60);
  const { sink, session } = setup(rec, { speed: 0.5 });
  session.start();
  const { content, output } = await measure(t, sink, 400, 1500);
  session.stop();
  assert.ok(content >= 0.4 && content <= 0.6, `content ratio ${content}`);
  assert.ok(output >= 0.85 && output <= 1.15, `output ratio ${output}`);
  const v = sink.video;
  assertMonotonic(v);
  assert.equal(v[1].frame.dts - v[0].frame.dts, 7200, 'a 40 ms frame interval is 80 ms of output at 1/2×');
});

test('16×: keyframes only, one per second of recording, 62.5 ms of output apart', async (t) => {
  const rec = new MemoryRecording(300);
  const { sink, session } = setup(rec, { speed: 16 });
  session.start();
  const { content, output } = await measure(t, sink, 300, 1000);
  session.pause();
  const v = sink.video;
  // a step forward shows the frame after the shown keyframe, decoding it from that keyframe (the frames between were dropped)
  const key = v[v.length - 1].frame;
  const st = await session.step('forward');
  session.stop();
  const stepped = sink.video.slice(v.length);
  assert.deepEqual(stepped.map((s) => indexOf(s.frame)), [indexOf(key), indexOf(key) + 1]);
  assert.equal(st.positionMs, atOf(key) + FRAME_MS);
  t.diagnostic(`${v.length} video frames, all key: ${v.every((s) => s.frame.key)}`);
  assert.ok(v.length >= 15, `frames: ${v.length}`);
  assert.ok(v.every((s) => s.frame.key), 'keyframes only');
  assertMonotonic(v);
  for (let i = 1; i < v.length; i++) {
    assert.equal(atOf(v[i].frame) - atOf(v[i - 1].frame), 1000, 'consecutive keyframes');
    assert.ok(Math.abs(v[i].frame.dts - v[i - 1].frame.dts - 5625) <= 1, 'a second of recording is 62.5 ms of output');
  }
  assert.ok(content >= 12 && content <= 20, `content ratio ${content}`);
  assert.ok(output >= 0.75 && output <= 1.25, `output ratio ${output}`);
});

test('pause stops frames; resume continues from the next frame with dts one interval later', async (t) => {
  const rec = new MemoryRecording(60);
  const { sink, session } = setup(rec);
  session.start();
  await sleep(400);
  session.pause();
  const before = sink.video.length;
  const last = sink.lastVideo!.frame;
  await sleep(500);
  assert.equal(sink.video.length, before, 'nothing while paused');
  assert.equal(session.state().paused, true);
  assert.equal(session.state().positionMs, atOf(last));
  session.resume();
  await sleep(400);
  session.stop();
  const after = sink.video.slice(before);
  t.diagnostic(`paused after ${before} frames; ${after.length} frames in 400 ms after resume; dts step at resume ${after[0].frame.dts - last.dts}`);
  assert.ok(after.length >= 10 && after.length <= 22, `frames after resume: ${after.length}`);
  assert.equal(indexOf(after[0].frame), indexOf(last) + 1, 'continues with the next frame');
  assert.equal(after[0].frame.dts - last.dts, 3600, 'no jump back, no jump forward by the paused time');
  assertMonotonic(sink.video);
});

test('seek lands on the keyframe at or before the target; output dts continues smoothly', async (t) => {
  const rec = new MemoryRecording(300);
  const { sink, session } = setup(rec);
  session.start();
  await sleep(300);
  const target = T0 + 120_500; // mid-GOP: the keyframe is at +120 s
  session.seek(target);
  const before = sink.video.length;
  const lastBefore = sink.lastVideo!.frame;
  await sleep(400);
  session.stop();
  const after = sink.video.slice(before);
  const first = after[0].frame;
  t.diagnostic(`first frame after seek: key=${first.key} at +${atOf(first) - T0} ms, dts step ${first.dts - lastBefore.dts}`);
  assert.equal(first.key, true);
  assert.ok(atOf(first) <= target && target - atOf(first) < GOP * FRAME_MS, 'within one GOP before the target');
  assert.equal(atOf(first), T0 + 120_000);
  assert.equal(first.dts - lastBefore.dts, 3600, '+1 frame interval');
  assertMonotonic(sink.video);
  for (let i = 1; i < after.length; i++) assert.equal(indexOf(after[i].frame), indexOf(after[i - 1].frame) + 1, 'plays on from there');
  assert.ok(session.state().positionMs >= T0 + 120_000);
});

test('step forward pushes exactly the next frame; step backward shows the previous one (also across a GOP boundary)', async (t) => {
  const rec = new MemoryRecording(60);
  const { sink, session } = setup(rec);
  session.start();
  await sleep(300);
  session.pause();
  await sleep(50);
  const n0 = sink.video.length;
  const cur = sink.lastVideo!.frame;

  let st = await session.step('forward');
  const fwd = sink.video.slice(n0);
  assert.equal(fwd.length, 1, 'exactly one video frame');
  assert.equal(indexOf(fwd[0].frame), indexOf(cur) + 1);
  assert.equal(st.positionMs, atOf(cur) + FRAME_MS);
  assert.equal(st.paused, true);

  const n1 = sink.video.length;
  st = await session.step('backward');
  const back = sink.video.slice(n1);
  const shown = back[back.length - 1].frame;
  t.diagnostic(`step back pushed ${back.length} frames (GOP from +${atOf(back[0].frame) - T0} ms), dts steps ${back.length > 1 ? back[1].frame.dts - back[0].frame.dts : '-'}`);
  assert.equal(atOf(shown), atOf(cur), 'the previous frame is the shown one');
  assert.equal(st.positionMs, atOf(cur));
  assert.equal(back[0].frame.key, true, 'decoded from its keyframe');
  for (let i = 1; i < back.length; i++) assert.equal(back[i].frame.dts - back[i - 1].frame.dts, 90, 'packed 1 ms apart');

  // seek while paused shows the picture at a keyframe; one step back then reaches into the previous GOP
  session.seek(T0 + 10_000);
  await sleep(50);
  assert.equal(atOf(sink.lastVideo!.frame), T0 + 10_000);
  assert.equal(session.state().paused, true);
  const n2 = sink.video.length;
  st = await session.step('backward');
  const back2 = sink.video.slice(n2);
  assert.equal(atOf(back2[0].frame), T0 + 9_000, 'from the previous GOP keyframe');
  assert.equal(atOf(back2[back2.length - 1].frame), T0 + 10_000 - FRAME_MS);
  assert.equal(st.positionMs, T0 + 10_000 - FRAME_MS);

  // and playing on continues right after the shown frame
  const n3 = sink.video.length;
  session.resume();
  await sleep(150);
  session.stop();
  assert.equal(atOf(sink.video[n3].frame), T0 + 10_000);
  assertMonotonic(sink.video);
});

test('waitForReader: the clock starts when the first viewer attaches, who misses nothing', async () => {
  const rec = new MemoryRecording(60);
  const { stream, sink, session } = setup(rec, {}, false);
  session.start();
  await sleep(400);
  assert.equal(stream.stats().frames, 0, 'nothing pushed before a reader');
  stream.attach(sink, { protocol: 'ws-flv' });
  await sleep(200);
  session.stop();
  const v = sink.video;
  assert.equal(atOf(v[0].frame), T0, 'starts at the range start');
  assert.equal(v[0].frame.key, true);
  const progressed = atOf(v[v.length - 1].frame) - T0;
  assert.ok(progressed <= 200 + 300 + 120, `content shown after 200 ms is 200 ms + lead, not 600 ms + lead: ${progressed}`);
});

test('stop() cancels the timer and closes the recording iterator', async () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const base = timers();
  const rec = new MemoryRecording(60);
  const { sink, session } = setup(rec, { speed: 0.125 });
  session.start();
  await sleep(200);
  assert.ok(timers() > base, 'the scheduling timer runs');
  session.stop();
  const n = sink.seen.length;
  await sleep(20);
  assert.equal(timers(), base, 'no timer left');
  assert.equal(rec.closed, rec.opened, 'iterator closed');
  await sleep(100);
  assert.equal(sink.seen.length, n, 'nothing after stop');
});

test('a throwing iterator emits error and ended, never an unhandled rejection; no error listener is fine too', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const { sink, session, errors } = setup(new MemoryRecording(60, { throwAfter: 10 }));
    const ended: string[] = [];
    session.on('ended', (r) => ended.push(r));
    session.start();
    await sleep(600);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].message, 'segment file truncated');
    assert.deepEqual(ended, ['error']);
    assert.equal(session.state().ended, true);
    assert.equal(sink.video.length, 10);
    session.stop();

    const stream = new Stream({ key: 'playback/x/s2', channelId: 'x', kind: 'playback', variant: 's2' });
    const bare = new PlaybackSession({ frames: new MemoryRecording(10, { throwAfter: 0 }), stream, startMs: T0, endMs: T0 + 10_000, waitForReader: false });
    bare.start();
    await sleep(50);
    assert.equal(bare.state().ended, true);
    bare.stop();
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('odd input: bad range and speed rejected, empty recordings end at once, seeks outside the span are clamped', async () => {
  const rec = new MemoryRecording(20);
  const stream = new Stream({ key: 'playback/x/s3', channelId: 'x', kind: 'playback', variant: 's3' });
  assert.throws(
    () => new PlaybackSession({ frames: rec, stream, startMs: T0 + 10, endMs: T0 }),
    (e: unknown) => e instanceof AppError && e.code === 'VALIDATION_FAILED',
  );
  assert.throws(
    () => new PlaybackSession({ frames: rec, stream, startMs: T0, endMs: T0 + 1, speed: 3 }),
    (e: unknown) => e instanceof AppError && e.code === 'VALIDATION_FAILED',
  );

  const empty = setup(new MemoryRecording(0));
  const ended: string[] = [];
  empty.session.on('ended', (r) => ended.push(r));
  empty.session.start();
  await sleep(30);
  assert.deepEqual(ended, ['exhausted']);
  empty.session.stop();

  const { sink, session } = setup(rec, { speed: 4 });
  assert.throws(() => session.setSpeed(3), (e: unknown) => e instanceof AppError && e.code === 'VALIDATION_FAILED');
  const endedReasons: string[] = [];
  session.on('ended', (r) => endedReasons.push(r));
  session.start();
  await sleep(100);
  session.seek(T0 - 86_400_000); // before the recordings: their start
  await sleep(100);
  const n = sink.video.length;
  session.seek(T0 + 86_400_000); // after: the last keyframe, then the end
  await sleep(250);
  const after = sink.video.slice(n);
  assert.equal(atOf(after[0].frame), T0 + 19_000, 'last keyframe of the recordings');
  assert.equal(atOf(after[after.length - 1].frame), T0 + 20_000 - FRAME_MS);
  assert.deepEqual(endedReasons, ['exhausted']);
  assert.equal(session.state().ended, true);
  session.seek(T0 - 5); // a seek after the end plays again
  await sleep(100);
  assert.equal(session.state().ended, false);
  session.stop();
  assertMonotonic(sink.video);
});

test('audio only at 1×; a speed change keeps output dts continuous', async (t) => {
  const rec = new MemoryRecording(60, { audio: true });
  const { stream, session } = setup(rec);
  const out: Seen[] = [];
  stream.on('frame', (frame) => out.push({ wall: performance.now(), frame }));
  session.start();
  await sleep(400);
  const n = out.length;
  assert.ok(out.some((s) => s.frame.track === 'audio'), 'audio at 1×');
  session.setSpeed(2);
  await sleep(400);
  session.stop();
  const after = out.slice(n);
  const video = out.filter((s) => s.frame.track === 'video');
  t.diagnostic(`${n} frames at 1× (audio ${out.slice(0, n).filter((s) => s.frame.track === 'audio').length}), ${after.length} at 2×`);
  assert.ok(after.length > 0);
  assert.ok(after.every((s) => s.frame.track === 'video'), 'no audio at 2×');
  assertMonotonic(video);
  const i = video.findIndex((s) => s === after[0]);
  const step = video[i].frame.dts - video[i - 1].frame.dts;
  // the last frame consumed at 1× is either video (next video 20 ms of output later) or the audio 20 ms after it (30 ms)
  assert.ok(step >= 1800 && step <= 2700, `no jump at the speed change: ${step}`);
});

test('a long hole between segments is skipped: the next segment follows one frame interval later', async (t) => {
  // 2 s of recording, a 60 s hole, then more; start 0.5 s before the hole (reading from the keyframe at +1 s)
  const rec = new MemoryRecording(10, { gap: { fromIndex: 50, ms: 60_000 } });
  const { sink, session } = setup(rec, { startMs: T0 + 1500 });
  session.start();
  await sleep(900);
  session.stop();
  const v = sink.video;
  const i = v.findIndex((s) => indexOf(s.frame) === 50);
  assert.ok(i > 0, `frames after the hole arrived: ${v.length} frames`);
  t.diagnostic(`crossed the hole ${(v[i].wall - v[0].wall).toFixed(0)} ms after the first frame; dts step ${v[i].frame.dts - v[i - 1].frame.dts}`);
  assert.equal(indexOf(v[i - 1].frame), 49);
  assert.equal(v[i].frame.dts - v[i - 1].frame.dts, 3600, 'one frame interval, not 60 s');
  assert.ok(session.state().positionMs >= T0 + 62_000);
  assertMonotonic(v);
});

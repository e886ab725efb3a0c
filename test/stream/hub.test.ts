import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Frame, TrackParams, VideoFrame } from '../../src/lib/av/frame.js';
import { Hub, Stream, type ReaderCloseReason, type StreamSink } from '../../src/stream/index.js';

// Parameter sets from an ffmpeg/libx264 320x240 encode (testsrc2): real bytes, so the tracker parses them.
const SPS = Buffer.from('6764000dacb20283f60220000003002000000641e28549', 'hex');
const PPS = Buffer.from('68ebc3cb22c0', 'hex');
const SPS_B = Buffer.from('6764001eacb201405ff2e022000003000200000300641e2c5c90', 'hex'); // 640x360 from another encode

function video(i: number, key: boolean, sps = SPS): VideoFrame {
  const slice = Buffer.alloc(200, i & 0xff);
  slice[0] = key ? 0x65 : 0x41;
  return { track: 'video', codec: 'h264', pts: i * 3600, dts: i * 3600, key, units: key ? [sps, PPS, slice] : [slice] };
}

class TestSink implements StreamSink {
  starts: TrackParams[] = [];
  frames: Frame[] = [];
  closed?: ReaderCloseReason;
  pending = 0;
  start(p: TrackParams) {
    this.starts.push(p);
  }
  write(f: Frame) {
    this.frames.push(f);
  }
  backlog() {
    return this.pending;
  }
  close(r: ReaderCloseReason) {
    this.closed = r;
  }
}

const desc = { key: 'live/34020000001320000001/main', channelId: '34020000001320000001', kind: 'live' as const, variant: 'main' };

test('a new reader gets parameters and the GOP from its keyframe at once', () => {
  const s = new Stream(desc);
  for (let i = 0; i < 30; i++) s.push(video(i, i % 25 === 0));
  assert.equal(s.params.video?.width, 320);
  assert.equal(s.params.video?.height, 240);
  const r = new TestSink();
  s.attach(r, { protocol: 'flv' });
  assert.equal(r.starts.length, 1);
  assert.equal(r.frames.length, 5, 'frames 25..29 (the GOP since the last keyframe)');
  assert.equal(r.frames[0].key, true);
  assert.equal(r.frames[0].dts, 25 * 3600);
  s.push(video(30, false));
  assert.equal(r.frames.length, 6);
});

test('frames before the first parameter sets are not delivered; the stream turns live with them', async () => {
  const s = new Stream(desc);
  const r = new TestSink();
  s.attach(r, { protocol: 'flv' });
  s.push(video(0, false));
  assert.equal(s.stats().state, 'waiting');
  const live = s.whenLive();
  s.push(video(1, true));
  await live;
  assert.equal(s.stats().state, 'live');
  assert.equal(r.frames.length, 1);
  assert.equal(r.frames[0].key, true);
});

test('a slow reader skips to the next keyframe, a stuck one is closed; others are unaffected', () => {
  const s = new Stream(desc);
  s.push(video(0, true));
  const slow = new TestSink();
  const fast = new TestSink();
  s.attach(slow, { protocol: 'flv' }, { softBytes: 1000, hardBytes: 5000 });
  s.attach(fast, { protocol: 'flv' });
  slow.pending = 2000;
  for (let i = 1; i < 5; i++) s.push(video(i, false));
  assert.equal(slow.frames.length, 1, 'only the keyframe before it fell behind');
  slow.pending = 0;
  s.push(video(5, false));
  assert.equal(slow.frames.length, 1, 'still waiting for a keyframe');
  s.push(video(6, true));
  assert.equal(slow.frames.length, 2);
  assert.equal(s.listReaders()[0].dropped, 5, 'frames 1-5: four while behind, one while waiting for the keyframe');
  slow.pending = 10_000;
  s.push(video(7, false));
  assert.equal(slow.closed, 'slow');
  assert.equal(s.readerCount, 1);
  assert.equal(fast.frames.length, 8);
});

test('a resolution change restarts readers at the next keyframe with new parameters', () => {
  const s = new Stream(desc);
  s.push(video(0, true));
  const r = new TestSink();
  s.attach(r, { protocol: 'flv' });
  s.push(video(1, true, SPS_B));
  assert.equal(r.starts.length, 2);
  assert.equal(r.starts[1].video?.width, 640);
  assert.equal(r.starts[1].video?.height, 360);
  assert.equal(r.frames.at(-1)?.dts, 3600);
});

test('the hub raises idle after the linger time without readers and stalled when frames stop', async () => {
  let now = 0;
  const hub = new Hub({ lingerMs: 1000, stallMs: 2000, now: () => now });
  const idle: string[] = [];
  const stalled: string[] = [];
  hub.on('idle', (s) => idle.push(s.key));
  hub.on('stalled', (s) => stalled.push(s.key));
  const s = hub.open(desc);
  assert.equal(hub.open(desc), s, 'same key, same stream');
  s.push(video(0, true));
  const r = new TestSink();
  const { detach } = s.attach(r, { protocol: 'flv' });
  now = 1500;
  await new Promise((res) => setTimeout(res, 600));
  assert.deepEqual(idle, [], 'a reader is attached');
  detach();
  now = 2200;
  await new Promise((res) => setTimeout(res, 600));
  assert.deepEqual(idle, [], 'linger not over');
  assert.deepEqual(stalled, [desc.key], 'no frame for 2.2 s');
  now = 2600;
  await new Promise((res) => setTimeout(res, 600));
  assert.deepEqual(idle, [desc.key]);
  hub.remove(desc.key, 'test');
  assert.equal(hub.get(desc.key), undefined);
  assert.equal(s.ended, true);
  hub.close();
});

test('closeReaders cuts only the matching sessions', () => {
  const s = new Stream(desc);
  s.push(video(0, true));
  const a = new TestSink();
  const b = new TestSink();
  s.attach(a, { protocol: 'flv', userId: 'u1', sessionId: 's1' });
  s.attach(b, { protocol: 'flv', userId: 'u2', sessionId: 's2' });
  assert.equal(s.closeReaders((id) => id.sessionId === 's1', 'revoked'), 1);
  assert.equal(a.closed, 'revoked');
  assert.equal(b.closed, undefined);
  s.end('done');
  assert.equal(b.closed, 'stream-ended');
});

test('timestamps keep growing across a source restart and a camera clock reset', () => {
  const s = new Stream(desc);
  const r = new TestSink();
  for (let i = 0; i < 10; i++) s.push(video(i, i === 0));
  s.attach(r, { protocol: 'flv' });
  s.sourceRestarted();
  // the new source starts its clock at 0 again
  for (let i = 0; i < 5; i++) s.push(video(i, i === 0));
  // then the camera jumps its clock back by a minute
  s.push(video(100_000, true));
  s.push(video(100_001, false));
  const dts = r.frames.map((f) => f.dts);
  for (let i = 1; i < dts.length; i++) assert.equal(dts[i] - dts[i - 1], 3600, `step ${i}: ${dts.join(',')}`);
  assert.equal(dts.length, 10 + 5 + 2, 'the GOP (10) + the new source (5) + after the reset (2)');
});

test('after a source restart neither track goes back, whichever track arrives first', () => {
  const s = new Stream(desc);
  const r = new TestSink();
  const audio = (dts: number): Frame => ({ track: 'audio', codec: 'g711a', pts: dts, dts, key: true, units: [Buffer.alloc(160)] });
  s.push(video(0, true));
  s.attach(r, { protocol: 'rtsp' });
  for (let i = 1; i <= 29; i++) s.push(video(i, false));
  for (let d = 0; d <= 102_600; d += 1800) s.push(audio(d));
  s.sourceRestarted();
  s.push(audio(91_800)); // the new source's clock; audio first
  s.push(video(25, true)); // dts 90 000
  s.push(video(26, false));
  const v = r.frames.filter((f) => f.track === 'video').map((f) => f.dts);
  const a = r.frames.filter((f) => f.track === 'audio').map((f) => f.dts);
  for (const [name, xs] of [['video', v], ['audio', a]] as const) for (let i = 1; i < xs.length; i++) assert.ok(xs[i] > xs[i - 1], `${name} dts went back at ${i}: ${xs.slice(i - 2, i + 2).join(',')}`);
});

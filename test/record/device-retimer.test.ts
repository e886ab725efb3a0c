import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Frame } from '../../src/lib/av/frame.js';
import { buildMansrtsp, parseMansrtsp } from '../../src/lib/mansrtsp/index.js';
import { PlaybackRetimer } from '../../src/media/ingest/playback-retimer.js';

// Units of device playback (issue 8): the retiming stage the media node puts in front of a device playback stream,
// and the MANSRTSP codec of GB/T 28181-2016 附录B.

const video = (dts: number, key = false): Frame => ({ track: 'video', codec: 'h264', dts, pts: dts, key, units: [Buffer.from([key ? 0x65 : 0x41, 0])] });
const audio = (dts: number): Frame => ({ track: 'audio', codec: 'aac', dts, pts: dts, key: true, units: [Buffer.from([1])] });

function rig() {
  const out: Frame[] = [];
  const r = new PlaybackRetimer((f) => out.push(f));
  return { r, out, vdts: () => out.filter((f) => f.track === 'video').map((f) => f.dts) };
}

/** 25 fps at the device's clock from `t0`, a keyframe every 25 frames */
function feed(r: PlaybackRetimer, from: number, count: number, t0 = 900_000): void {
  for (let n = from; n < from + count; n++) r.push(video(t0 + n * 3600, n % 25 === 0));
}

test('at scale k output timestamps advance 1/k of the device clock; a speed change continues without a jump', () => {
  const { r, vdts } = rig();
  feed(r, 0, 25);
  r.setScale(4);
  feed(r, 25, 25);
  const d = vdts();
  assert.equal(d[24] - d[0], 24 * 3600, '1×: unchanged steps');
  assert.equal(d[25] - d[24], 900, 'the first frame at 4× is a quarter step after the last 1× frame');
  assert.equal(d[49] - d[25], 24 * 900);
  // content is counted on the device clock: 49 frames = 1.96 s
  assert.equal(r.state().contentMs, 1960);
});

test('audio passes only at 1×; frames before the first keyframe are dropped', () => {
  const { r, out } = rig();
  r.push(video(1000));
  r.push(audio(1000));
  assert.equal(out.length, 0);
  r.push(video(4600, true));
  r.push(audio(4700));
  assert.deepEqual(out.map((f) => f.track), ['video', 'audio']);
  r.setScale(2);
  r.push(audio(8300));
  r.push(video(8200));
  assert.deepEqual(out.map((f) => f.track), ['video', 'audio', 'video']);
});

test('a seek (mark) drops frames up to the next keyframe and continues one frame later; the anchor offset is the device clock distance', () => {
  const { r, vdts } = rig();
  feed(r, 0, 10);
  r.control('mark');
  assert.equal(r.state().anchored, false);
  feed(r, 1001, 5); // mid-GOP leftovers: dropped
  feed(r, 1500, 3); // frame 1500 is a keyframe: the device jumped 60 s ahead
  const d = vdts();
  assert.equal(d.length, 13);
  assert.equal(d[10] - d[9], 3600, 'output continues one frame after the last');
  const st = r.state();
  assert.equal(st.anchored, true);
  assert.equal(st.anchorOffsetMs, 60_000);
  assert.equal(st.contentMs, 80);
});

test('a clock jump of the device (next file) is absorbed: output continues, content counts one frame', () => {
  const { r, vdts } = rig();
  feed(r, 0, 5);
  feed(r, 0, 5, 0); // the clock went back to 0
  const d = vdts();
  for (let i = 1; i < d.length; i++) assert.equal(d[i] - d[i - 1], 3600);
  assert.equal(r.state().contentMs, 9 * 40);
});

test('hold keeps frames; step passes exactly one video frame (held, or the next to come); release passes the rest', () => {
  const { r, vdts } = rig();
  feed(r, 0, 3);
  r.control('hold');
  feed(r, 3, 4);
  assert.equal(vdts().length, 3);
  assert.equal(r.state().held, 4);
  r.control('step');
  assert.equal(vdts().length, 4);
  assert.equal(r.state().contentMs, 120);
  r.control('release');
  assert.equal(vdts().length, 7);
  r.control('hold');
  assert.equal(r.control('step').stepPending, true, 'nothing held: the next video frame is awaited');
  feed(r, 7, 2);
  assert.equal(vdts().length, 8);
  assert.equal(r.state().stepPending, false);
  assert.equal(r.state().held, 1);
});

test('MANSRTSP (附录B): PLAY with Scale and Range, PAUSE; lenient parse of what devices and platforms send', () => {
  assert.equal(buildMansrtsp({ method: 'PLAY', cseq: 3, scale: 4, range: { from: 12.5 } }), 'PLAY RTSP/1.0\r\nCSeq: 3\r\nScale: 4.0\r\nRange: npt=12.5-\r\n\r\n');
  assert.equal(buildMansrtsp({ method: 'PLAY', cseq: 4, range: { from: 'now' } }), 'PLAY RTSP/1.0\r\nCSeq: 4\r\nRange: npt=now-\r\n\r\n');
  assert.equal(buildMansrtsp({ method: 'PAUSE', cseq: 5, pauseTime: 'now' }), 'PAUSE RTSP/1.0\r\nCSeq: 5\r\nPauseTime: now\r\n\r\n');
  assert.equal(buildMansrtsp({ method: 'PLAY', cseq: 6, scale: 0.125 }), 'PLAY RTSP/1.0\r\nCSeq: 6\r\nScale: 0.125\r\n\r\n');
  assert.deepEqual(parseMansrtsp('PLAY RTSP/1.0\r\nCSeq: 7\r\nScale: 2.0\r\nRange: npt=100-\r\n\r\n'), { method: 'PLAY', cseq: 7, scale: 2, range: { from: 100 } });
  assert.deepEqual(parseMansrtsp('\n play MANSRTSP/1.0\ncseq:8\nrange : npt = now - \n'), { method: 'PLAY', cseq: 8, range: { from: 'now' } });
  assert.deepEqual(parseMansrtsp('PAUSE RTSP/1.0\r\nCSeq: 9\r\nPauseTime: now\r\n'), { method: 'PAUSE', cseq: 9, pauseTime: 'now' });
  assert.throws(() => parseMansrtsp('\r\n\r\n'));
  assert.throws(() => buildMansrtsp({ method: 'PLAY', cseq: 1, scale: 0 }));
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { MediaTokens } from '../../src/core/media-token.js';
import type { Frame, VideoFrame } from '../../src/lib/av/frame.js';
import { packetizeH264 } from '../../src/lib/rtp/index.js';
import { RtspHeaders, type RtspRequest, rtspRequest, rtspResponse, serializeRtspMessage } from '../../src/lib/rtsp/index.js';
import { formatChallenge, parseAuthParams, verifyDigest } from '../../src/lib/sip/digest.js';
import { RtspAuth } from '../../src/media/ingest/rtsp-pull-auth.js';
import { SessionSplicer } from '../../src/media/ingest/rtsp-pull-splice.js';
import { DtsFixer, SessionClock } from '../../src/media/ingest/rtsp-pull-timing.js';
import { parsePullUrl } from '../../src/media/ingest/rtsp-pull-url.js';
import { type PullState, RtspPuller } from '../../src/media/ingest/rtsp-pull.js';
import { MediaAuth } from '../../src/media/out/media-auth.js';
import { Revocations } from '../../src/media/out/revocations.js';
import { RtspServer } from '../../src/media/out/rtsp-server.js';
import { Hub, Stream } from '../../src/stream/index.js';
import { encodeG711a, encodeVideo, feed, ffmpeg, haveFfmpeg } from './helpers/feed.js';
import { type Collected, collect, FakeRtspServer, freePort, GstRtspServer, haveGstRtspServer, sleep, until } from './helpers/rtsp-pull-servers.js';

const log = pino({ level: process.env.RTSP_PULL_TEST_LOG ?? 'silent' });
let streamSeq = 0;

function newStream(hub: Hub): Stream {
  const id = `3402000000131${String(++streamSeq).padStart(7, '0')}`;
  return hub.open({ key: `live/${id}/main`, channelId: id, kind: 'live', variant: 'main' });
}

/** A puller with its states recorded. */
function puller(opts: Omit<ConstructorParameters<typeof RtspPuller>[0], 'log' | 'onState'>): { p: RtspPuller; states: PullState[] } {
  const states: PullState[] = [];
  const p = new RtspPuller({ ...opts, log, onState: (s) => states.push(s) });
  return { p, states };
}

const videoOf = (c: Collected): VideoFrame[] => c.frames.map((x) => x.frame).filter((f): f is VideoFrame => f.track === 'video');
const audioOf = (c: Collected): Frame[] => c.frames.map((x) => x.frame).filter((f) => f.track === 'audio');

/** Resource types that mean "something of ours is still open". */
function openHandles(): Record<string, number> {
  const n: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) if (r === 'TCPSocketWrap' || r === 'UDPWrap' || r === 'Timeout' || r === 'TCPWrap') n[r] = (n[r] ?? 0) + 1;
  return n;
}

function assertMonotonic(frames: readonly Frame[], what: string): void {
  for (let i = 1; i < frames.length; i++) assert.ok(frames[i].dts > frames[i - 1].dts, `${what}: dts ${frames[i].dts} after ${frames[i - 1].dts} (#${i})`);
}

describe('RTSP pull: URL, auth, timing', () => {
  test('URL: credentials (with @ and : in the password) taken out, default port, path and token kept', () => {
    const t = parsePullUrl('rtsp://admin:P@ss:w0rd@192.0.2.10/Streaming/Channels/101?token=a.b-c');
    assert.equal(t.host, '192.0.2.10');
    assert.equal(t.port, 554);
    assert.equal(t.user, 'admin');
    assert.equal(t.password, 'P@ss:w0rd');
    assert.equal(t.url, 'rtsp://192.0.2.10/Streaming/Channels/101?token=a.b-c');
    assert.ok(!t.display.includes('w0rd'));
    const e = parsePullUrl('rtsp://u%40x:p%2Fq@[::1]:8554/a');
    assert.deepEqual([e.host, e.port, e.user, e.password, e.url], ['::1', 8554, 'u@x', 'p/q', 'rtsp://[::1]:8554/a']);
    assert.equal(parsePullUrl('rtsp://cam.local:10554').url, 'rtsp://cam.local:10554');
    assert.throws(() => parsePullUrl('http://cam/x'), /not an rtsp/);
    assert.throws(() => parsePullUrl('rtsp://cam:99999/x'), /bad port/);
  });

  test('auth: digest answer verifies, nonce change retried once, refusal reported; basic; no credentials', () => {
    const a = new RtspAuth('admin', 'secret');
    assert.equal(a.header('DESCRIBE', 'rtsp://h/x'), undefined, 'nothing sent before a challenge');
    assert.equal(a.challenge([formatChallenge('IP Camera', 'n1', { qop: true }), 'Basic realm="IP Camera"'], false), 'retry');
    const h = a.header('DESCRIBE', 'rtsp://h/x')!;
    assert.match(h, /^Digest /);
    assert.ok(verifyDigest(parseAuthParams(h).params, 'DESCRIBE', 'secret'));
    assert.ok(!verifyDigest(parseAuthParams(h).params, 'DESCRIBE', 'other'));
    const h2 = a.header('SETUP', 'rtsp://h/x/trackID=0')!;
    assert.equal(parseAuthParams(h2).params.nc, '00000002');
    assert.ok(verifyDigest(parseAuthParams(h2).params, 'SETUP', 'secret'));
    assert.equal(a.challenge([formatChallenge('IP Camera', 'n1')], false), 'failed', 'same nonce again: refused');
    assert.equal(a.challenge([formatChallenge('IP Camera', 'n2')], false), 'retry', 'rotated nonce: once more');
    assert.equal(a.challenge([formatChallenge('IP Camera', 'n3')], true), 'failed', 'already retried');
    const b = new RtspAuth('u', 'p w');
    assert.equal(b.challenge(['Basic realm="x"'], false), 'retry');
    assert.equal(b.header('OPTIONS', 'rtsp://h/'), `Basic ${Buffer.from('u:p w').toString('base64')}`);
    assert.equal(new RtspAuth(undefined, undefined).challenge(['Basic realm="x"'], false), 'failed');
  });

  test('dts: equal to pts without B-frames; with B-frames it grows, evenly spaced and ≤ pts once the depth is learned', () => {
    const plain = new DtsFixer();
    for (let i = 0; i < 50; i++) assert.equal(plain.dts(1000 + i * 3600), 1000 + i * 3600);

    // decoding order of IBBP with b-pyramid (x264 default): pts in frame units
    const order = [0, 4, 2, 1, 3, 8, 6, 5, 7, 12, 10, 9, 11, 16, 14, 13, 15, 20, 18, 17, 19];
    const f = new DtsFixer();
    const out = order.map((k) => ({ pts: 900_000 + k * 3600, dts: f.dts(900_000 + k * 3600) }));
    for (let i = 1; i < out.length; i++) assert.ok(out[i].dts > out[i - 1].dts, `dts grows at ${i}`);
    const warm = out.slice(7); // the first B-frames come before the depth is known
    for (const x of warm) assert.ok(x.dts <= x.pts, `dts ${x.dts} ≤ pts ${x.pts}`);
    for (let i = 1; i < warm.length; i++) assert.equal(warm[i].dts - warm[i - 1].dts, 3600, 'evenly spaced');
    assert.equal(f.reorderDepth, 2);
    // a clock reset (2 s+ back) is passed on as is, for the hub to re-base
    assert.equal(f.dts(0), 0);
  });

  test('splice: a reconnect continues every track after its last timestamp, through a real Stream, A/V offset kept', () => {
    const stream = new Stream({ key: 'live/x/main', channelId: 'x', kind: 'live', variant: 'main' });
    const seen: Frame[] = [];
    stream.on('frame', (f) => seen.push(f));
    const sps = Buffer.from('Z2QAHqzZQKAv+XARAAADAAEAAAMAMg8WLZY=', 'base64');
    const pps = Buffer.from('aO+Pyw==', 'base64');
    const v = (pts: number, key = false): Frame => ({ track: 'video', codec: 'h264', pts, dts: pts, key, units: key ? [sps, pps, Buffer.from([0x65, 0x88])] : [Buffer.from([0x41, 0x9a])] });
    const a = (pts: number): Frame => ({ track: 'audio', codec: 'g711a', pts, dts: pts, key: true, units: [Buffer.alloc(160)] });
    const sp = new SessionSplicer(
      (f) => stream.push(f),
      () => stream.sourceRestarted(),
    );
    sp.begin(['video', 'audio']);
    for (let i = 0; i < 20; i++) {
      sp.push(v(90_000 + i * 3600, i === 0));
      sp.push(a(90_000 + i * 3600 + 1800));
    }
    sp.push(a(90_000 + 20 * 3600 + 1800)); // audio ran 90 ms ahead of the video when the connection dropped
    // the next session: its clock starts again; audio first, and 60 ms before the video
    sp.begin(['video', 'audio']);
    sp.push(a(84_600));
    sp.push(a(86_400));
    for (let i = 0; i < 10; i++) {
      sp.push(v(90_000 + i * 3600, i === 0));
      sp.push(a(90_000 + i * 3600 + 1800));
    }
    sp.flush();
    for (const track of ['video', 'audio'] as const) {
      const t = seen.filter((f) => f.track === track);
      for (let i = 1; i < t.length; i++) assert.ok(t[i].dts > t[i - 1].dts, `${track}: ${t[i].dts} after ${t[i - 1].dts}`);
    }
    const v2 = seen.filter((f) => f.track === 'video')[20];
    const a2 = seen.filter((f) => f.track === 'audio')[21];
    assert.equal(v2.dts - a2.dts, 90_000 - 84_600, 'one offset for both tracks of the new session');
    const vLast1 = seen.filter((f) => f.track === 'video')[19];
    assert.ok(v2.dts - vLast1.dts < 20_000, 'no gap to speak of');
  });

  test('session clock: RTP-Info rtptime maps every track to the same instant; without it, arrival aligns them', () => {
    const c = new SessionClock();
    assert.equal(c.base(1000, 90_000, 1000, 5000), 1000);
    assert.equal(c.base(4_000_000_500, 44_100, 4_000_000_000, 5010), 4_000_000_000);
    // a silly rtptime (an hour away from the packets) is not believed
    const d = new SessionClock();
    assert.equal(d.base(50_000, 90_000, undefined, 1000), 50_000);
    const audioBase = d.base(7000, 8000, 7000 + 8000 * 3600, 1500); // first audio packet 500 ms after the first video one
    assert.equal((7000 - audioBase) >>> 0, 4000, '500 ms in an 8 kHz clock');
  });
});

describe('RTSP pull from an independent server (gst-rtsp-server)', { skip: (!haveFfmpeg && 'ffmpeg not installed') || (!haveGstRtspServer && 'gst-rtsp-server (python3-gst-1.0, gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-{base,good,bad}) not installed') }, () => {
  let dir: string;
  let file: string;
  let gst: GstRtspServer;
  const hub = new Hub({ lingerMs: 600_000, stallMs: 600_000 });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rtsp-pull-'));
    file = join(dir, 'clip.mp4');
    // x264 defaults: B-frames with b-pyramid, so pts-only RTP timing is exercised
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '20', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '50', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', file]);
    gst = await GstRtspServer.start({ dir, file });
  });

  after(async () => {
    await gst?.kill();
    hub.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const transport of ['tcp', 'udp'] as const) {
    test(`${transport.toUpperCase()}: h264 640x360 at 25 fps for 3 s, AAC in step, dts growing`, async (t) => {
      const stream = newStream(hub);
      const reader = collect(stream);
      const { p, states } = puller({ url: gst.url(), transport, stream, timeoutMs: 5000 });
      p.start();
      try {
        assert.ok(await until(() => videoOf(reader).length > 0, 10_000), `no video; states ${JSON.stringify(states)}`);
        assert.equal(p.state.status, 'playing');
        assert.equal(p.state.transport, transport);
        const t0 = reader.frames.find((x) => x.frame.track === 'video')!.at;
        await sleep(3000 - (Date.now() - t0) + 200);
        const v = stream.params.video!;
        assert.equal(v.codec, 'h264');
        assert.equal(v.width, 640);
        assert.equal(v.height, 360);
        const a = stream.params.audio!;
        assert.deepEqual([a.codec, a.sampleRate, a.channels], ['aac', 44100, 1]);
        const inWindow = reader.frames.filter((x) => x.frame.track === 'video' && x.at < t0 + 3000).length;
        t.diagnostic(`${transport}: ${inWindow} video frames in 3 s, stats ${JSON.stringify(p.stats())}`);
        assert.ok(inWindow >= 70 && inWindow <= 85, `video frames in 3 s: ${inWindow}`);
        const video = videoOf(reader);
        const audio = audioOf(reader);
        assert.ok(video[0].key, 'decodable from the first frame (SPS/PPS in front)');
        assert.ok(reader.reader.find((f) => f.track === 'video')?.key, 'the reader starts at a keyframe');
        assertMonotonic(video, 'video');
        assertMonotonic(audio, 'audio');
        const late = video.slice(10);
        assert.ok(late.every((f) => f.dts <= f.pts), 'dts ≤ pts once the reorder depth is known');
        assert.ok(video.some((f, i) => i > 0 && f.pts < video[i - 1].pts), 'the clip has B-frames (pts goes back in decoding order)');
        const span = (video[video.length - 1].pts - video[0].pts) / 90_000;
        assert.ok(Math.abs(span - (video.length - 1) / 25) < 0.2, `pts span ${span} s for ${video.length} frames`);
        // 44.1 kHz AAC and 90 kHz video on one time line (random RTP bases removed via RTP-Info)
        const lastV = video[video.length - 1].pts;
        const lastA = audio[audio.length - 1].pts;
        assert.ok(Math.abs(lastV - lastA) < 0.3 * 90_000, `A/V apart by ${(lastV - lastA) / 90} ms`);
        assert.ok(audio.length > 100, `AAC frames: ${audio.length}`);
        const s = p.stats();
        assert.ok(s.packets > 300 && s.bytes > 100_000, JSON.stringify(s));
        assert.equal(s.lost, 0);
        assert.equal(s.reconnects, 0);
      } finally {
        reader.detach();
        await p.stop();
      }
      assert.equal(p.state.status, 'stopped');
    });
  }

  test('SPS/PPS only out of band (SDP sprop-parameter-sets): the first keyframe carries them and decodes', async () => {
    const oob = await GstRtspServer.start({ dir, file, audio: false, inbandParams: false });
    const stream = newStream(hub);
    const reader = collect(stream);
    const { p, states } = puller({ url: oob.url(), stream, timeoutMs: 5000 });
    p.start();
    try {
      assert.ok(await until(() => videoOf(reader).length >= 10, 10_000), `no video: ${JSON.stringify(states)}`);
      const [first, ...rest] = videoOf(reader);
      const types = (f: VideoFrame): number[] => f.units.map((u) => u[0] & 0x1f);
      assert.ok(first.key);
      assert.deepEqual(types(first).filter((t) => t === 7 || t === 8), [7, 8], `first keyframe NAL types ${types(first)}`);
      assert.ok(rest.every((f) => !types(f).includes(7)), 'the stream itself has no SPS (config-interval=0)');
      const v = stream.params.video!;
      assert.deepEqual([v.codec, v.width, v.height], ['h264', 640, 360]);
      assert.equal(stream.params.audio, undefined);
    } finally {
      reader.detach();
      await p.stop();
      await oob.kill();
    }
  });

  test('server killed and started again: retrying, then playing within the back-off; timestamps keep growing', async (t) => {
    const stream = newStream(hub);
    const reader = collect(stream);
    const backoff = { minMs: 200, maxMs: 1500 };
    const { p, states } = puller({ url: gst.url(), transport: 'tcp', stream, timeoutMs: 3000, backoff });
    p.start();
    try {
      assert.ok(await until(() => videoOf(reader).length >= 25, 10_000), 'playing before the kill');
      const before = videoOf(reader).length;
      const lastBefore = videoOf(reader)[before - 1];
      await gst.kill();
      assert.ok(await until(() => p.state.status === 'retrying', 3000), `retrying after the kill: ${JSON.stringify(p.state)}`);
      assert.equal(p.state.error?.code, 'UNREACHABLE');
      await sleep(1000); // a few refused attempts: the back-off grows
      assert.ok(p.state.attempts >= 2, `attempts while down: ${p.state.attempts}`);
      gst = await GstRtspServer.start({ dir, file, port: gst.port });
      const back = Date.now();
      assert.ok(await until(() => p.state.status === 'playing', backoff.maxMs + 3000), `playing again: ${JSON.stringify(p.state)}`);
      t.diagnostic(`playing ${Date.now() - back} ms after the server came back; ${states.length} state changes`);
      assert.ok(await until(() => videoOf(reader).length >= before + 25, 5000), 'frames after the restart');
      const video = videoOf(reader);
      assertMonotonic(video, 'video across the restart');
      assertMonotonic(audioOf(reader), 'audio across the restart');
      // re-based (on whichever track comes first): the new session continues right after the old one
      assert.ok(video[before].dts - lastBefore.dts < 45_000, `no jump: ${video[before].dts - lastBefore.dts}`);
      assert.ok(video[before].key, 'the new session starts with a keyframe');
      const maxPts = (fs: VideoFrame[]): number => Math.max(...fs.map((f) => f.pts));
      assert.ok(maxPts(video.slice(before)) > maxPts(video.slice(0, before)), 'presentation time goes on');
      assert.equal(p.stats().reconnects >= 1, true);
      assert.deepEqual(
        states.map((s) => s.status).filter((s, i, all) => s !== all[i - 1]),
        ['connecting', 'playing', ...Array(states.filter((s) => s.status === 'retrying').length).fill(['retrying', 'connecting']).flat(), 'playing'],
      );
    } finally {
      reader.detach();
      await p.stop();
    }
  });

  test('after stop(): no socket, UDP port or timer of the puller is left', async () => {
    await sleep(50);
    const baseline = openHandles();
    const stream = newStream(hub);
    const { p } = puller({ url: gst.url(), transport: 'udp', stream, timeoutMs: 5000 });
    p.start();
    assert.ok(await until(() => p.state.status === 'playing', 10_000));
    await sleep(300);
    const during = openHandles();
    assert.ok((during.UDPWrap ?? 0) >= (baseline.UDPWrap ?? 0) + 4, `two UDP pairs while playing: ${JSON.stringify(during)}`);
    await p.stop();
    assert.deepEqual(openHandles(), baseline);
    assert.equal(p.state.status, 'stopped');
  });
});

describe('RTSP pull from our own RTSP server: H.265 and G.711', { skip: !haveFfmpeg && 'ffmpeg not installed' }, () => {
  const secret = 'rtsp-pull-secret';
  const tokens = new MediaTokens(secret);
  const auth = new MediaAuth(tokens, new Revocations(300_000), 300);
  const hub = new Hub({ lingerMs: 600_000, stallMs: 600_000 });
  const KEY = 'live/34020000001320000077/main';
  let dir: string;
  let server: RtspServer;
  let stopFeed: () => void;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rtsp-pull-own-'));
    const source = hub.open({ key: KEY, channelId: '34020000001320000077', kind: 'live', variant: 'main' });
    stopFeed = feed(source, encodeVideo(dir, 'h265', '640x360', 2), encodeG711a(dir, 2));
    server = await RtspServer.listen({ host: '127.0.0.1', port: 0, hub, auth, log });
    await sleep(1200);
  });

  after(async () => {
    stopFeed?.();
    await server?.close();
    hub.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const transport of ['tcp', 'udp'] as const) {
    test(`${transport.toUpperCase()}: hevc 640x360 ~25 fps and PCMA 8 kHz, on one time line`, async (t) => {
      const token = tokens.sign({ u: 'puller', s: 'sess', p: KEY, e: Math.floor(Date.now() / 1000) + 300 });
      const pulledHub = new Hub({ lingerMs: 600_000, stallMs: 600_000 });
      const stream = newStream(pulledHub);
      const reader = collect(stream);
      const { p, states } = puller({ url: `rtsp://127.0.0.1:${server.port}/${KEY}?token=${token}`, transport, stream, timeoutMs: 5000 });
      p.start();
      try {
        assert.ok(await until(() => videoOf(reader).length > 0, 10_000), `no video: ${JSON.stringify(states)}`);
        assert.equal(p.state.transport, transport);
        await sleep(1000); // past the GOP our server replays at PLAY
        const t0 = Date.now();
        const n0 = videoOf(reader).length;
        await sleep(2000);
        const v = stream.params.video!;
        assert.deepEqual([v.codec, v.width, v.height], ['h265', 640, 360]);
        assert.ok(v.vps && v.sps && v.pps);
        const a = stream.params.audio!;
        assert.deepEqual([a.codec, a.sampleRate, a.channels], ['g711a', 8000, 1]);
        const fps = ((videoOf(reader).length - n0) * 1000) / (Date.now() - t0);
        t.diagnostic(`${transport}: ${fps.toFixed(1)} fps, stats ${JSON.stringify(p.stats())}`);
        assert.ok(fps > 22 && fps < 28, `fps ${fps}`);
        const video = videoOf(reader);
        const audio = audioOf(reader);
        assertMonotonic(video, 'video');
        assertMonotonic(audio, 'audio');
        assert.ok(video.every((f) => f.dts === f.pts), 'no B-frames: dts = pts');
        assert.ok(audio.every((f) => f.units[0].length === 320), '40 ms PCMA packets');
        assert.ok(Math.abs(video[video.length - 1].pts - audio[audio.length - 1].pts) < 0.2 * 90_000, 'audio in step with video');
      } finally {
        reader.detach();
        await p.stop();
        pulledHub.close();
      }
      assert.equal(server.stats().playing, 0, 'TEARDOWN ended the session on the server');
    });
  }

  test('a bad token: the server answers 401 without a challenge → AUTH_FAILED', async () => {
    const stream = newStream(hub);
    const { p } = puller({ url: `rtsp://127.0.0.1:${server.port}/${KEY}?token=forged.token`, stream, timeoutMs: 2000, backoff: { minMs: 5000, maxMs: 5000 } });
    p.start();
    try {
      assert.ok(await until(() => p.state.status === 'retrying', 3000));
      assert.equal(p.state.error?.code, 'AUTH_FAILED');
    } finally {
      await p.stop();
    }
  });
});

// ---- scripted servers: errors must be reported as the right code, within the timeout, without leaks -------------

const SDP_UNSUPPORTED = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=x', 't=0 0', 'a=control:*', 'm=video 0 RTP/AVP 33', 'a=rtpmap:33 MP2T/90000', 'a=control:track1', 'm=audio 0 RTP/AVP 120', 'a=rtpmap:120 SPEEX/16000', 'a=control:track2', ''].join('\r\n');
const SDP_H264 = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=x', 't=0 0', 'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=control:trackID=0', ''].join('\r\n');

const ok = (req: RtspRequest, headers: Record<string, string> = {}, body = '') => rtspResponse(200, req, new RtspHeaders(headers), body);

/** Waits for the first 'retrying' state and returns it with the time it took. */
async function firstFailure(p: RtspPuller, states: PullState[], ms: number): Promise<{ state: PullState; after: number }> {
  const t0 = Date.now();
  p.start();
  assert.ok(await until(() => states.some((s) => s.status === 'retrying'), ms), `no failure within ${ms} ms: ${JSON.stringify(states)}`);
  return { state: states.find((s) => s.status === 'retrying')!, after: Date.now() - t0 };
}

describe('RTSP pull: bad servers', () => {
  const hub = new Hub({ lingerMs: 600_000, stallMs: 600_000 });
  after(() => hub.close());

  test('a server that accepts and never answers → TIMEOUT within timeoutMs', async () => {
    const fake = await FakeRtspServer.start(() => undefined);
    const { p, states } = puller({ url: fake.url(), stream: newStream(hub), timeoutMs: 600, backoff: { minMs: 10_000, maxMs: 10_000 } });
    try {
      const { state, after: ms } = await firstFailure(p, states, 2000);
      assert.equal(state.error?.code, 'TIMEOUT');
      assert.match(state.error!.message, /OPTIONS/);
      assert.ok(ms >= 550 && ms < 1200, `reported after ${ms} ms`);
      assert.equal(state.attempts, 1);
    } finally {
      await p.stop();
      await fake.close();
    }
  });

  test('a server that always answers 401 → AUTH_FAILED, retried with back-off, credentials sent', async () => {
    const fake = await FakeRtspServer.start((req) => rtspResponse(401, req, new RtspHeaders({ 'WWW-Authenticate': formatChallenge('cam', 'abc123') })));
    const { p, states } = puller({ url: fake.url().replace('//', '//admin:wrong@'), stream: newStream(hub), timeoutMs: 1000, backoff: { minMs: 50, maxMs: 200 } });
    try {
      const { state } = await firstFailure(p, states, 3000);
      assert.equal(state.error?.code, 'AUTH_FAILED');
      assert.ok(await until(() => p.state.attempts >= 3, 3000), 'keeps retrying');
      assert.equal(p.state.error?.code, 'AUTH_FAILED');
      const withAuth = fake.requests.filter((r) => r.headers.has('authorization'));
      assert.ok(withAuth.length >= 3, 'answered the challenge');
      assert.ok(fake.requests.length <= 2 * p.state.attempts + 2, 'one retry with credentials per attempt, no loop');
      assert.ok(!fake.requests.some((r) => /wrong/.test(r.headers.get('authorization') ?? '')), 'digest: no password on the wire');
    } finally {
      await p.stop();
      await fake.close();
    }
  });

  for (const scheme of ['Digest', 'Basic'] as const) {
    test(`${scheme} auth accepted; an SDP with only MP2T and Speex → UNSUPPORTED_CODEC`, async () => {
      const fake = await FakeRtspServer.start((req) => {
        const h = req.headers.get('authorization');
        const good = scheme === 'Digest' ? !!h && verifyDigest(parseAuthParams(h).params, req.method, 'pa:ss@1') && parseAuthParams(h).params.uri === req.uri : h === `Basic ${Buffer.from('admin:pa:ss@1').toString('base64')}`;
        if (!good) return rtspResponse(401, req, new RtspHeaders({ 'WWW-Authenticate': scheme === 'Digest' ? formatChallenge('cam', 'n0nce', { qop: true }) : 'Basic realm="cam"' }));
        if (req.method === 'OPTIONS') return ok(req, { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN' });
        if (req.method === 'DESCRIBE') return ok(req, { 'Content-Type': 'application/sdp', 'Content-Base': `${fake.url()}/` }, SDP_UNSUPPORTED);
        return rtspResponse(455, req);
      });
      const { p, states } = puller({ url: fake.url().replace('//', '//admin:pa:ss@1@'), stream: newStream(hub), timeoutMs: 1000, backoff: { minMs: 10_000, maxMs: 10_000 } });
      try {
        const { state } = await firstFailure(p, states, 3000);
        assert.equal(state.error?.code, 'UNSUPPORTED_CODEC');
        assert.match(state.error!.message, /MP2T/);
        assert.match(state.error!.message, /SPEEX/);
        assert.ok(!fake.requests.some((r) => r.method === 'SETUP'), 'nothing set up');
      } finally {
        await p.stop();
        await fake.close();
      }
    });
  }

  test('a refused port → UNREACHABLE', async () => {
    const port = await freePort();
    const { p, states } = puller({ url: `rtsp://127.0.0.1:${port}/x`, stream: newStream(hub), timeoutMs: 2000, backoff: { minMs: 10_000, maxMs: 10_000 } });
    try {
      const { state, after: ms } = await firstFailure(p, states, 2000);
      assert.equal(state.error?.code, 'UNREACHABLE');
      assert.match(state.error!.message, /refused/);
      assert.ok(ms < 1000, `fast: ${ms} ms`);
    } finally {
      await p.stop();
    }
  });

  test('404 on DESCRIBE → NOT_FOUND; a garbage answer → PROTOCOL', async () => {
    const fake = await FakeRtspServer.start((req, sock) => {
      if (req.method === 'OPTIONS') return ok(req);
      if (req.uri.endsWith('/garbage')) {
        sock.write(Buffer.from([0x00, 0xff, 0x13, 0x37, 0x00, 0x00]));
        return undefined;
      }
      return rtspResponse(404, req);
    });
    const a = puller({ url: fake.url('missing'), stream: newStream(hub), timeoutMs: 1000, backoff: { minMs: 10_000, maxMs: 10_000 } });
    const b = puller({ url: fake.url('garbage'), stream: newStream(hub), timeoutMs: 1000, backoff: { minMs: 10_000, maxMs: 10_000 } });
    try {
      assert.equal((await firstFailure(a.p, a.states, 2000)).state.error?.code, 'NOT_FOUND');
      const g = await firstFailure(b.p, b.states, 2000);
      assert.equal(g.state.error?.code, 'PROTOCOL');
      assert.match(g.state.error!.message, /unreadable/);
    } finally {
      await a.p.stop();
      await b.p.stop();
      await fake.close();
    }
  });

  test('auto: TCP refused (461) → UDP SETUP with a client_port pair; no RTP after PLAY → TIMEOUT and TEARDOWN', async () => {
    let session = 0;
    const fake = await FakeRtspServer.start((req) => {
      switch (req.method) {
        case 'OPTIONS':
          return ok(req, { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER' });
        case 'DESCRIBE':
          return ok(req, { 'Content-Type': 'application/sdp' }, SDP_H264);
        case 'SETUP': {
          const tr = req.headers.get('transport') ?? '';
          if (tr.includes('TCP')) return rtspResponse(461, req);
          session++;
          return ok(req, { Session: `s${session};timeout=60`, Transport: `${tr};server_port=40000-40001` });
        }
        default:
          return ok(req, { Session: `s${session}` });
      }
    });
    const { p, states } = puller({ url: fake.url(), transport: 'auto', stream: newStream(hub), timeoutMs: 700, backoff: { minMs: 10_000, maxMs: 10_000 } });
    try {
      const { state } = await firstFailure(p, states, 3000);
      assert.equal(state.error?.code, 'TIMEOUT');
      assert.match(state.error!.message, /no RTP/);
      const setups = fake.requests.filter((r) => r.method === 'SETUP').map((r) => r.headers.get('transport') ?? '');
      assert.equal(setups.length, 2);
      assert.match(setups[0], /^RTP\/AVP\/TCP;unicast;interleaved=0-1$/);
      const m = /^RTP\/AVP;unicast;client_port=(\d+)-(\d+)$/.exec(setups[1]);
      assert.ok(m, setups[1]);
      assert.equal(Number(m[1]) % 2, 0, 'RTP on an even port');
      assert.equal(Number(m[2]), Number(m[1]) + 1, 'RTCP on the next');
      const methods = fake.requests.map((r) => r.method);
      assert.deepEqual(methods, ['OPTIONS', 'DESCRIBE', 'SETUP', 'SETUP', 'PLAY', 'TEARDOWN']);
      assert.equal(fake.requests[3].uri, `${fake.url()}/trackID=0`, 'control resolved against the request URL');
      assert.equal(fake.requests[4].headers.get('session'), 's1');
    } finally {
      await p.stop();
      await fake.close();
    }
  });

  test('a scripted camera over TCP: a lost packet is counted, keepalive at timeout/2, its own requests answered', async () => {
    const sps = Buffer.from('Z2QAHqzZQKAv+XARAAADAAEAAAMAMg8WLZY=', 'base64');
    const pps = Buffer.from('aO+Pyw==', 'base64');
    const sdp = SDP_H264.replace('a=control:trackID=0', `a=fmtp:96 packetization-mode=1;sprop-parameter-sets=${sps.toString('base64')},${pps.toString('base64')}\r\na=control:trackID=0`);
    let timer: NodeJS.Timeout | undefined;
    const fake = await FakeRtspServer.start((req, sock) => {
      switch (req.method) {
        case 'DESCRIBE':
          return ok(req, { 'Content-Type': 'application/sdp', 'Content-Base': `${fake.url()}/` }, sdp);
        case 'SETUP':
          return ok(req, { Session: 'cafe;timeout=2', Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
        case 'PLAY': {
          const seq = { value: 65_530 }; // wraps during the test
          let n = 0;
          timer = setInterval(() => {
            const units = n % 25 === 0 ? [sps, pps, Buffer.from([0x65, 0x88, 0x84, 0x00])] : [Buffer.from([0x41, 0x9a, 0x02, n & 0xff])];
            for (const pkt of packetizeH264(units, { ssrc: 0x1234, payloadType: 96, seq, timestamp: 5000 + n * 3600 })) {
              if (n === 5) continue; // lost on the way (TCP from a camera that dropped it)
              const head = Buffer.from([0x24, 0, 0, 0]);
              head.writeUInt16BE(pkt.length, 2);
              sock.write(Buffer.concat([head, pkt]));
            }
            if (n === 10) sock.write(serializeRtspMessage(rtspRequest('OPTIONS', '*', { CSeq: 77 })));
            n++;
          }, 40);
          return ok(req, { Session: 'cafe', 'RTP-Info': `url=${fake.url()}/trackID=0;seq=65530;rtptime=5000` });
        }
        default:
          return ok(req, { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER' });
      }
    });
    const stream = newStream(hub);
    const reader = collect(stream);
    const { p } = puller({ url: fake.url(), transport: 'tcp', stream, timeoutMs: 1000 });
    try {
      p.start();
      assert.ok(await until(() => fake.requests.some((r) => r.method === 'GET_PARAMETER'), 2500), 'keepalive within timeout/2 (1 s)');
      const ka = fake.requests.find((r) => r.method === 'GET_PARAMETER')!;
      assert.equal(ka.headers.get('session'), 'cafe');
      assert.equal(ka.uri, `${fake.url()}/`);
      assert.equal(p.state.status, 'playing');
      assert.equal(p.stats().lost, 1);
      assert.deepEqual(
        fake.responses.map((r) => [r.status, r.headers.get('cseq')]),
        [[200, '77']],
      );
      const video = videoOf(reader);
      assert.ok(video.length >= 20, `frames: ${video.length}`);
      assert.equal(video[0].pts, 90_000, 'RTP-Info rtptime = session time 0 (+ 1 s origin)');
      assert.deepEqual([stream.params.video?.width, stream.params.video?.height], [640, 360]);
    } finally {
      clearInterval(timer);
      reader.detach();
      await p.stop();
      await fake.close();
    }
    assert.equal(fake.requests.at(-1)?.method, 'TEARDOWN');
  });

  test('stop() while a request is unanswered is prompt and leaves nothing open', async () => {
    await sleep(50);
    const fake = await FakeRtspServer.start(() => undefined);
    const baseline = openHandles();
    const { p } = puller({ url: fake.url(), stream: newStream(hub), timeoutMs: 10_000 });
    p.start();
    assert.ok(await until(() => fake.requests.length > 0, 2000));
    const t0 = Date.now();
    await p.stop();
    assert.ok(Date.now() - t0 < 300, `stop took ${Date.now() - t0} ms`);
    assert.ok(await until(() => fake.connections === 0, 1000), 'the server saw the connection close');
    assert.deepEqual(openHandles(), baseline);
    assert.equal(p.state.status, 'stopped');
    await fake.close();
  });
});

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import type { AudioFrame, Frame, VideoFrame } from '../../src/lib/av/frame.js';
import { sampleUnits } from '../../src/lib/fmp4/nal.js';
import { flvHeader, FlvMuxer, parseFlv, type FlvTag } from '../../src/lib/flv/index.js';
import { audioSpecificConfig } from '../../src/lib/aac/index.js';
import {
  ChunkReader,
  ChunkWriter,
  ClientHandshake,
  commandMessage,
  decodeCommand,
  MessageType,
  type RtmpMessage,
  setChunkSizeMessage,
  UserControl,
  userControlMessage,
  parseUserControl,
  windowAckSizeMessage,
} from '../../src/lib/rtmp/index.js';
import { RtmpClock, RtmpMediaConverter } from '../../src/media/ingest/rtmp-frames.js';
import { RtmpServer, type RtmpPublishRequest } from '../../src/media/ingest/rtmp-server.js';
import { FlvSink, sharedFlvFor } from '../../src/media/out/flv-sink.js';
import { Hub, type Stream } from '../../src/stream/index.js';
import { type AudioClip, type Clip, encodeG711a, encodeVideo, haveFfmpeg } from './helpers/feed.js';

const skip = !haveFfmpeg && 'ffmpeg/ffprobe not installed';
/** handles open before any test (the runner's stdio pipes) */
const baseline = process.getActiveResourcesInfo();
const count = (list: string[], re: RegExp) => list.filter((r) => re.test(r)).length;
const KEY = 'K3y-s3cret';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const h264Type = (u: Buffer) => u[0] & 0x1f;
const h265Type = (u: Buffer) => (u[0] >> 1) & 0x3f;

/** FLV tags of frames as our muxer writes them (sequence headers in front of key frames). */
function flvTagsOf(frames: Frame[], g711 = true): FlvTag[] {
  const mux = new FlvMuxer({ g711 });
  const audio = frames.find((f): f is AudioFrame => f.track === 'audio')?.params;
  const parts = frames.map((f) => mux.tag(f)).filter((t): t is Buffer => !!t);
  // the AAC sequence header comes from header(); the video one is put before key frames by tag()
  return parseFlv(Buffer.concat([audio ? mux.header({ audio }, 0) : flvHeader(false, true), ...parts])).tags;
}

function clipFrames(clip: Clip, audio?: AudioClip, start = 0): Frame[] {
  const out: Frame[] = [];
  let an = 0;
  clip.aus.forEach((units, i) => {
    const t = start + i * 3600;
    out.push({ track: 'video', codec: clip.codec, pts: t, dts: t, key: clip.keys[i], units });
    while (audio && an < audio.units.length) {
      const at = start + Math.round((an * audio.samples * 90_000) / audio.params.sampleRate);
      if (at > t) break;
      out.push({ track: 'audio', codec: audio.params.codec, pts: at, dts: at, key: true, units: [audio.units[an]], params: audio.params });
      an++;
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// FLV tag bodies → Frames

describe('RTMP media conversion (FLV tag bodies → Frames)', () => {
  test('clock: ms ×90, 32-bit wrap, jitter nudged forward, a clock reset continues after the last frame', () => {
    const c = new RtmpClock();
    assert.equal(c.to90k('video', 0xffffff00), 0xffffff00 * 90);
    assert.equal(c.to90k('video', 0x100), (0xffffff00 + 0x200) * 90, 'wrap');
    const a0 = c.to90k('audio', 0x100 - 5);
    assert.equal(a0, (0xffffff00 + 0x200 - 5) * 90, 'audio may lag video: per-track order only');
    assert.equal(c.to90k('audio', 0x100 - 10), a0 + 90, 'audio going back 5 ms: nudged 1 ms past its last');
    const r = new RtmpClock();
    r.to90k('audio', 3_600_000);
    const v1 = r.to90k('video', 3_600_010);
    const v2 = r.to90k('video', 3); // encoder restarted its clock (1 h back)
    assert.equal(v2, v1 + 3600);
    assert.equal(r.to90k('video', 43), v2 + 3600, 'then runs on from there');
    assert.equal(r.to90k('audio', 30), v2 + 27 * 90, 'audio follows the same shift');
    assert.equal(r.to90k('video', (43 - 300) >>> 0), v2 + 3600 + 90, 'a jump back < 1 s is jitter, not a reset');
    const n = new RtmpClock();
    n.to90k('video', 0);
    assert.equal(n.to90k('audio', 0xfffffff0), 0, 'never negative');
  });

  test('H.264 + AAC through our FLV muxer and back: units, key flags, SPS/PPS on key frames, timestamps, composition time', { skip }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtmp-conv-'));
    try {
      const clip = encodeVideo(dir, 'h264', '320x240', 2);
      const asc = audioSpecificConfig(2, 44100, 2);
      const aac: AudioClip = { params: { codec: 'aac', sampleRate: 44100, channels: 2, config: asc }, units: Array.from({ length: 80 }, (_, i) => Buffer.from([0x21, i])), samples: 1024 };
      const frames = clipFrames(clip, aac);
      // give every 3rd picture a composition offset of 80 ms so the CompositionTime field is exercised
      frames.forEach((f, i) => {
        if (f.track === 'video' && i % 3 === 1) frames[i] = { ...f, pts: f.pts + 7200 };
      });
      const conv = new RtmpMediaConverter();
      const out: Frame[] = [];
      for (const t of flvTagsOf(frames)) {
        const f = t.type === 9 ? conv.videoFrame(t.timestamp, t.data) : t.type === 8 ? conv.audioFrame(t.timestamp, t.data) : undefined;
        if (f) out.push(f);
      }
      const vin = frames.filter((f): f is VideoFrame => f.track === 'video');
      const vout = out.filter((f): f is VideoFrame => f.track === 'video');
      assert.equal(vout.length, vin.length);
      vout.forEach((f, i) => {
        assert.equal(f.codec, 'h264');
        assert.equal(f.key, vin[i].key, `key flag of ${i}`);
        assert.equal(f.dts, vin[i].dts, `dts of ${i}`);
        assert.equal(f.pts, vin[i].pts, `pts of ${i}`);
        assert.deepEqual(sampleUnits('h264', f.units), sampleUnits('h264', vin[i].units));
        if (f.key) assert.deepEqual(f.units.slice(0, 2).map(h264Type), [7, 8], 'key frame starts with SPS, PPS');
        else assert.ok(!f.units.some((u) => h264Type(u) === 7));
      });
      const aout = out.filter((f): f is AudioFrame => f.track === 'audio');
      assert.equal(aout.length, 80);
      assert.deepEqual(aout[0].params, { codec: 'aac', sampleRate: 44100, channels: 2, config: asc });
      assert.deepEqual(aout[5].units, [Buffer.from([0x21, 5])]);
      for (let i = 1; i < aout.length; i++) assert.ok(aout[i].dts > aout[i - 1].dts);
      assert.equal(conv.stats.dropped, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('H.265 as Enhanced RTMP (hvc1 SequenceStart / CodedFrames(X)) and G.711', { skip }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtmp-conv-'));
    try {
      const clip = encodeVideo(dir, 'h265', '320x240', 1);
      const alaw = encodeG711a(dir, 1);
      const frames = clipFrames(clip, alaw);
      const tags = flvTagsOf(frames);
      assert.ok(tags.some((t) => t.type === 9 && (t.data[0] & 0x80) !== 0 && t.data.toString('latin1', 1, 5) === 'hvc1'), 'enhanced tags');
      const conv = new RtmpMediaConverter();
      const out = tags.map((t) => (t.type === 9 ? conv.videoFrame(t.timestamp, t.data) : t.type === 8 ? conv.audioFrame(t.timestamp, t.data) : undefined)).filter((f) => !!f);
      const v = out.filter((f) => f.track === 'video');
      assert.equal(v.length, clip.aus.length);
      assert.equal(v[0].codec, 'h265');
      assert.ok(v[0].key);
      assert.deepEqual(v[0].units.slice(0, 3).map(h265Type), [32, 33, 34], 'VPS, SPS, PPS in front of the IRAP picture');
      assert.deepEqual(v.map((f) => f.key), clip.keys);
      const a = out.filter((f) => f.track === 'audio');
      assert.equal(a.length, alaw.units.length);
      assert.deepEqual(a[0].params, { codec: 'g711a', sampleRate: 8000, channels: 1 });
      assert.ok(a[3].units[0].equals(alaw.units[3]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('drops what it cannot use, never throws: AAC before its config, other codecs, command frames, garbage', () => {
    const conv = new RtmpMediaConverter();
    assert.equal(conv.audioFrame(0, Buffer.from([0xaf, 1, 0x21, 0x00])), undefined, 'AAC raw before the sequence header');
    assert.equal(conv.audioFrame(0, Buffer.from([0x2f, 0xff, 0xfb])), undefined, 'MP3');
    assert.ok(conv.unsupported.has('audio format 2'));
    assert.equal(conv.videoFrame(0, Buffer.from([0x52, 0x00])), undefined, 'command frame (legacy)');
    assert.equal(conv.videoFrame(0, Buffer.from([0x22, 0x00, 0x00])), undefined, 'Sorenson H.263');
    assert.ok(conv.unsupported.has('video 2'));
    // Annex-B start codes inside an AVC NALU packet (seen from broken encoders)
    const annexb = conv.videoFrame(40, Buffer.concat([Buffer.from([0x17, 1, 0, 0, 0]), Buffer.from([0, 0, 0, 1, 0x65, 0x88, 0x84, 0, 0, 0, 1, 0x65, 0x99])]));
    assert.ok(annexb?.key);
    assert.deepEqual(annexb?.units.map(h264Type), [5, 5]);
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(Array.from({ length: rnd() % 40 }, rnd));
      if (b.length) b[0] = [0x17, 0x27, 0x1c, 0x90, 0x91, 0x93, 0xaf, 0x7e, 0x8e][i % 9] ?? b[0];
      conv.videoFrame(i, b);
      conv.audioFrame(i, b);
    }
    assert.ok(conv.stats.dropped > 100);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// A small RTMP publisher built on our own chunk layer, for what ffmpeg 5.1 cannot do (HEVC) and for misbehaviour.

class TestPublisher {
  readonly reader = new ChunkReader();
  readonly writer = new ChunkWriter();
  readonly received: RtmpMessage[] = [];
  readonly closed: Promise<void>;
  isClosed = false;
  private shaken = false;
  private readonly hs = new ClientHandshake();
  private tid = 1;
  streamId = 0;

  private constructor(readonly socket: net.Socket) {
    this.closed = new Promise((resolve) => socket.on('close', () => ((this.isClosed = true), resolve())));
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      const step = this.hs.push(d);
      if (step.out) socket.write(step.out);
      if (!step.done) return;
      this.shaken = true;
      this.received.push(...this.reader.push(step.rest));
    });
  }

  /** Connects and completes the handshake. */
  static async open(port: number): Promise<TestPublisher> {
    const s = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
    const p = new TestPublisher(s);
    s.write(p.hs.start());
    await until('handshake', () => p.shaken || p.isClosed);
    assert.equal(p.shaken, true, 'handshake done');
    return p;
  }

  send(m: RtmpMessage): void {
    this.socket.write(this.writer.write(m));
  }

  async waitFor(what: string, pred: (m: RtmpMessage) => boolean, ms = 5000): Promise<RtmpMessage> {
    let found: RtmpMessage | undefined;
    await until(what, () => !!(found = this.received.find(pred)) || this.isClosed, ms);
    if (!found) throw new Error(`connection closed while waiting for ${what}`);
    return found;
  }

  async call(name: string, obj: Parameters<typeof commandMessage>[3], ...args: Parameters<typeof commandMessage>[4][]) {
    const tid = ++this.tid;
    this.send(commandMessage(0, name, tid, obj, ...args));
    const m = await this.waitFor(`${name} result`, (m) => m.type === MessageType.COMMAND_AMF0 && decodeCommand(m.payload).transactionId === tid);
    return decodeCommand(m.payload);
  }

  /** connect + createStream + publish; returns the onStatus code. `early` is sent right after publish (not waiting). */
  connectResult?: ReturnType<typeof decodeCommand>;

  async publish(app: string, name: string, early: RtmpMessage[] = [], connectExtra: Record<string, string[]> = {}): Promise<string> {
    const c = await this.call('connect', { app, type: 'nonprivate', tcUrl: `rtmp://127.0.0.1/${app}`, ...connectExtra });
    assert.equal(c.name, '_result');
    this.connectResult = c;
    this.send(setChunkSizeMessage(4096));
    this.writer.setChunkSize(4096);
    const r = await this.call('createStream', null);
    this.streamId = r.args[0] as number;
    this.send(commandMessage(this.streamId, 'publish', 0, null, name, 'live'));
    for (const m of early) this.send({ ...m, streamId: this.streamId });
    const st = await this.waitFor('onStatus', (m) => m.type === MessageType.COMMAND_AMF0 && decodeCommand(m.payload).name === 'onStatus');
    return (decodeCommand(st.payload).args[0] as { code: string }).code;
  }

  media(tags: FlvTag[]): RtmpMessage[] {
    return tags
      .filter((t) => t.type === 8 || t.type === 9)
      .map((t) => ({ csid: t.type === 8 ? 4 : 6, type: t.type, streamId: this.streamId, timestamp: t.timestamp, payload: t.data }));
  }

  close(): void {
    this.socket.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------------------

interface Run {
  code: number | null;
  stderr: string;
}

function ffmpegPublish(url: string, seconds = 4): Promise<Run> {
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=44100', '-t', String(seconds), '-c:v', 'libx264', '-g', '25', '-bf', '0', '-c:a', 'aac', '-f', 'flv', url];
  return new Promise((resolve) => {
    const p = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

interface Probed {
  codec_name: string;
  codec_type: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  nb_read_frames?: string;
}

function ffprobe(file: string): Promise<Probed[]> {
  return new Promise((resolve, reject) =>
    execFile('ffprobe', ['-v', 'error', '-show_streams', '-count_frames', '-of', 'json', file], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`ffprobe: ${err.message} ${stderr}`));
      resolve((JSON.parse(stdout) as { streams: Probed[] }).streams);
    }),
  );
}

/** Records what the RTMP side pushes into a stream (before the hub's re-basing), with arrival times. */
function record(s: Stream): { frames: Frame[]; at: number[] } {
  const rec = { frames: [] as Frame[], at: [] as number[] };
  const push = s.push.bind(s);
  s.push = (f: Frame) => {
    rec.frames.push(f);
    rec.at.push(Date.now());
    push(f);
  };
  return rec;
}

describe('RTMP server (ffmpeg and a hand-made client publishing)', { skip }, () => {
  const log = pino({ level: process.env.RTMP_TEST_LOG ?? 'silent' });
  const hub = new Hub({ lingerMs: 600_000, stallMs: 600_000 });
  const started: RtmpPublishRequest[] = [];
  const ended: { req: RtmpPublishRequest; reason: string }[] = [];
  const authorized: string[] = [];
  let server: RtmpServer;
  let dir: string;
  const IDLE_MS = 1500;
  const streamFor = (channelId: string): Stream => hub.open({ key: `live/${channelId}/main`, channelId, kind: 'live', variant: 'main' });
  const url = (name: string, key = KEY) => `rtmp://127.0.0.1:${server.port}/live/${name}?key=${key}`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rtmp-in-'));
    server = await RtmpServer.listen({
      host: '127.0.0.1',
      port: 0,
      log,
      idleTimeoutMs: IDLE_MS,
      authorize: async (req) => {
        authorized.push(req.name);
        await sleep(5); // like a database look-up
        if (req.app !== 'live') return { error: `unknown application ${req.app}`, code: 'BadName' };
        if (req.query.get('key') !== KEY) return { error: 'wrong push key' };
        return { stream: streamFor(req.name) };
      },
      onPublishStart: (req) => started.push(req),
      onPublishEnd: (req, reason) => ended.push({ req, reason }),
    });
  });

  after(async () => {
    await server?.close();
    hub.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const CH = '34020000001320000001';

  test('ffmpeg publishes H.264 + AAC: params, 25 fps, audio, monotonic timestamps, SPS/PPS on key frames, FLV out checks with ffprobe', async (t) => {
    const stream = streamFor(CH);
    const rec = record(stream);
    const flvOut: Buffer[] = [];
    stream.attach(new FlvSink(sharedFlvFor(stream), { write: (b) => flvOut.push(b), backlog: () => 0, end: () => {} }), { protocol: 'internal' });
    const hubDts: number[] = [];
    stream.on('frame', (f) => f.track === 'video' && hubDts.push(f.dts));
    let peakPublishing = 0;
    const watch = setInterval(() => (peakPublishing = Math.max(peakPublishing, server.stats().publishing)), 50);
    const run = await ffmpegPublish(url(CH));
    clearInterval(watch);
    assert.equal(run.code, 0, run.stderr);
    await until('onPublishEnd', () => ended.some((e) => e.req.name === CH));

    assert.equal(peakPublishing, 1);
    const st = started.find((r) => r.name === CH)!;
    assert.equal(st.app, 'live');
    assert.equal(st.query.get('key'), KEY);
    assert.match(st.remote, /^127\.0\.0\.1:\d+$/);
    assert.ok(['unpublished', 'disconnected'].includes(ended.find((e) => e.req.name === CH)!.reason));

    const p = stream.params;
    assert.equal(p.video?.codec, 'h264');
    assert.equal(p.video?.width, 640);
    assert.equal(p.video?.height, 360);
    assert.equal(p.audio?.codec, 'aac');
    assert.equal(p.audio?.sampleRate, 44100);
    assert.ok(p.audio?.channels === 1 || p.audio?.channels === 2);
    assert.ok(p.audio?.config?.length);

    const video = rec.frames.filter((f): f is VideoFrame => f.track === 'video');
    const audio = rec.frames.filter((f): f is AudioFrame => f.track === 'audio');
    const vAt = rec.at.filter((_, i) => rec.frames[i].track === 'video');
    // ffmpeg -re paces the input; x264's lookahead delays the output and flushes its last pictures at once at the end,
    // so the real-time rate is measured over the first 70 pictures
    const fps = (70 * 1000) / (vAt[70] - vAt[0]);
    t.diagnostic(`arrivals: ${vAt.map((x) => x - vAt[0]).filter((_, i) => i % 10 === 0).join(' ')}`);
    t.diagnostic(`video ${video.length} frames (${fps.toFixed(1)} fps by arrival of the first 70), audio ${audio.length} frames, ${server.stats().bytesIn} bytes in`);
    assert.ok(video.length >= 95 && video.length <= 101, `video frames: ${video.length}`);
    assert.ok(fps > 21 && fps < 29, `arrival rate ${fps}`);
    assert.ok(audio.length >= 160 && audio.length <= 180, `audio frames: ${audio.length}`);
    for (let i = 1; i < video.length; i++) {
      assert.equal(video[i].dts - video[i - 1].dts, 3600, `video dts step at ${i}`);
      assert.equal(video[i].pts, video[i].dts, 'no B-frames: pts = dts');
    }
    for (let i = 1; i < audio.length; i++) assert.ok(audio[i].dts > audio[i - 1].dts, `audio dts at ${i}`);
    assert.ok(audio.every((a) => a.params?.codec === 'aac' && a.params.config));
    const keys = video.filter((f) => f.key);
    assert.ok(video[0].key, 'starts with a key frame');
    assert.ok(keys.length >= 4 && keys.length <= 5, `key frames: ${keys.length}`);
    for (const k of keys) {
      const types = k.units.map(h264Type);
      assert.ok(types.includes(7) && types.includes(8) && types.includes(5), `key frame units ${types}`);
      assert.ok(types.indexOf(7) < types.indexOf(5) && types.indexOf(8) < types.indexOf(5));
    }
    for (let i = 1; i < hubDts.length; i++) assert.ok(hubDts[i] > hubDts[i - 1]);

    // what an FLV reader of the hub stream got, checked by ffprobe
    const file = join(dir, 'out.flv');
    writeFileSync(file, Buffer.concat(flvOut));
    const probed = await ffprobe(file);
    const v = probed.find((s) => s.codec_type === 'video')!;
    const a = probed.find((s) => s.codec_type === 'audio');
    t.diagnostic(`ffprobe: ${v.codec_name} ${v.width}x${v.height} ${v.nb_read_frames} frames; audio ${a?.codec_name} ${a?.sample_rate} Hz ${a?.nb_read_frames} frames`);
    assert.equal(v.codec_name, 'h264');
    assert.equal(v.width, 640);
    assert.equal(v.height, 360);
    assert.equal(Number(v.nb_read_frames), video.length);
    assert.equal(a?.codec_name, 'aac');
    assert.equal(a?.sample_rate, '44100');
  });

  test('wrong key: ffmpeg fails to publish, counted as rejected, no publish start', async () => {
    const before = server.stats().rejected;
    const startsBefore = started.length;
    const run = await ffmpegPublish(url('34020000001320000009', 'nope'), 2);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /wrong push key/, 'ffmpeg shows our reason');
    assert.equal(server.stats().rejected, before + 1);
    assert.equal(started.length, startsBefore);
    assert.ok(authorized.includes('34020000001320000009'));
    // unknown application: refused too
    const pub = await TestPublisher.open(server.port);
    assert.equal(await pub.publish('vod', `${CH}?key=${KEY}`), 'NetStream.Publish.BadName');
    await pub.closed;
    assert.equal(server.stats().rejected, before + 2);
  });

  test('a client that connects and sends nothing is closed after idleTimeoutMs; so is one that stops after connect', async () => {
    const t0 = Date.now();
    const s = net.connect(server.port, '127.0.0.1');
    s.on('error', () => {});
    await new Promise((r) => s.on('close', r));
    const waited = Date.now() - t0;
    assert.ok(waited >= IDLE_MS - 50 && waited < IDLE_MS + 1000, `closed after ${waited} ms`);
    const pub = await TestPublisher.open(server.port);
    await pub.call('connect', { app: 'live' });
    const t1 = Date.now();
    await pub.closed;
    assert.ok(Date.now() - t1 < IDLE_MS + 1000);
  });

  test('garbage is cut off at once (before and after the handshake); the server then still serves ffmpeg, timestamps continue', async () => {
    for (const junk of [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.alloc(4000, 0xff)]) {
      const s = net.connect(server.port, '127.0.0.1');
      s.on('error', () => {});
      await new Promise((r) => s.once('connect', r));
      const t0 = Date.now();
      s.write(junk);
      await new Promise((r) => s.on('close', r));
      assert.ok(Date.now() - t0 < 500, 'closed right away');
    }
    // a valid handshake followed by random chunk-stream bytes
    const pub = await TestPublisher.open(server.port);
    await pub.call('connect', { app: 'live' });
    pub.socket.write(Buffer.from([0x44, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
    const t1 = Date.now();
    await pub.closed;
    assert.ok(Date.now() - t1 < 500);

    const stream = streamFor(CH); // the stream of the first test: a new source into it
    const hubDts: number[] = [];
    stream.on('frame', (f) => f.track === 'video' && hubDts.push(f.dts));
    const lastBefore = stream.stats().frames;
    const run = await ffmpegPublish(url(CH), 2);
    assert.equal(run.code, 0, run.stderr);
    await until('second publish end', () => ended.filter((e) => e.req.name === CH).length === 2);
    assert.ok(stream.stats().frames - lastBefore >= 70);
    for (let i = 1; i < hubDts.length; i++) assert.ok(hubDts[i] > hubDts[i - 1], 'hub timestamps keep growing across the re-publish');
  });

  test('HEVC over Enhanced RTMP (hand-made client): h265 params, VPS/SPS/PPS on key frames; media sent before Publish.Start is kept', async () => {
    const clip = encodeVideo(dir, 'h265', '640x360', 2);
    const name = '34020000001320000002';
    const stream = streamFor(name);
    const rec = record(stream);
    const pub = await TestPublisher.open(server.port);
    const tags = flvTagsOf(clipFrames(clip, undefined, 90_000));
    pub.streamId = 1; // the id createStream will hand out on a fresh connection
    const early = pub.media(tags.slice(0, 5)); // sequence header + first pictures right behind the publish command
    assert.equal(await pub.publish('live', `${name}?key=${KEY}`, early, { fourCcList: ['hvc1', 'av01'] }), 'NetStream.Publish.Start');
    assert.deepEqual((pub.connectResult!.object as { fourCcList: string[] }).fourCcList, ['avc1', 'hvc1'], 'Enhanced RTMP: the server says what it takes');
    for (const m of pub.media(tags.slice(5))) pub.send(m);
    await until('all pictures', () => rec.frames.length === clip.aus.length);
    assert.equal(stream.params.video?.codec, 'h265');
    assert.equal(stream.params.video?.width, 640);
    assert.equal(stream.params.video?.height, 360);
    const v = rec.frames as VideoFrame[];
    assert.deepEqual(v.map((f) => f.key), clip.keys);
    for (const k of v.filter((f) => f.key)) assert.deepEqual(k.units.slice(0, 3).map(h265Type), [32, 33, 34]);
    // ping
    pub.send(userControlMessage(UserControl.PING_REQUEST, 4242));
    const pong = await pub.waitFor('ping response', (m) => m.type === MessageType.USER_CONTROL && parseUserControl(m.payload).event === UserControl.PING_RESPONSE);
    assert.equal(parseUserControl(pong.payload).value, 4242);
    // unpublish: deleteStream, the connection stays
    pub.send(commandMessage(0, 'deleteStream', 0, null, pub.streamId));
    await until('publish end', () => ended.some((e) => e.req.name === name));
    assert.equal(ended.find((e) => e.req.name === name)!.reason, 'unpublished');
    assert.equal(pub.isClosed, false);
    assert.equal(server.stats().publishing, 0);
    pub.close();
  });

  test('one publisher per stream: a second publish is refused with BadName while the first goes on (H.264 + G.711)', async () => {
    const clip = encodeVideo(dir, 'h264', '320x240', 1);
    const alaw = encodeG711a(dir, 1);
    const name = '34020000001320000003';
    const stream = streamFor(name);
    const a = await TestPublisher.open(server.port);
    assert.equal(await a.publish('live', `${name}?key=${KEY}`), 'NetStream.Publish.Start');
    a.send(windowAckSizeMessage(5000)); // the client wants an Acknowledgement every 5000 bytes
    let sent = 0;
    for (const m of a.media(flvTagsOf(clipFrames(clip, alaw)))) {
      a.send(m);
      sent += m.payload.length;
    }
    assert.ok(sent > 20_000);
    // (one Acknowledgement per read at most: its sequence number covers every window crossed)
    const acks = () => a.received.filter((m) => m.type === MessageType.ACKNOWLEDGEMENT).map((m) => m.payload.readUInt32BE(0));
    await until('acknowledgements up to what was sent', () => acks().length > 0 && acks()[acks().length - 1] > sent - 5000);
    for (let i = 1; i < acks().length; i++) assert.ok(acks()[i] - acks()[i - 1] >= 5000, 'acknowledged per window');
    await until('stream live', () => !!stream.params.video && !!stream.params.audio);
    assert.deepEqual(stream.params.audio, { codec: 'g711a', sampleRate: 8000, channels: 1 });
    const rejected = server.stats().rejected;
    const b = await TestPublisher.open(server.port);
    assert.equal(await b.publish('live', `${name}?key=${KEY}`), 'NetStream.Publish.BadName');
    await b.closed;
    assert.equal(server.stats().rejected, rejected + 1);
    assert.equal(server.stats().publishing, 1);
    assert.equal(a.isClosed, false);
    assert.equal(ended.some((e) => e.req.name === name), false, 'the refused publish does not end the running one');
    // the hub ends the stream: the publisher is let go
    hub.remove(stream.key, 'test');
    await a.closed;
    await until('publish end', () => ended.some((e) => e.req.name === name));
    assert.equal(ended.find((e) => e.req.name === name)!.reason, 'stream ended');
  });

  test('play is refused; a silent publisher is closed after idleTimeoutMs', async () => {
    const p = await TestPublisher.open(server.port);
    await p.call('connect', { app: 'live' });
    const r = await p.call('createStream', null);
    p.send(commandMessage(r.args[0] as number, 'play', 0, null, CH));
    const st = await p.waitFor('onStatus', (m) => m.type === MessageType.COMMAND_AMF0 && decodeCommand(m.payload).name === 'onStatus');
    assert.equal((decodeCommand(st.payload).args[0] as { level: string }).level, 'error');
    await p.closed;

    const name = '34020000001320000004';
    const q = await TestPublisher.open(server.port);
    assert.equal(await q.publish('live', `${name}?key=${KEY}`), 'NetStream.Publish.Start');
    const t0 = Date.now();
    await q.closed;
    assert.ok(Date.now() - t0 >= IDLE_MS - 100);
    await until('publish end', () => ended.some((e) => e.req.name === name));
    assert.equal(ended.find((e) => e.req.name === name)!.reason, 'timeout');
  });

  test('messages above maxMessageBytes close the connection; a 1 MiB key frame below it is fine; before publish only small ones', async () => {
    const small = await RtmpServer.listen({ host: '127.0.0.1', port: 0, log, maxMessageBytes: 2 << 20, authorize: async (req) => ({ stream: streamFor(req.name) }) });
    try {
      const p = await TestPublisher.open(small.port);
      assert.equal(await p.publish('live', '34020000001320000005'), 'NetStream.Publish.Start');
      p.send({ csid: 6, type: 9, streamId: p.streamId, timestamp: 0, payload: Buffer.concat([Buffer.from([0x27, 1, 0, 0, 0]), Buffer.alloc(1 << 20)]) });
      await sleep(200);
      assert.equal(p.isClosed, false);
      // only the header of a 3 MiB message: refused before any of it is buffered
      const header = new ChunkWriter().write({ csid: 7, type: 9, streamId: p.streamId, timestamp: 0, payload: Buffer.alloc(3 << 20) }).subarray(0, 12);
      p.socket.write(header);
      await p.closed;
      // not publishing yet: a 100 KiB "command" is refused
      const q = await TestPublisher.open(small.port);
      await q.call('connect', { app: 'live' });
      q.send(commandMessage(0, 'releaseStream', 2, null, 'x'.repeat(100 * 1024)));
      await q.closed;
      await until('no connections', () => small.stats().connections === 0);
    } finally {
      await small.close();
    }
  });

  test('a failing authorize cannot take the server down: throws → Unauthorized, nonsense result → closed', async () => {
    let mode = 'throw';
    const odd = await RtmpServer.listen({
      host: '127.0.0.1',
      port: 0,
      log,
      authorize: async () => {
        if (mode === 'throw') throw new Error('database down');
        return {} as { error: string };
      },
    });
    try {
      const a = await TestPublisher.open(odd.port);
      assert.equal(await a.publish('live', 'x'), 'NetStream.Publish.Unauthorized');
      await a.closed;
      mode = 'nonsense';
      const b = await TestPublisher.open(odd.port);
      await b.call('connect', { app: 'live' });
      b.send(commandMessage(1, 'publish', 0, null, 'x', 'live'));
      await b.closed;
      assert.equal(odd.stats().publishing, 0);
    } finally {
      await odd.close();
    }
  });

  test('maxConnections: connections beyond it are refused and counted', async () => {
    const tiny = await RtmpServer.listen({ host: '127.0.0.1', port: 0, log, maxConnections: 1, authorize: async () => ({ error: 'no' }) });
    try {
      const a = net.connect(tiny.port, '127.0.0.1');
      a.on('error', () => {});
      await new Promise((r) => a.once('connect', r));
      await until('first accepted', () => tiny.stats().connections === 1);
      const b = net.connect(tiny.port, '127.0.0.1');
      b.on('error', () => {});
      await new Promise((r) => b.on('close', r));
      assert.equal(tiny.stats().rejected, 1);
      a.destroy();
      await until('closed', () => tiny.stats().connections === 0);
    } finally {
      await tiny.close();
    }
  });

  test('close(): publishers end with "server closing", no sockets are left behind', async () => {
    const name = '34020000001320000006';
    const p = await TestPublisher.open(server.port);
    assert.equal(await p.publish('live', `${name}?key=${KEY}`), 'NetStream.Publish.Start');
    await server.close();
    await p.closed;
    assert.equal(ended.find((e) => e.req.name === name)?.reason, 'server closing');
    assert.deepEqual(server.stats().connections, 0);
    await sleep(50);
    const now = process.getActiveResourcesInfo();
    assert.equal(count(now, /TCP/), 0, `left over: ${now.join(', ')}`); // TCPSocketWrap / TCPServerWrap
    assert.equal(count(now, /Process/), 0, `left over: ${now.join(', ')}`); // ffmpeg children
    assert.ok(count(now, /Pipe/) <= count(baseline, /Pipe/), `left over: ${now.join(', ')}`);
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../src/core/logger.js';
import type { Frame } from '../../src/lib/av/frame.js';
import { h264Params, isH264Keyframe, splitAnnexB } from '../../src/lib/h264/index.js';
import { PsMuxer } from '../../src/lib/ps/index.js';
import { frame4571, packetizePs } from '../../src/lib/rtp/index.js';
import { LocalMediaNode } from '../../src/media/local-node.js';

// A misbehaving sender must never hurt the stream or the process: garbage, foreign SSRCs, silent TCP peers,
// absurd frames. Input bytes: the committed x264 fixture, muxed as cameras do.

const here = path.dirname(fileURLToPath(import.meta.url));
const es = readFileSync(path.join(here, '..', 'fixtures', 'media', 'h264-640x360-25fps-gop25.h264'));

/** The fixture as access units (AUD/SPS/... grouped before each picture). */
function accessUnits(): Frame[] {
  const nals = splitAnnexB(es);
  const frames: Frame[] = [];
  let cur: Buffer[] = [];
  for (const n of nals) {
    cur.push(n);
    const t = n[0] & 0x1f;
    if (t === 1 || t === 5) {
      frames.push({ track: 'video', codec: 'h264', pts: frames.length * 3600, dts: frames.length * 3600, key: isH264Keyframe(cur), units: cur });
      cur = [];
    }
  }
  return frames;
}

const FRAMES = accessUnits();
const PARAMS = { video: h264Params(FRAMES[0].units)! };

function rtpOf(ssrc: number, seqState = { value: 1 }) {
  const mux = new PsMuxer(PARAMS);
  return (f: Frame, shift = 0) => packetizePs(mux.mux({ ...f, pts: f.pts + shift, dts: f.dts + shift } as Frame), { ssrc, payloadType: 96, seq: seqState, timestamp: f.pts + shift });
}

let node: LocalMediaNode;
before(() => {
  node = new LocalMediaNode({ id: 'test', bindHost: '127.0.0.1', portRange: { min: 42000, max: 42100 }, lingerMs: 60_000, stallMs: 60_000, tcpIdleMs: 500, log: createLogger('silent') });
});
after(() => node.close());

const ref = (n: number) => ({ key: `live/3402000000132000000${n}/main`, channelId: `3402000000132000000${n}`, kind: 'live' as const, variant: 'main' });

test('garbage and foreign SSRCs on the RTP port are dropped; the stream decodes every frame', async () => {
  const r = ref(1);
  const port = await node.openReceive({ stream: r, transport: 'udp', ssrc: 200001 });
  await node.confirmReceive(r.key, { ssrc: 200001 });
  const sock = dgram.createSocket('udp4');
  const good = rtpOf(200001);
  const evil = rtpOf(999);
  const send = (b: Buffer) => new Promise<void>((res) => sock.send(b, port.port, '127.0.0.1', () => res()));
  for (const f of FRAMES) {
    for (const p of good(f)) await send(p);
    await send(Buffer.from('this is not RTP at all'));
    await send(Buffer.alloc(3));
    for (const p of evil(f, 123456)) await send(p);
  }
  await new Promise((res) => setTimeout(res, 200));
  sock.close();
  const info = (await node.stream(r.key))!;
  assert.equal(info.state, 'live');
  assert.equal(info.width, 640);
  assert.ok(info.frames >= FRAMES.length - 1, `frames ${info.frames} of ${FRAMES.length}`);
  assert.ok(info.packets!.badSsrc > 0, 'foreign SSRC counted');
  assert.equal(info.packets!.lost, 0);
  await node.closeStream(r.key, 'test');
});

test('a TCP peer that connects and sends nothing is dropped; a good one after it is served', async () => {
  const r = ref(2);
  const port = await node.openReceive({ stream: r, transport: 'tcp-passive', ssrc: 200002 });
  await node.confirmReceive(r.key, { ssrc: 200002 });
  const silent = net.connect(port.port, '127.0.0.1');
  const closed = new Promise<number>((res) => {
    const t0 = Date.now();
    silent.on('close', () => res(Date.now() - t0));
  });
  silent.on('error', () => {});
  let timer: NodeJS.Timeout | undefined;
  const ms = await Promise.race([closed, new Promise<number>((res) => (timer = setTimeout(() => res(-1), 10_000)))]);
  clearTimeout(timer);
  assert.ok(ms >= 400 && ms < 3000, `silent peer dropped after ${ms} ms`);
  const good = net.connect(port.port, '127.0.0.1');
  await new Promise((res, rej) => {
    good.once('connect', res);
    good.once('error', rej);
  });
  const rtp = rtpOf(200002);
  for (const f of FRAMES.slice(0, 30)) for (const p of rtp(f)) good.write(frame4571(p));
  await new Promise((res) => setTimeout(res, 300));
  const info = (await node.stream(r.key))!;
  assert.equal(info.state, 'live');
  assert.ok(info.frames >= 29, `frames ${info.frames}`);
  good.destroy();
  await node.closeStream(r.key, 'test');
});

test('a TCP peer sending a broken length prefix and a giant frame cannot grow memory or stop the node', async () => {
  const r = ref(3);
  const port = await node.openReceive({ stream: r, transport: 'tcp-passive', ssrc: 200003 });
  const sock = net.connect(port.port, '127.0.0.1');
  sock.on('error', () => {});
  await new Promise((res) => sock.once('connect', res));
  const before = process.memoryUsage().rss;
  // 64 MB of one "frame": PS pack + a PES that never ends, in valid RTP
  const rtp = rtpOf(200003);
  const first = rtp(FRAMES[0]);
  for (const p of first) sock.write(frame4571(p));
  const junk = Buffer.alloc(1400, 0x11);
  let seq = 1000;
  for (let i = 0; i < 48_000; i++) {
    const h = Buffer.alloc(12);
    h[0] = 0x80;
    h[1] = 96;
    h.writeUInt16BE(seq++ & 0xffff, 2);
    h.writeUInt32BE(7200, 4);
    h.writeUInt32BE(200003, 8);
    if (!sock.write(frame4571(Buffer.concat([h, junk])))) await new Promise((res) => sock.once('drain', res));
  }
  await new Promise((res) => setTimeout(res, 300));
  const grown = (process.memoryUsage().rss - before) / 1048576;
  // The sender lives in this process too and allocates ~67 MB of packets (measured growth 30-55 MB without any
  // buffering in the node); holding the 64 MB "frame" would add 64 MB on top of that.
  assert.ok(grown < 100, `RSS grew ${grown.toFixed(0)} MB for 64 MB of garbage`);
  sock.destroy();
  // the node still opens streams
  const again = await node.openReceive({ stream: ref(4), transport: 'udp', ssrc: 1 });
  assert.ok(again.port > 0);
  await node.closeStream(ref(4).key, 'test');
  await node.closeStream(r.key, 'test');
});

// Payloads other than PS, sent by ffmpeg (an independent RTP sender): RFC 6184 H.264 and MPEG-TS in RTP.
import { spawn, spawnSync } from 'node:child_process';

const HAVE_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;

async function ffmpegInto(port: number, ssrc: number, format: 'rtp' | 'rtp_mpegts', codec = 'libx264', seconds = 3): Promise<void> {
  const p = spawn('ffmpeg', ['-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', String(seconds), '-c:v', codec, '-g', '25', '-bf', '0', '-pix_fmt', 'yuv420p', '-ssrc', String(ssrc), '-payload_type', '96', '-f', format, `rtp://127.0.0.1:${port}?pkt_size=1200`], { stdio: 'ignore' });
  await new Promise((res) => p.on('exit', res));
}

for (const [name, format, rtpmap, codec, want] of [
  ['RFC 6184 H.264 (PT announced as H264)', 'rtp', { 96: 'H264' }, 'libx264', 'h264'],
  ['RFC 7798 H.265 (PT announced as H265)', 'rtp', { 96: 'H265' }, 'libx265', 'h265'],
  // ffmpeg's rtp_mpegts ignores -ssrc: this also shows a device whose SSRC differs from its answer being accepted
  // once nothing else arrives for 3 s
  ['MPEG-TS in RTP (sniffed, no rtpmap, foreign SSRC)', 'rtp_mpegts', undefined, 'libx264', 'h264'],
] as const) {
  test(`ingest: ${name} from ffmpeg`, { skip: !HAVE_FFMPEG && 'ffmpeg missing' }, async () => {
    const n = name.includes('7798') ? 6 : name.includes('TS') ? 7 : 5;
    const r = ref(n);
    const ssrc = 300000 + n;
    const port = await node.openReceive({ stream: r, transport: 'udp', ssrc });
    await node.confirmReceive(r.key, { ssrc, rtpmap: rtpmap as Record<number, string> | undefined });
    await ffmpegInto(port.port, ssrc, format, codec, format === 'rtp_mpegts' ? 7 : 3);
    const info = (await node.stream(r.key))!;
    assert.equal(info.state, 'live', JSON.stringify(info));
    assert.deepEqual([info.codec, info.width, info.height], [want, 320, 240]);
    assert.ok(info.frames >= 60, `${info.frames} frames of ~75`);
    await node.closeStream(r.key, 'test');
  });
}

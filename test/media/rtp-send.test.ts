import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/core/logger.js';
import type { Frame } from '../../src/lib/av/frame.js';
import { PsDemuxer } from '../../src/lib/ps/index.js';
import { parseRtp, Rfc4571Framer, type RtpPacket } from '../../src/lib/rtp/index.js';
import { LocalMediaNode } from '../../src/media/local-node.js';
import type { SendEnded, SendInfo, SendTransport } from '../../src/media/node.js';
import { PortPool } from '../../src/media/ingest/port-pool.js';
import { RtpSends } from '../../src/media/out/rtp-sends.js';
import { Hub, type Stream } from '../../src/stream/index.js';
import { alawClip, aacClip, interleave, tempDir, videoClip } from '../fixtures/mux/media.js';
import { HAVE_FFMPEG, probe, type ProbedStream } from '../helpers/media-tools.js';

// PS over RTP to an upper platform (GB/T 28181-2016 附录C/D, cascade): real x264/x265 frames (and AAC / G.711)
// pushed into a hub stream, sent by LocalMediaNode over UDP, TCP active and TCP passive (RFC 4571) to a test socket
// playing the upper; what arrives is checked packet by packet (SSRC, PT, sequence, marker, timestamps), then the
// reassembled PS is read by ffprobe -f mpeg (the independent peer) and by our own PS demuxer, frame for frame.

const silent = createLogger('silent');
const RANGE = { min: 46400, max: 46499 };
const POOL = 50; // even ports in RANGE
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

let chSeq = 0;
function newKey(): { key: string; channelId: string } {
  const channelId = `3402000000132${String(++chSeq).padStart(7, '0')}`;
  return { key: `live/${channelId}/main`, channelId };
}

/** The upper platform's side: packets as they arrive (UDP datagrams, or RFC 4571 frames of one TCP connection). */
interface Upper {
  port: number;
  packets: RtpPacket[];
  /** source port of the datagrams / remote port of the TCP connection */
  from: Set<number>;
  close(): void;
}

async function udpUpper(): Promise<Upper> {
  const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  const u: Upper = { port: 0, packets: [], from: new Set(), close: () => sock.close() };
  sock.on('message', (m, r) => {
    u.from.add(r.port);
    const p = parseRtp(Buffer.from(m));
    if (p) u.packets.push(p);
  });
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));
  u.port = sock.address().port;
  return u;
}

function framedReader(sock: net.Socket, u: Upper): void {
  const framer = new Rfc4571Framer({ onPacket: (p) => {
    const r = parseRtp(Buffer.from(p));
    if (r) u.packets.push(r);
  } });
  sock.on('data', (d) => framer.push(d));
  sock.on('error', () => undefined);
}

/** tcp-active: the upper listens (it offered a=setup:passive). */
async function tcpServerUpper(): Promise<Upper & { connections: number }> {
  const socks: net.Socket[] = [];
  const server = net.createServer();
  const u = {
    port: 0,
    packets: [] as RtpPacket[],
    from: new Set<number>(),
    connections: 0,
    close: () => {
      for (const s of socks) s.destroy();
      server.close();
    },
  };
  server.on('connection', (s) => {
    u.connections++;
    socks.push(s);
    u.from.add(s.remotePort!);
    framedReader(s, u);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  u.port = (server.address() as net.AddressInfo).port;
  return u;
}

/** tcp-passive: the upper connects to our port (it offered a=setup:active). */
async function tcpClientUpper(port: number): Promise<Upper> {
  const sock = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((res, rej) => {
    sock.once('connect', () => res());
    sock.once('error', rej);
  });
  const u: Upper = { port, packets: [], from: new Set([port]), close: () => sock.destroy() };
  framedReader(sock, u);
  return u;
}

/** Pushes frames into the stream about 4× real time (the sender paces nothing: packets go as frames come). */
async function pushPaced(stream: Stream, frames: readonly Frame[]): Promise<void> {
  for (let i = 0; i < frames.length; i++) {
    stream.push(frames[i]);
    if (i % 4 === 3) await sleep(10);
  }
}

interface Received {
  /** one entry per frame (packets up to a marker) */
  frames: { ts: number; packets: RtpPacket[] }[];
  ps: Buffer;
}

/** Checks the RTP layer (GB/T 28181 附录C: PT, SSRC, one sequence, marker ends each frame, one timestamp per frame). */
function checkRtp(packets: RtpPacket[], ssrc: number, pt: number): Received {
  assert.ok(packets.length > 0, 'packets arrived');
  for (let i = 0; i < packets.length; i++) {
    const p = packets[i];
    assert.equal(p.ssrc, ssrc, `SSRC of packet ${i}`);
    assert.equal(p.payloadType, pt, `PT of packet ${i}`);
    assert.ok(p.payload.length > 0 && p.payload.length <= 1400, `payload size ${p.payload.length}`);
    if (i > 0) assert.equal(p.seq, (packets[i - 1].seq + 1) & 0xffff, `sequence continues at packet ${i}`);
  }
  const frames: Received['frames'] = [];
  let cur: RtpPacket[] = [];
  for (const p of packets) {
    if (cur.length) assert.equal(p.timestamp, cur[0].timestamp, 'every packet of a frame has its timestamp');
    cur.push(p);
    if (p.marker) {
      frames.push({ ts: p.timestamp, packets: cur });
      cur = [];
    }
  }
  assert.equal(cur.length, 0, 'the last packet carries the marker');
  return { frames, ps: Buffer.concat(packets.map((p) => p.payload)) };
}

/** Our own demuxer over the received packets, as the ingest would read them (payload + marker). */
function demux(packets: RtpPacket[]): Frame[] {
  const out: Frame[] = [];
  const errors: string[] = [];
  const d = new PsDemuxer({ onFrame: (f) => out.push(f), onError: (code, detail) => errors.push(`${code}: ${detail}`) });
  for (const p of packets) d.push(p.payload, p.marker);
  d.flush();
  assert.deepEqual(errors, [], 'demuxer errors');
  return out;
}

/** The frames a send must deliver: from the last video keyframe pushed before it went live, to the end. */
function expectedFrom(pushed: readonly Frame[], beforeLive: number): Frame[] {
  let k = -1;
  for (let i = 0; i < beforeLive; i++) if (pushed[i].track === 'video' && pushed[i].key) k = i;
  assert.ok(k >= 0);
  return pushed.slice(k);
}

const MOD32 = 2 ** 32;
const MOD33 = 2 ** 33;

function compareFrames(got: Frame[], want: Frame[]): void {
  assert.equal(got.length, want.length, 'frames demuxed');
  const dts0 = want[0].dts;
  const got0 = got[0].dts;
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    assert.equal(g.track, w.track, `track of frame ${i}`);
    assert.equal(g.codec, w.codec, `codec of frame ${i}`);
    if (w.track === 'video') assert.equal(g.key, w.key, `key flag of frame ${i}`);
    assert.equal(g.dts - got0, w.dts - dts0, `dts of frame ${i}`);
    assert.equal(g.pts - g.dts, w.pts - w.dts, `pts − dts of frame ${i}`);
    assert.ok(Buffer.concat([...g.units]).equals(Buffer.concat([...w.units])), `bytes of frame ${i} (${g.track} ${g.units.length} units vs ${w.units.length})`);
  }
}

describe('PS over RTP to an upper platform (cascade send)', { skip: !HAVE_FFMPEG && 'ffmpeg/ffprobe missing (apt-get install ffmpeg)' }, () => {
  let node: LocalMediaNode;
  const ended: SendEnded[] = [];
  const dir = tempDir('sharpeye-rtp-send');
  const available = () => node.load.portsFree;

  before(() => {
    node = new LocalMediaNode({ id: 'send-test', bindHost: '127.0.0.1', portRange: RANGE, lingerMs: 60_000, stallMs: 60_000, log: silent });
    node.on('send.ended', (e) => ended.push(e));
    assert.equal(available(), POOL);
  });

  after(async () => {
    await node.close();
  });

  const endedFor = (id: string) => ended.find((e) => e.id === id);

  /**
   * One send end to end: frames pushed before openSend (GOP cache), between openSend and going live (held), and
   * after; then every check on what the upper got.
   */
  async function roundTrip(t: { diagnostic(m: string): void }, transport: SendTransport, codec: 'h264' | 'h265', audio?: 'aac' | 'g711a', bframes = 0) {
    const clip = videoClip(codec, { seconds: 4, bframes });
    const ac = audio === 'aac' ? aacClip(4) : audio === 'g711a' ? alawClip(4) : undefined;
    // frames carry their format as an ingest's demuxer gives them
    const audioFrames: Frame[] = ac ? ac.frames.map((f) => ({ ...f, params: ac.params })) : [];
    const pushed = interleave<Frame>(clip.frames, audioFrames);
    const { key, channelId } = newKey();
    const stream = node.openPublished({ key, channelId, kind: 'live', variant: 'main' });
    const upperRef: { u?: Upper } = {};
    try {
      await sendAndCheck(t, transport, codec, audio, key, stream, clip, pushed, upperRef);
    } finally {
      upperRef.u?.close();
      await node.closeStream(key, 'test done'); // ends a send a failed check left behind
    }
  }

  async function sendAndCheck(t: { diagnostic(m: string): void }, transport: SendTransport, codec: 'h264' | 'h265', audio: 'aac' | 'g711a' | undefined, key: string, stream: Stream, clip: ReturnType<typeof videoClip>, pushed: Frame[], upperRef: { u?: Upper }) {
    const videoIdx = (n: number) => pushed.findIndex((f) => f.track === 'video' && clip.frames.indexOf(f as never) === n);
    const a = videoIdx(30); // GOP cache then holds frames 25..29 (+ audio)
    const b = videoIdx(40);
    await pushPaced(stream, pushed.slice(0, a));
    const ssrc = 100000000 + chSeq;
    let upper: Upper | undefined;
    let server: Awaited<ReturnType<typeof tcpServerUpper>> | undefined;
    if (transport === 'udp') upper = await udpUpper();
    if (transport === 'tcp-active') upper = server = await tcpServerUpper();
    upperRef.u = upper;
    const opened = await node.openSend({ key, transport, host: transport === 'tcp-passive' ? undefined : '127.0.0.1', port: upper?.port, ssrc, owner: '34020000002000000001' });
    assert.ok(opened.localPort >= RANGE.min && opened.localPort <= RANGE.max, `port ${opened.localPort} from the pool`);
    assert.equal(available(), POOL - 1, 'one pool port in use');
    assert.equal(stream.readerCount, 1, 'the send is a reader of the stream (linger counts it)');
    await pushPaced(stream, pushed.slice(a, b)); // held until live
    assert.equal(upper?.packets.length ?? 0, 0, 'nothing is sent before startSend');
    await node.startSend(opened.id);
    if (transport === 'tcp-passive') upperRef.u = upper = await tcpClientUpper(opened.localPort);
    await until('sending', async () => (await node.sends()).find((s) => s.id === opened.id)?.state === 'sending');
    await pushPaced(stream, pushed.slice(b));
    const want = expectedFrom(pushed, b);
    await until(`${want.length} frames at the upper`, () => upper!.packets.filter((p) => p.marker).length >= want.length);
    await sleep(100); // nothing more must come
    const info = (await node.sends()).find((s) => s.id === opened.id) as SendInfo;
    assert.equal(info.key, key);
    assert.equal(info.transport, transport);
    assert.equal(info.owner, '34020000002000000001');
    assert.equal(info.frames, want.length);
    assert.equal(info.packets, upper!.packets.length);
    if (transport !== 'tcp-passive') assert.deepEqual([...upper!.from], [opened.localPort], 'sent from (udp) / connected from (tcp-active) the answered port');
    if (server) assert.equal(server.connections, 1);

    const rx = checkRtp(upper!.packets, ssrc, 96);
    assert.equal(rx.frames.length, want.length, 'one marker per frame');
    for (let i = 0; i < want.length; i++) assert.equal(rx.frames[i].ts, want[i].dts % MOD32, `RTP timestamp of frame ${i} = its 90 kHz DTS`);
    const vts = rx.frames.filter((_, i) => want[i].track === 'video').map((f) => f.ts);
    for (let i = 1; i < vts.length; i++) assert.ok(((vts[i] - vts[i - 1] + MOD32) % MOD32) < 90_000, 'video timestamps grow');
    // the first bytes are a pack header, system header and PSM: the upper can start decoding at once
    assert.deepEqual([...rx.ps.subarray(0, 4)], [0, 0, 1, 0xba]);
    assert.ok(rx.ps.includes(Buffer.from([0, 0, 1, 0xbb])) && rx.ps.subarray(0, 200).includes(Buffer.from([0, 0, 1, 0xbc])), 'system header + PSM with the keyframe');

    // ffprobe reads the PS as a file
    const file = path.join(dir, `${transport}-${codec}${audio ? `-${audio}` : ''}.ps`);
    writeFileSync(file, rx.ps);
    const streams: ProbedStream[] = await probe(file, { args: ['-f', 'mpeg'] });
    t.diagnostic(`${transport} ${codec}${audio ? `+${audio}` : ''}: ${upper!.packets.length} packets, ${rx.ps.length} PS bytes, ${want.length} frames; ffprobe ${JSON.stringify(streams.map((s) => [s.codec_name, s.width, s.height, s.nb_read_frames]))}`);
    const v = streams.find((s) => s.codec_type === 'video')!;
    assert.equal(v.codec_name, codec === 'h264' ? 'h264' : 'hevc');
    assert.equal(v.width, 640);
    assert.equal(v.height, 360);
    assert.equal(Number(v.nb_read_frames), want.filter((f) => f.track === 'video').length, 'ffprobe decodes every picture');
    if (audio) {
      const s = streams.find((x) => x.codec_type === 'audio');
      assert.ok(s, 'ffprobe finds the audio');
      // FFmpeg 5.1 (Debian 12) maps stream_type 0x90 (GB/T 28181 G.711A, only the PSM says it) to nothing and calls
      // audio stream 0xC0 MPEG audio; our demuxer below (as GB uppers do) reads the PSM and finds G.711A
      assert.equal(s.codec_name, audio === 'aac' ? 'aac' : 'mp2');
      if (audio === 'aac') assert.equal(Number(s.nb_read_frames), want.filter((f) => f.track === 'audio').length, 'ffprobe decodes every AAC frame');
    }
    // and our own demuxer gives back the frames pushed, byte for byte
    compareFrames(demux(upper!.packets), want);

    await node.stopSend(opened.id);
    assert.equal(endedFor(opened.id)?.reason, 'stopped');
    assert.equal(endedFor(opened.id)?.frames, want.length);
    assert.equal(available(), POOL, 'port back in the pool');
    assert.equal(stream.readerCount, 0);
    assert.deepEqual(await node.sends(), []);
  }

  test('UDP: H.264, from the GOP cache on, every frame', (t) => roundTrip(t, 'udp', 'h264'));
  test('UDP: H.265 with B-frames and G.711 A-law', (t) => roundTrip(t, 'udp', 'h265', 'g711a', 2));
  test('TCP active (we connect, RFC 4571): H.264 with B-frames and AAC', (t) => roundTrip(t, 'tcp-active', 'h264', 'aac', 2));
  test('TCP passive (the upper connects, RFC 4571): H.265', (t) => roundTrip(t, 'tcp-passive', 'h265'));

  test('the stream is shared: a second send of the same stream and the source closing end both, ports released', async () => {
    const clip = videoClip('h264');
    const { key, channelId } = newKey();
    const stream = node.openPublished({ key, channelId, kind: 'live', variant: 'main' });
    await pushPaced(stream, clip.frames.slice(0, 10));
    const up1 = await udpUpper();
    const s1 = await node.openSend({ key, transport: 'udp', host: '127.0.0.1', port: up1.port, ssrc: 1 });
    const s2 = await node.openSend({ key, transport: 'tcp-passive', ssrc: 2 });
    await node.startSend(s1.id);
    // this upper connects before its ACK: nothing flows until startSend
    const up2 = await tcpClientUpper(s2.localPort);
    await sleep(100);
    assert.equal(up2.packets.length, 0, 'nothing sent before startSend');
    assert.ok(up1.packets.length > 0, 'the started send runs');
    await node.startSend(s2.id);
    await until('both sending', async () => (await node.sends()).filter((s) => s.state === 'sending' && (s.id === s1.id || s.id === s2.id)).length === 2);
    assert.equal(stream.readerCount, 2);
    assert.equal(available(), POOL - 2);
    await pushPaced(stream, clip.frames.slice(10, 20));
    await until('frames at both', () => up1.packets.filter((p) => p.marker).length === 20 && up2.packets.filter((p) => p.marker).length === 20);
    await node.closeStream(key, 'BYE from the device side');
    assert.equal(endedFor(s1.id)?.reason, 'stream-ended');
    assert.equal(endedFor(s2.id)?.reason, 'stream-ended');
    assert.equal(available(), POOL);
    assert.deepEqual(await node.sends(), []);
    up1.close();
    up2.close();
  });

  test('TCP passive: an upper that connects and closes ends the send (send.ended peer-closed), port back', async () => {
    const clip = videoClip('h264');
    const { key, channelId } = newKey();
    const stream = node.openPublished({ key, channelId, kind: 'live', variant: 'main' });
    await pushPaced(stream, clip.frames.slice(0, 5));
    const s = await node.openSend({ key, transport: 'tcp-passive', ssrc: 3 });
    await node.startSend(s.id);
    const up = await tcpClientUpper(s.localPort);
    await until('first frames', () => up.packets.length > 0);
    up.close();
    await until('ended', () => !!endedFor(s.id));
    assert.equal(endedFor(s.id)?.reason, 'peer-closed');
    assert.equal(available(), POOL);
    assert.equal(stream.readerCount, 0, 'the stream lost its reader (linger starts)');
    // the port no longer listens
    await assert.rejects(tcpClientUpper(s.localPort));
    await node.closeStream(key, 'test done');
  });

  test('TCP active: the upper closing its end ends the send; a refused connect ends with connect-failed', async () => {
    const clip = videoClip('h264');
    const { key, channelId } = newKey();
    const stream = node.openPublished({ key, channelId, kind: 'live', variant: 'main' });
    await pushPaced(stream, clip.frames.slice(0, 5));
    const srv = await tcpServerUpper();
    const s = await node.openSend({ key, transport: 'tcp-active', host: '127.0.0.1', port: srv.port, ssrc: 4 });
    await node.startSend(s.id);
    await until('first frames', () => srv.packets.length > 0);
    srv.close();
    await until('ended', () => !!endedFor(s.id));
    assert.equal(endedFor(s.id)?.reason, 'peer-closed');
    assert.equal(available(), POOL);

    // nobody listens on this port
    const closedPort = srv.port;
    const s2 = await node.openSend({ key, transport: 'tcp-active', host: '127.0.0.1', port: closedPort, ssrc: 5 });
    await node.startSend(s2.id);
    assert.equal(endedFor(s2.id)?.reason, 'connect-failed');
    assert.match(endedFor(s2.id)!.message!, /ECONNREFUSED/);
    assert.equal(available(), POOL);
    assert.equal(stream.readerCount, 0);
    await node.closeStream(key, 'test done');
  });

  test('TCP passive: an upper that never connects is given up after the timeout; stopSend before startSend; bad requests', async () => {
    const clip = videoClip('h264');
    const { key, channelId } = newKey();
    const stream = node.openPublished({ key, channelId, kind: 'live', variant: 'main' });
    await pushPaced(stream, clip.frames.slice(0, 5));
    const s = await node.openSend({ key, transport: 'tcp-passive', ssrc: 6, connectTimeoutMs: 300 });
    const t0 = Date.now();
    await node.startSend(s.id);
    await until('ended', () => !!endedFor(s.id), 3000);
    const waited = Date.now() - t0;
    assert.equal(endedFor(s.id)?.reason, 'no-connection');
    assert.ok(waited >= 280 && waited < 1500, `gave up after ${waited} ms`);
    assert.equal(available(), POOL);

    // opened, never started (the upper never sent the ACK and the dialog was dropped): stopSend frees everything
    const s2 = await node.openSend({ key, transport: 'udp', host: '127.0.0.1', port: 9, ssrc: 7 });
    assert.equal(available(), POOL - 1);
    await node.stopSend(s2.id);
    await node.stopSend(s2.id); // idempotent
    assert.equal(endedFor(s2.id)?.reason, 'stopped');
    assert.equal(available(), POOL);

    await assert.rejects(node.openSend({ key: 'live/nope/main', transport: 'udp', host: '127.0.0.1', port: 9, ssrc: 1 }), { code: 'STREAM_NOT_FOUND' });
    await assert.rejects(node.openSend({ key, transport: 'udp', ssrc: 1 }), { code: 'VALIDATION_FAILED' });
    await assert.rejects(node.openSend({ key, transport: 'tcp-active', host: 'upper.example', port: 5000, ssrc: 1 }), { code: 'VALIDATION_FAILED' });
    await assert.rejects(node.openSend({ key, transport: 'udp', host: '127.0.0.1', port: 9, ssrc: 2 ** 32 }), { code: 'VALIDATION_FAILED' });
    await assert.rejects(node.startSend('no-such-send'), { code: 'STREAM_NOT_FOUND' });
    assert.equal(available(), POOL);
    assert.equal(stream.readerCount, 0);
    await node.closeStream(key, 'test done');
  });

  test('node close ends every send', async () => {
    const other = new LocalMediaNode({ id: 'send-test-2', bindHost: '127.0.0.1', portRange: { min: 46500, max: 46519 }, lingerMs: 60_000, stallMs: 60_000, log: silent });
    const gone: SendEnded[] = [];
    other.on('send.ended', (e) => gone.push(e));
    const { key, channelId } = newKey();
    other.openPublished({ key, channelId, kind: 'live', variant: 'main' });
    await other.openSend({ key, transport: 'tcp-passive', ssrc: 8 });
    await other.openSend({ key, transport: 'udp', host: '127.0.0.1', port: 9, ssrc: 9 });
    assert.equal(other.load.portsFree, 8);
    await other.close();
    assert.deepEqual(gone.map((e) => e.reason), ['node-stopping', 'node-stopping']);
    assert.equal(other.load.portsFree, 10);
  });
});

describe('RtpSends (the node\'s send table)', { skip: !HAVE_FFMPEG && 'ffmpeg/ffprobe missing (apt-get install ffmpeg)' }, () => {
  test('an upper that stops reading TCP is skipped to keyframes, then dropped as slow (send.ended slow), port back', async () => {
    const hub = new Hub({ lingerMs: 60_000, stallMs: 60_000 });
    const ports = new PortPool(46520, 46529);
    // small limits so a few MB fill them (the node uses the hub's 2 MB skip / 16 MB close)
    const sends = new RtpSends({ hub, ports, bindHost: '127.0.0.1', log: silent, limits: { softBytes: 256 * 1024, hardBytes: 4 * 1024 * 1024 }, stuckMs: 500 });
    const gone: SendEnded[] = [];
    sends.on('ended', (e) => gone.push(e));
    const stream = hub.open({ key: 'live/slow/main', channelId: 'slow', kind: 'live', variant: 'main' });
    const clip = videoClip('h264');
    // the upper connects and never reads
    const s = await sends.open({ key: stream.key, transport: 'tcp-passive', ssrc: 10 });
    await sends.start(s.id);
    const sock = net.connect({ host: '127.0.0.1', port: s.localPort });
    sock.on('error', () => undefined);
    await new Promise<void>((res) => sock.once('connect', () => res()));
    sock.pause();
    let maxDropped = 0;
    let loops = 0;
    const span = clip.frames[clip.frames.length - 1].dts - clip.frames[0].dts + 3600;
    while (!gone.length && loops < 200) {
      for (const f of clip.frames) stream.push({ ...f, pts: f.pts + loops * span, dts: f.dts + loops * span });
      loops++;
      maxDropped = Math.max(maxDropped, sends.list()[0]?.dropped ?? 0);
      await sleep(5);
    }
    sock.destroy();
    assert.equal(gone[0]?.reason, 'slow', `ended after ${loops} clip loops`);
    assert.ok(maxDropped > 0, 'frames were skipped before the upper was dropped');
    assert.equal(ports.available, 5);
    assert.equal(stream.readerCount, 0);
    hub.close();
  });

  test('openSend never followed by startSend (no ACK) ends after startTimeoutMs, port back', async () => {
    const hub = new Hub({ lingerMs: 60_000, stallMs: 60_000 });
    const ports = new PortPool(46530, 46539);
    const sends = new RtpSends({ hub, ports, bindHost: '127.0.0.1', log: silent, startTimeoutMs: 200 });
    const gone: SendEnded[] = [];
    sends.on('ended', (e) => gone.push(e));
    const stream = hub.open({ key: 'live/noack/main', channelId: 'noack', kind: 'live', variant: 'main' });
    await sends.open({ key: stream.key, transport: 'tcp-passive', ssrc: 11 });
    await sends.open({ key: stream.key, transport: 'udp', host: '127.0.0.1', port: 9, ssrc: 12 });
    assert.equal(ports.available, 3);
    await until('ended', () => gone.length === 2, 3000);
    assert.deepEqual(gone.map((e) => e.reason), ['not-started', 'not-started']);
    assert.equal(ports.available, 5);
    assert.equal(stream.readerCount, 0);
    hub.close();
  });
});

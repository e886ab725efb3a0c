import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { MediaTokens } from '../../src/core/media-token.js';
import type { VideoFrame } from '../../src/lib/av/frame.js';
import { H264Depacketizer, parseRtp, type RtpPacket } from '../../src/lib/rtp/index.js';
import { parseRtpInfo, parseSession, parseTransport } from '../../src/lib/rtsp/index.js';
import { MediaAuth } from '../../src/media/out/media-auth.js';
import { Revocations } from '../../src/media/out/revocations.js';
import { RtspServer } from '../../src/media/out/rtsp-server.js';
import { type ReaderIdentity, Hub, type Stream } from '../../src/stream/index.js';
import { type AudioClip, type Clip, encodeAac, encodeG711a, encodeVideo, feed, haveFfmpeg } from './helpers/feed.js';
import { RawRtsp, sleep, until, within } from './helpers/rtsp-client.js';

const skip = !haveFfmpeg && 'ffmpeg/ffprobe not installed';

const H264 = 'live/34020000001320000001/main';
const H265 = 'live/34020000001320000002/main';
const PCMA = 'live/34020000001320000003/main'; // H.264 + G.711 A-law
const AAC = 'live/34020000001320000004/sub'; // H.264 + AAC
const ENDING = 'live/34020000001320000005/main'; // removed from the hub by a test

interface Probed {
  codec_name: string;
  codec_type: string;
  width?: number;
  height?: number;
  r_frame_rate: string;
  sample_rate?: string;
  channels?: number;
  start_time?: string;
  nb_read_frames?: string;
}

function probe(url: string, transport: 'tcp' | 'udp', t?: { diagnostic(m: string): void }): Promise<Probed[]> {
  const args = ['-v', 'error', '-rtsp_transport', transport, '-show_streams', '-count_frames', '-read_intervals', '%+3', '-of', 'json', url];
  return new Promise((resolve, reject) =>
    execFile('ffprobe', args, { timeout: 30_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`ffprobe: ${err.message} ${stderr}`));
      const streams = (JSON.parse(stdout) as { streams: Probed[] }).streams;
      for (const x of streams) t?.diagnostic(`${transport}: ${x.codec_name} ${x.width ? `${x.width}x${x.height}` : `${x.sample_rate} Hz`} ${x.r_frame_rate}, ${x.nb_read_frames} frames in 3 s`);
      resolve(streams);
    }),
  );
}

const frames = (s: Probed): number => Number(s.nb_read_frames);

describe('RTSP server (ffmpeg/ffprobe against real encodes)', { skip }, () => {
  const log = pino({ level: process.env.RTSP_TEST_LOG ?? 'silent' });
  const secret = 'rtsp-test-secret';
  const tokens = new MediaTokens(secret);
  const revocations = new Revocations(300_000);
  const auth = new MediaAuth(tokens, revocations, 300);
  const hub = new Hub({ lingerMs: 600_000, stallMs: 600_000 });
  const stops: (() => void)[] = [];
  let dir: string;
  let server: RtspServer;
  let h264: Clip;

  const sign = (path: string, o: { u?: string; s?: string; e?: number } = {}): string =>
    tokens.sign({ u: o.u ?? 'user-1', s: o.s ?? 'sess-1', p: path, e: o.e ?? Math.floor(Date.now() / 1000) + 300 });
  const base = (): string => `rtsp://127.0.0.1:${server.port}`;
  const url = (path: string, token = sign(path)): string => `${base()}/${path}?token=${token}`;
  const open = (key: string, clip: Clip, audio?: AudioClip): Stream => {
    const [, channelId, variant] = key.split('/');
    const s = hub.open({ key, channelId, kind: 'live', variant });
    stops.push(feed(s, clip, audio));
    return s;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rtsp-out-'));
    h264 = encodeVideo(dir, 'h264', '1280x720', 4);
    const h265 = encodeVideo(dir, 'h265', '640x360', 2);
    const small = encodeVideo(dir, 'h264', '320x240', 2);
    const alaw = encodeG711a(dir, 2);
    const aac = encodeAac(dir, 2);
    open(H264, h264);
    open(H265, h265);
    open(PCMA, small, alaw);
    open(AAC, small, aac);
    open(ENDING, small);
    server = await RtspServer.listen({ host: '127.0.0.1', port: 0, hub, auth, log });
    await sleep(1200); // a full GOP in every stream's cache
  });

  after(async () => {
    for (const s of stops) s();
    await server?.close();
    hub.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('H.264 1280x720 over TCP interleaved: ffprobe sees 25 fps for 3 s', async (t) => {
    const [v, ...rest] = await probe(url(H264), 'tcp', t);
    assert.equal(rest.length, 0);
    assert.equal(v.codec_name, 'h264');
    assert.equal(v.width, 1280);
    assert.equal(v.height, 720);
    assert.equal(v.r_frame_rate, '25/1');
    assert.ok(frames(v) >= 75 && frames(v) <= 77, `frames in 3 s: ${v.nb_read_frames}`);
  });

  test('H.264 1280x720 over UDP (shared server port pair)', async (t) => {
    const [v] = await probe(url(H264), 'udp', t);
    assert.equal(v.codec_name, 'h264');
    assert.equal(v.width, 1280);
    assert.equal(v.height, 720);
    assert.equal(v.r_frame_rate, '25/1');
    assert.ok(frames(v) >= 75 && frames(v) <= 77, `frames in 3 s: ${v.nb_read_frames}`);
    assert.ok(server.stats().responses['200'] > 0);
  });

  test('H.265 over TCP: hevc 640x360', async (t) => {
    const [v] = await probe(url(H265), 'tcp', t);
    assert.equal(v.codec_name, 'hevc');
    assert.equal(v.width, 640);
    assert.equal(v.height, 360);
    assert.equal(v.r_frame_rate, '25/1');
    assert.ok(frames(v) >= 75 && frames(v) <= 77, `frames in 3 s: ${v.nb_read_frames}`);
  });

  test('G.711 A-law passes through as PCMA 8 kHz mono, in step with the video', async (t) => {
    const streams = await probe(url(PCMA), 'tcp', t);
    const v = streams.find((s) => s.codec_type === 'video')!;
    const a = streams.find((s) => s.codec_type === 'audio')!;
    assert.equal(v.codec_name, 'h264');
    assert.equal(v.width, 320);
    assert.equal(a.codec_name, 'pcm_alaw');
    assert.equal(a.sample_rate, '8000');
    assert.equal(a.channels, 1);
    assert.ok(frames(a) >= 74 && frames(a) <= 77, `40 ms audio packets in 3 s: ${a.nb_read_frames}`);
    assert.ok(Math.abs(Number(a.start_time) - Number(v.start_time)) < 0.1, `start ${a.start_time} vs ${v.start_time}`);
  });

  test('AAC as mpeg4-generic: aac 44.1 kHz stereo', async (t) => {
    const streams = await probe(url(AAC), 'udp', t);
    const a = streams.find((s) => s.codec_type === 'audio')!;
    assert.equal(a.codec_name, 'aac');
    assert.equal(a.sample_rate, '44100');
    assert.equal(a.channels, 2);
    // 3 s of 1024-sample frames at 44.1 kHz = 129.2
    assert.ok(frames(a) >= 127 && frames(a) <= 131, `AAC frames in 3 s: ${a.nb_read_frames}`);
    assert.equal(streams.find((s) => s.codec_type === 'video')?.codec_name, 'h264');
  });

  test('protocol: DESCRIBE/SETUP/PLAY over TCP give the exact access units, RTP-Info and the reader identity', async () => {
    const c = await RawRtsp.connect(server.port);
    try {
      const opts = await c.request('OPTIONS', url(H264));
      assert.equal(opts.status, 200);
      assert.match(opts.headers.get('public') ?? '', /GET_PARAMETER/);

      const d = await c.request('DESCRIBE', url(H264), { Accept: 'application/sdp' });
      assert.equal(d.status, 200);
      assert.equal(d.headers.get('content-base'), `${base()}/${H264}/`);
      assert.equal(d.headers.get('content-type'), 'application/sdp');
      const sdp = d.body.toString();
      const sps = h264.aus[0].find((u) => (u[0] & 0x1f) === 7)!;
      const pps = h264.aus[0].find((u) => (u[0] & 0x1f) === 8)!;
      assert.match(sdp, /^m=video 0 RTP\/AVP 96$/m);
      assert.match(sdp, /^a=rtpmap:96 H264\/90000$/m);
      assert.ok(sdp.includes(`sprop-parameter-sets=${sps.toString('base64')},${pps.toString('base64')}`));
      assert.ok(sdp.includes(`profile-level-id=${sps.subarray(1, 4).toString('hex').toUpperCase()}`));
      assert.ok(sdp.includes('packetization-mode=1'));
      assert.match(sdp, /^a=control:trackID=0$/m);
      assert.doesNotMatch(sdp, /^m=audio/m);

      // the SETUP URL is Content-Base + control, without the token: the DESCRIBE on this connection vouches for it
      const trackUrl = `${base()}/${H264}/trackID=0`;
      const s = await c.request('SETUP', trackUrl, { Transport: 'RTP/AVP/TCP;unicast;interleaved=4-5' });
      assert.equal(s.status, 200);
      const session = parseSession(s.headers.get('session')!);
      assert.match(session.id, /^[0-9a-f]{16}$/);
      assert.equal(session.timeout, 60);
      const [tr] = parseTransport(s.headers.get('transport')!);
      assert.equal(tr.lowerTransport, 'TCP');
      assert.deepEqual(tr.interleaved, [4, 5]);
      assert.ok(tr.ssrc !== undefined);

      const opened = new Promise<ReaderIdentity>((resolve) => hub.once('reader.open', (_s, r) => resolve(r.identity)));
      const packets: RtpPacket[] = [];
      let rtcp = 0;
      c.onInterleaved = (ch, data) => {
        if (ch === 4) packets.push(parseRtp(data)!);
        else if (ch === 5) rtcp++;
      };
      const p = await c.request('PLAY', `${base()}/${H264}/`, { Session: session.id, Range: 'npt=0.000-' });
      assert.equal(p.status, 200);
      assert.equal(p.headers.get('range'), 'npt=now-');
      const [info] = parseRtpInfo(p.headers.get('rtp-info')!);
      assert.equal(info.url, trackUrl);
      assert.deepEqual(await opened, { userId: 'user-1', sessionId: 'sess-1', protocol: 'rtsp', remote: '127.0.0.1' });

      await sleep(1500);
      assert.ok(packets.length > 100, `${packets.length} packets`);
      assert.ok(rtcp >= 1, 'an RTCP sender report on the odd channel');
      // RTP-Info names the first packet; sequence numbers run without a gap; one SSRC
      assert.equal(packets[0].seq, info.seq);
      assert.equal(packets[0].timestamp, info.rtptime);
      assert.ok(packets.every((x, i) => i === 0 || x.seq === ((packets[i - 1].seq + 1) & 0xffff)));
      assert.ok(packets.every((x) => x.ssrc === tr.ssrc && x.payloadType === 96));
      // marker exactly on the last packet of each access unit (the timestamp changes right after it)
      for (let i = 0; i + 1 < packets.length; i++) assert.equal(packets[i].marker, packets[i + 1].timestamp !== packets[i].timestamp, `marker at ${i}`);

      // depacketized: the clip's access units, in order from a keyframe, 3600 ticks apart
      const got: VideoFrame[] = [];
      const dp = new H264Depacketizer({ onFrame: (f) => got.push(f), rtpBase: info.rtptime });
      for (const x of packets) dp.push(x);
      assert.ok(got.length >= 30, `${got.length} frames`);
      assert.equal(got[0].pts, 0);
      assert.ok(got[0].key);
      const first = h264.aus.findIndex((au) => au.length === got[0].units.length && au.every((u, k) => u.equals(got[0].units[k])));
      assert.ok(first >= 0 && first % 25 === 0, `first frame is clip AU ${first}`);
      got.forEach((f, i) => {
        assert.equal(f.pts, i * 3600);
        const want = h264.aus[(first + i) % h264.aus.length];
        assert.deepEqual(f.units.map((u) => u.toString('hex')), want.map((u) => u.toString('hex')), `frame ${i}`);
      });

      // RTCP receiver reports from the client are ignored; the session goes on
      c.write(Buffer.concat([Buffer.from([0x24, 5, 0, 8]), Buffer.from([0x81, 201, 0, 1, 1, 2, 3, 4])]));
      const before = packets.length;
      assert.equal((await c.request('GET_PARAMETER', `${base()}/${H264}/`, { Session: session.id })).status, 200);
      await sleep(300);
      assert.ok(packets.length > before);

      const readers = hub.get(H264)!.readerCount;
      assert.equal((await c.request('TEARDOWN', `${base()}/${H264}/`, { Session: session.id })).status, 200);
      assert.equal(hub.get(H264)!.readerCount, readers - 1);
      assert.equal((await c.request('PLAY', `${base()}/${H264}/`, { Session: session.id })).status, 454);
    } finally {
      c.close();
    }
  });

  test('PAUSE leaves the hub; PLAY resumes on the same RTP timeline', async () => {
    const c = await RawRtsp.connect(server.port);
    try {
      assert.equal((await c.request('DESCRIBE', url(H264))).status, 200);
      const s = await c.request('SETUP', `${base()}/${H264}/trackID=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
      const sid = parseSession(s.headers.get('session')!).id;
      const stream = hub.get(H264)!;
      const readers = stream.readerCount;
      const p1 = await c.request('PLAY', `${base()}/${H264}/`, { Session: sid });
      const [i1] = parseRtpInfo(p1.headers.get('rtp-info')!);
      assert.equal(stream.readerCount, readers + 1);
      await sleep(400);
      assert.equal((await c.request('PAUSE', `${base()}/${H264}/`, { Session: sid })).status, 200);
      assert.equal(stream.readerCount, readers);
      const rtp = () => c.interleaved.filter((x) => x.channel === 0).map((x) => parseRtp(x.data)!);
      const last = rtp().at(-1)!;
      await sleep(600);
      const p2 = await c.request('PLAY', `${base()}/${H264}/`, { Session: sid });
      assert.equal(p2.status, 200);
      const [i2] = parseRtpInfo(p2.headers.get('rtp-info')!);
      assert.equal(i2.seq, (last.seq + 1) & 0xffff, 'sequence numbers continue');
      // the resumed GOP replay starts at a keyframe up to 1 s old; the timeline is still the first PLAY's
      const ticks = (i2.rtptime! - i1.rtptime! + 2 ** 32) % 2 ** 32;
      assert.ok(ticks % 3600 === 0 && ticks > 0 && ticks <= 90_000 * 3, `resumed ${ticks} ticks after the start`);
      assert.ok(await until(() => rtp().some((x) => x.seq === i2.seq), 2000));
      assert.equal(rtp().find((x) => x.seq === i2.seq)!.timestamp, i2.rtptime);
    } finally {
      c.close();
    }
  });

  test('DESCRIBE of a starting stream waits for its parameter sets and its audio', async () => {
    const key = 'live/34020000001320000006/main';
    const stream = hub.open({ key, channelId: '34020000001320000006', kind: 'live', variant: 'main' });
    const small = encodeVideo(dir, 'h264', '320x240', 1);
    const alaw = encodeG711a(dir, 1);
    const c = await RawRtsp.connect(server.port);
    try {
      const pending = c.request('DESCRIBE', url(key));
      await sleep(300);
      stops.push(feed(stream, small));
      // audio shows up 300 ms after the first picture
      await sleep(300);
      let n = 0;
      const t = setInterval(() => stream.push({ track: 'audio', codec: 'g711a', pts: 900_000 + 7200 + n * 3600, dts: 900_000 + 7200 + n * 3600, key: true, units: [alaw.units[n++ % alaw.units.length]] }), 40);
      stops.push(() => clearInterval(t));
      const d = await pending;
      assert.equal(d.status, 200);
      const sdp = d.body.toString();
      assert.match(sdp, /^m=video 0 RTP\/AVP 96$/m);
      assert.match(sdp, /^m=audio 0 RTP\/AVP 8$/m);
      assert.match(sdp, /^a=rtpmap:8 PCMA\/8000\/1$/m);
      assert.match(sdp, /^a=control:trackID=1$/m);
    } finally {
      c.close();
    }
  });

  test('tokens: wrong, expired, other stream, missing → 401; unknown stream → 404', async () => {
    const c = await RawRtsp.connect(server.port);
    try {
      const forged = new MediaTokens('another-secret').sign({ u: 'user-1', s: 'sess-1', p: H264, e: Math.floor(Date.now() / 1000) + 300 });
      assert.equal((await c.request('DESCRIBE', url(H264, forged))).status, 401);
      assert.equal((await c.request('DESCRIBE', url(H264, sign(H264, { e: Math.floor(Date.now() / 1000) - 5 })))).status, 401);
      assert.equal((await c.request('DESCRIBE', url(H264, sign(H265)))).status, 401);
      assert.equal((await c.request('DESCRIBE', `${base()}/${H264}`)).status, 401);
      assert.equal((await c.request('DESCRIBE', url(H264, 'garbage.token'))).status, 401);
      // SETUP/PLAY without a DESCRIBE (or a token) on this connection are refused too
      assert.equal((await c.request('SETUP', `${base()}/${H264}/trackID=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' })).status, 401);
      const unknown = 'live/34020000001329999999/main';
      assert.equal((await c.request('DESCRIBE', url(unknown))).status, 404);
      // the token of the failed DESCRIBE must not open another stream afterwards
      assert.equal((await c.request('SETUP', `${base()}/${H265}/trackID=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' })).status, 401);
      // protocol errors
      assert.equal((await c.request('ANNOUNCE', url(H264))).status, 405);
      assert.equal((await c.request('FROBNICATE', url(H264))).status, 501);
      assert.equal((await c.request('PLAY', `${base()}/${H264}/`, { Session: 'deadbeefdeadbeef' })).status, 454);
      assert.equal((await c.request('DESCRIBE', url(H264), { Require: 'com.example.thing' })).status, 551);
      const ok = await c.request('DESCRIBE', url(H264));
      assert.equal(ok.status, 200);
      assert.equal((await c.request('SETUP', `${base()}/${H264}/trackID=7`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' })).status, 404);
      assert.equal((await c.request('SETUP', `${base()}/${H264}/trackID=0`, { Transport: 'RTP/AVP;multicast' })).status, 461);
      assert.equal(c.isClosed, false);
    } finally {
      c.close();
    }
  });

  test('a token glued before the control (?token=T/trackID=0) is understood', async () => {
    const c = await RawRtsp.connect(server.port);
    try {
      const s = await c.request('SETUP', `${url(H264)}/trackID=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
      assert.equal(s.status, 200);
      const sid = parseSession(s.headers.get('session')!).id;
      const p = await c.request('PLAY', url(H264), { Session: sid });
      assert.equal(p.status, 200);
      assert.ok(await until(() => c.interleaved.length > 10, 3000));
    } finally {
      c.close();
    }
  });

  test('garbage, an oversized request line and a silent client do not hurt the server', async (t) => {
    const g = await RawRtsp.connect(server.port);
    g.write(Buffer.from([0x00, 0xff, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0x0d, 0x0a, 0x0d, 0x0a]));
    assert.ok(await within(g.closed, 5000), 'garbage: connection closed');
    assert.ok(g.stray.length === 0 || g.stray[0].status === 400);

    const big = await RawRtsp.connect(server.port);
    big.write(`DESCRIBE rtsp://127.0.0.1/${'a'.repeat(1 << 20)}`);
    assert.ok(await within(big.closed, 5000), '1 MB request line: connection closed');
    assert.ok(big.stray.length === 0 || big.stray[0].status === 400 || big.stray[0].status === 413);

    const http = await RawRtsp.connect(server.port);
    http.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.ok(await within(http.closed, 5000), 'HTTP request: connection closed');
    assert.equal(http.stray[0]?.status, 400);

    const [v] = await probe(url(H264), 'tcp', t);
    assert.equal(v.codec_name, 'h264');
    assert.ok(frames(v) >= 75 && frames(v) <= 77, `frames in 3 s: ${v.nb_read_frames}`);
  });

  test('revocation: hub.closeReaders cuts a playing ffmpeg and a raw TCP client; the token no longer opens', async () => {
    const token = sign(H264, { s: 'sess-revoked', u: 'user-9' });
    const ff = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-rtsp_transport', 'tcp', '-i', url(H264, token), '-f', 'null', '-'], { stdio: 'ignore' });
    const ffExit = new Promise<void>((resolve) => ff.on('exit', () => resolve()));
    const c = await RawRtsp.connect(server.port);
    const ready = await RawRtsp.connect(server.port); // set up, not yet playing when the session is revoked
    try {
      assert.equal((await c.request('DESCRIBE', url(H264, token))).status, 200);
      const s = await c.request('SETUP', `${base()}/${H264}/trackID=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
      const sid = parseSession(s.headers.get('session')!).id;
      assert.equal((await c.request('PLAY', `${base()}/${H264}/`, { Session: sid })).status, 200);
      assert.equal((await ready.request('DESCRIBE', url(H264, token))).status, 200);
      const rs = await ready.request('SETUP', `${base()}/${H264}/trackID=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
      const readySid = parseSession(rs.headers.get('session')!).id;
      const mine = (id: ReaderIdentity): boolean => id.sessionId === 'sess-revoked';
      assert.ok(await until(() => hub.get(H264)!.listReaders().filter((r) => mine(r.identity)).length === 2, 10_000), 'both clients reading');
      await sleep(500);
      revocations.add({ sessionIds: ['sess-revoked'] });
      assert.equal(hub.closeReaders(mine, 'revoked'), 2);
      assert.ok(await within(c.closed, 2000), 'raw client cut');
      assert.ok(await within(ffExit, 5000), 'ffmpeg ended');
      const again = await RawRtsp.connect(server.port);
      assert.equal((await again.request('DESCRIBE', url(H264, token))).status, 401);
      again.close();
      assert.equal((await ready.request('PLAY', `${base()}/${H264}/`, { Session: readySid })).status, 401);
      assert.equal((await ready.request('SETUP', `${base()}/${H264}/trackID=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=2-3' })).status, 401);
    } finally {
      c.close();
      ready.close();
      ff.kill('SIGKILL');
    }
  });

  test('stream ended: the TCP client gets RTCP BYE and the connection closes', async () => {
    const c = await RawRtsp.connect(server.port);
    try {
      assert.equal((await c.request('DESCRIBE', url(ENDING))).status, 200);
      const s = await c.request('SETUP', `${base()}/${ENDING}/trackID=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
      const sid = parseSession(s.headers.get('session')!).id;
      assert.equal((await c.request('PLAY', `${base()}/${ENDING}/`, { Session: sid })).status, 200);
      assert.ok(await until(() => c.interleaved.length > 5, 3000));
      hub.remove(ENDING, 'test');
      assert.ok(await within(c.closed, 3000), 'connection closed');
      const rtcp = c.interleaved.filter((x) => x.channel === 1).map((x) => x.data);
      assert.ok(rtcp.some((b) => b.includes(Buffer.from([0x81, 203, 0, 1]))), 'a BYE on the RTCP channel');
    } finally {
      c.close();
    }
  });

  test('UDP session: RTP to client_port from server_port, timeout without keepalive, BYE on RTCP', async () => {
    const srv = await RtspServer.listen({ host: '127.0.0.1', port: 0, hub, auth, log, sessionTimeoutSec: 1, idleTimeoutMs: 400, describeWaitMs: 300 });
    const rtp = dgram.createSocket('udp4');
    const rtcp = dgram.createSocket('udp4');
    await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', r));
    await new Promise<void>((r) => rtcp.bind(0, '127.0.0.1', r));
    const got: { pkt: RtpPacket; port: number }[] = [];
    const rtcpIn: Buffer[] = [];
    rtp.on('message', (m, from) => got.push({ pkt: parseRtp(m)!, port: from.port }));
    rtcp.on('message', (m) => rtcpIn.push(m));
    // a client that connects and says nothing is dropped after idleTimeoutMs
    const silent = await RawRtsp.connect(srv.port);
    assert.ok(await within(silent.closed, 2000), 'silent client closed');
    const c = await RawRtsp.connect(srv.port);
    try {

      const u = `rtsp://127.0.0.1:${srv.port}/${H264}`;
      assert.equal((await c.request('DESCRIBE', `${u}?token=${sign(H264)}`)).status, 200);
      const s = await c.request('SETUP', `${u}/trackID=0`, { Transport: `RTP/AVP/UDP;unicast;client_port=${rtp.address().port}-${rtcp.address().port}` });
      assert.equal(s.status, 200);
      const [tr] = parseTransport(s.headers.get('transport')!);
      assert.deepEqual(tr.serverPort, [srv.udpPorts.rtp, srv.udpPorts.rtcp]);
      assert.deepEqual(tr.clientPort, [rtp.address().port, rtcp.address().port]);
      const sid = parseSession(s.headers.get('session')!).id;
      assert.equal((await c.request('PLAY', `${u}/`, { Session: sid })).status, 200);
      assert.equal(srv.stats().udp, 1);
      assert.ok(await until(() => got.length > 50, 3000), `${got.length} RTP packets`);
      assert.ok(got.every((g) => g.port === srv.udpPorts.rtp && g.pkt.ssrc === tr.ssrc));
      assert.ok(await until(() => rtcpIn.length > 0, 2000), 'a sender report');
      assert.equal(rtcpIn[0][1], 200);
      // no request, no RTCP from us: the session ends after ~1 s and says BYE; the idle connection goes after it
      assert.ok(await until(() => srv.stats().sessions === 0, 3000), 'session timed out');
      // the BYE is a datagram sent as the session ends: it may arrive just after the session count drops
      assert.ok(await until(() => rtcpIn.some((b) => b.includes(Buffer.from([0x81, 203, 0, 1]))), 1000), 'BYE');
      assert.ok(await within(c.closed, 2000), 'control connection closed');
      // a stream that never starts: DESCRIBE gives up after describeWaitMs
      const idle = 'live/34020000001320000007/main';
      hub.open({ key: idle, channelId: '34020000001320000007', kind: 'live', variant: 'main' });
      const c2 = await RawRtsp.connect(srv.port);
      assert.equal((await c2.request('DESCRIBE', `rtsp://127.0.0.1:${srv.port}/${idle}?token=${sign(idle)}`)).status, 503);
      c2.close();
    } finally {
      c.close();
      rtp.close();
      rtcp.close();
      await srv.close();
    }
  });
});

import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../src/core/logger.js';
import { SipHeaders, type SipResponse } from '../../src/lib/sip/index.js';
import { ClientDialog } from '../../src/sip/dialog.js';
import { newCallId, newTag } from '../../src/sip/endpoint.js';
import { IdPlan } from '../../src/sim/ids.js';
import { parseCli } from '../../src/sim/options.js';
import { Simulator } from '../../src/sim/simulator.js';
import { DOMAIN, MiniPlatform, PASSWORD, SERVER_ID } from './mini-platform.js';

// The platform side here is written out by hand (SDP offers as WVP-style platforms send them, RTP read without
// src/lib/rtp), and the media is judged by ffprobe: the simulator cannot pass by agreeing with our own parsers.

const HAVE_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0 && spawnSync('ffprobe', ['-version']).status === 0;
const SIPP = spawnSync('sh', ['-c', 'command -v sipp'], { encoding: 'utf8' }).stdout.trim();
const INVITE_SCENARIO = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sipp', 'platform-invite.xml');
const silent = createLogger('silent');
const FPS = 25;

interface Rtp {
  at: number;
  marker: boolean;
  pt: number;
  seq: number;
  ts: number;
  ssrc: number;
  payload: Buffer;
}

/** RFC 3550 §5.1 header, by hand. */
function parseRtp(b: Buffer, at: number): Rtp {
  assert.ok(b.length >= 12, 'RTP packet shorter than its header');
  assert.equal(b[0] >> 6, 2, 'RTP version 2');
  let off = 12 + (b[0] & 0x0f) * 4;
  if (b[0] & 0x10) off += 4 + b.readUInt16BE(off + 2) * 4;
  let end = b.length;
  if (b[0] & 0x20) end -= b[b.length - 1];
  return { at, marker: (b[1] & 0x80) !== 0, pt: b[1] & 0x7f, seq: b.readUInt16BE(2), ts: b.readUInt32BE(4), ssrc: b.readUInt32BE(8), payload: Buffer.from(b.subarray(off, end)) };
}

/** RFC 4571: 2-byte length, packet. */
function rfc4571Reader(onPacket: (p: Buffer) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const n = buf.readUInt16BE(0);
      onPacket(buf.subarray(2, 2 + n));
      buf = buf.subarray(2 + n);
    }
  };
}

function offer(o: { channel: string; s?: string; port: number; tcp?: 'passive' | 'active'; y: string; t?: string }): string {
  const lines = [
    'v=0',
    `o=${o.channel} 0 0 IN IP4 127.0.0.1`,
    `s=${o.s ?? 'Play'}`,
    ...(o.s && o.s !== 'Play' ? [`u=${o.channel}:0`] : []),
    'c=IN IP4 127.0.0.1',
    `t=${o.t ?? '0 0'}`,
    `m=video ${o.port} ${o.tcp ? 'TCP/RTP/AVP' : 'RTP/AVP'} 96 98 97`,
    'a=recvonly',
    'a=rtpmap:96 PS/90000',
    'a=rtpmap:98 H264/90000',
    'a=rtpmap:97 MPEG4/90000',
    ...(o.tcp ? [`a=setup:${o.tcp}`, 'a=connection:new'] : []),
    `y=${o.y}`,
    'f=',
  ];
  return `${lines.join('\r\n')}\r\n`;
}

async function invite(platform: MiniPlatform, sim: Simulator, channel: string, sdp: string): Promise<{ response: SipResponse; dialog?: ClientDialog; answer: string; fromTag: string }> {
  const deviceId = sim.deviceIds().find((d) => sim.channelIds(d).includes(channel))!;
  const reg = platform.registrations.get(deviceId);
  assert.ok(reg, `${deviceId} registered`);
  const fromTag = newTag();
  const h = SipHeaders.from({
    From: `<sip:${SERVER_ID}@${DOMAIN}>;tag=${fromTag}`,
    To: `<sip:${channel}@${DOMAIN}>`,
    'Call-ID': newCallId(),
    CSeq: '20 INVITE',
    Contact: `<sip:${SERVER_ID}@${platform.sockets.local.address}:${platform.sockets.local.port}>`,
    Subject: `${channel}:0100000001,${SERVER_ID}:0`,
    'Content-Type': 'APPLICATION/SDP',
  });
  const uri = reg.contact.replace(/^sip:[^@]+@/, `sip:${channel}@`);
  const r = await ClientDialog.invite(platform.ep, reg.peer, { kind: 'request', method: 'INVITE', uri, headers: h, body: Buffer.from(sdp) }, { timeoutMs: 10_000 });
  return { ...r, answer: r.response.body.toString('utf8'), fromTag };
}

function sdpLine(sdp: string, prefix: string): string | undefined {
  return sdp.split(/\r?\n/).find((l) => l.startsWith(prefix))?.slice(prefix.length);
}

/** Receives RTP on a UDP port. */
async function udpReceiver(): Promise<{ port: number; packets: Rtp[]; sources: Set<number>; close(): void }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const packets: Rtp[] = [];
  const sources = new Set<number>();
  sock.on('message', (m, rinfo) => {
    sources.add(rinfo.port);
    packets.push(parseRtp(m, Date.now()));
  });
  return { port: sock.address().port, packets, sources, close: () => sock.close() };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Judged {
  frames: number;
  seconds: number;
  probe: { codec_name: string; width: number; height: number; nb_read_frames: string };
}

/**
 * The RTP checks (SSRC, PT 96, one marker per frame, timestamps +3600, consecutive sequence numbers), then the PS
 * payloads in a file judged by ffprobe: codec, size, and frame count against the wall-clock time collected.
 */
function judge(all: Rtp[], ssrc: number, dir: string, name: string): Judged {
  assert.ok(all.length > 0, 'no RTP received');
  let lastMarker = all.length - 1;
  while (lastMarker >= 0 && !all[lastMarker].marker) lastMarker--;
  assert.ok(lastMarker > 0, 'no marker bit at all');
  const pkts = all.slice(0, lastMarker + 1);
  for (const p of pkts) {
    assert.equal(p.ssrc, ssrc, `SSRC ${p.ssrc} is not the offered y= ${ssrc}`);
    assert.equal(p.pt, 96, 'payload type 96');
  }
  for (let i = 1; i < pkts.length; i++) assert.equal(pkts[i].seq, (pkts[i - 1].seq + 1) & 0xffff, `sequence gap at packet ${i}`);
  // frames: runs of one timestamp, the last packet of each (and only it) marked
  let frames = 0;
  let prevTs: number | undefined;
  for (let i = 0; i < pkts.length; i++) {
    const p = pkts[i];
    const lastOfFrame = i === pkts.length - 1 || pkts[i + 1].ts !== p.ts;
    assert.equal(p.marker, lastOfFrame, `marker bit on packet ${i} (ts ${p.ts}) should be ${lastOfFrame}`);
    if (lastOfFrame) {
      frames++;
      if (prevTs !== undefined) assert.equal((p.ts - prevTs) >>> 0, 3600, `timestamp step after frame ${frames - 1}`);
      prevTs = p.ts;
    }
  }
  assert.equal(frames, pkts.filter((p) => p.marker).length);
  const file = path.join(dir, `${name}.ps`);
  writeFileSync(file, Buffer.concat(pkts.map((p) => p.payload)));
  const out = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-of', 'json', file], { encoding: 'utf8' });
  const streams = (JSON.parse(out) as { streams: Judged['probe'][] }).streams;
  assert.equal(streams.length, 1, `one stream in the PS, got ${JSON.stringify(streams)}`);
  // the PS clock (PES PTS) runs with the RTP clock, across the loop too
  const pts = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=pts', '-of', 'csv=p=0', file], { encoding: 'utf8' }).trim().split('\n').map(Number);
  assert.ok(pts.length >= frames - 1, `${pts.length} PS packets for ${frames} frames`);
  for (let i = 1; i < pts.length; i++) assert.equal(pts[i] - pts[i - 1], 3600, `PES PTS step at frame ${i}: ${pts[i - 1]} → ${pts[i]}`);
  assert.equal(pts[0] % 2 ** 32, pkts[0].ts, 'first PES PTS = first RTP timestamp');
  const seconds = (pkts[pkts.length - 1].at - pkts[0].at) / 1000;
  return { frames, seconds, probe: streams[0] };
}

function assertRate(j: Judged, codec: string): void {
  assert.equal(j.probe.codec_name, codec);
  assert.equal(j.probe.width, 640);
  assert.equal(j.probe.height, 360);
  const expected = FPS * j.seconds + 1;
  const decoded = Number(j.probe.nb_read_frames);
  assert.ok(Math.abs(decoded - expected) <= 2, `ffprobe decoded ${decoded} frames in ${j.seconds.toFixed(2)} s; ${expected.toFixed(1)} expected at ${FPS}/s`);
  assert.ok(Math.abs(j.frames - decoded) <= 1, `${j.frames} marked frames vs ${decoded} decoded`);
}

describe('simulator media (--media): PS over RTP judged by ffprobe', { skip: !HAVE_FFMPEG && 'ffmpeg/ffprobe not installed', timeout: 120_000 }, () => {
  let dir: string;
  let h264: string;
  let h265: string;
  let platform: MiniPlatform;
  const sims: Simulator[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sharpeye-sim-media-'));
    h264 = path.join(dir, 'x.mp4');
    h265 = path.join(dir, 'y.mkv');
    const src = ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=${FPS}`, '-t', '2'];
    execFileSync('ffmpeg', [...src, '-c:v', 'libx264', '-g', '25', '-bf', '0', h264]);
    execFileSync('ffmpeg', [...src, '-c:v', 'libx265', '-x265-params', 'log-level=error:bframes=0:keyint=25', h265]);
    platform = await MiniPlatform.start();
  });

  after(async () => {
    for (const s of sims) await s.stop(1000);
    // the ES ffmpeg extracted (cached in the OS temp dir for later runs with the same file)
    for (const f of new Set(sims.map((s) => s.mediaSource?.esFile))) if (f && !f.startsWith(dir)) rmSync(f, { force: true });
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startSim(file: string, extra: Partial<ConstructorParameters<typeof Simulator>[0]> = {}): Promise<Simulator> {
    const s = new Simulator({ server: platform.address, serverId: SERVER_ID, domain: DOMAIN, password: PASSWORD, devices: 1, channelsPerDevice: 4, localHost: '127.0.0.1', media: file, log: silent, idStart: 10 + sims.length * 10, ...extra });
    sims.push(s);
    await s.start();
    await s.whenAllRegistered(10_000);
    return s;
  }

  test('H.264 over UDP: SSRC from y=, PT 96, a marker per frame, +3600 per frame across the loop; BYE stops it', async () => {
    const sim = await startSim(h264);
    const ch = sim.channelIds(sim.deviceIds()[0])[0];
    const rx = await udpReceiver();
    try {
      const r = await invite(platform, sim, ch, offer({ channel: ch, port: rx.port, y: '0100000001' }));
      assert.equal(r.response.status, 200, r.response.reason);
      assert.ok(r.dialog);
      assert.deepEqual({ codec: sim.mediaSource?.codec, fps: sim.mediaSource?.fps, from: sim.mediaSource?.fpsFrom, frames: sim.mediaSource?.frames.length }, { codec: 'h264', fps: 25, from: 'vui', frames: 50 });
      assert.match(r.answer, /^v=0\r\n/);
      assert.equal(sdpLine(r.answer, 'o='), `${ch} 0 0 IN IP4 127.0.0.1`);
      assert.equal(sdpLine(r.answer, 's='), 'Play');
      assert.equal(sdpLine(r.answer, 'c='), 'IN IP4 127.0.0.1');
      assert.equal(sdpLine(r.answer, 'y='), '0100000001');
      assert.match(r.answer, /\r\na=sendonly\r\n/);
      assert.match(r.answer, /\r\na=rtpmap:96 PS\/90000\r\n/);
      assert.match(sdpLine(r.answer, 'f=') ?? '', /^v\/2\/2\/25\/1\/\d+a\/\/\/$/);
      assert.match(r.response.headers.get('contact') ?? '', new RegExp(`^<sip:${ch}@127\\.0\\.0\\.1:\\d+>$`));
      const mPort = Number(/^video (\d+) RTP\/AVP 96$/.exec(sdpLine(r.answer, 'm=') ?? '')?.[1]);
      await sleep(3200); // the file is 2 s: the loop is crossed
      assert.equal(sim.stats().streams, 1);
      assert.ok(sim.stats().mediaKbps > 100, `mediaKbps ${sim.stats().mediaKbps}`);
      const bye = await r.dialog.bye();
      assert.equal(bye?.status, 200);
      const n = rx.packets.length;
      await sleep(400);
      assert.ok(rx.packets.length - n <= 2, 'RTP keeps coming after BYE');
      assert.equal(sim.stats().streams, 0);
      assert.deepEqual([...rx.sources], [mPort], 'RTP comes from the port the answer names');
      const j = judge(rx.packets.slice(0, n), 100000001, dir, 'h264-udp');
      assertRate(j, 'h264');
      assert.ok(j.seconds > 2.8, `collected ${j.seconds} s`);
    } finally {
      rx.close();
    }
  });

  test('H.265 over UDP, as Playback (s=, t= echoed)', async () => {
    const sim = await startSim(h265);
    const ch = sim.channelIds(sim.deviceIds()[0])[1];
    const rx = await udpReceiver();
    try {
      const r = await invite(platform, sim, ch, offer({ channel: ch, s: 'Playback', t: '1763800000 1763803600', port: rx.port, y: '1100000077' }));
      assert.equal(r.response.status, 200, r.response.reason);
      assert.equal(sdpLine(r.answer, 's='), 'Playback');
      assert.equal(sdpLine(r.answer, 't='), '1763800000 1763803600');
      assert.equal(sdpLine(r.answer, 'y='), '1100000077');
      assert.match(sdpLine(r.answer, 'f=') ?? '', /^v\/5\//);
      await sleep(3000);
      const n = rx.packets.length;
      assert.equal((await r.dialog!.bye())?.status, 200);
      assertRate(judge(rx.packets.slice(0, n), 1100000077, dir, 'h265-udp'), 'hevc');
    } finally {
      rx.close();
    }
  });

  test('Playback control: INFO PAUSE stops the frames, PLAY resumes them with the timeline continuing', async () => {
    const sim = await startSim(h264);
    const ch = sim.channelIds(sim.deviceIds()[0])[1];
    const rx = await udpReceiver();
    try {
      const r = await invite(platform, sim, ch, offer({ channel: ch, s: 'Playback', t: '1763800000 1763803600', port: rx.port, y: '1100000012' }));
      assert.equal(r.response.status, 200);
      const info = (body: string) => r.dialog!.request('INFO', { 'Content-Type': 'Application/MANSRTSP' }, Buffer.from(body));
      await sleep(800);
      assert.equal((await info('PAUSE RTSP/1.0\r\nCSeq: 1\r\nPauseTime: now\r\n\r\n')).status, 200);
      await sleep(100);
      const paused = rx.packets.length;
      await sleep(700);
      assert.equal(rx.packets.length, paused, 'no RTP while paused');
      assert.equal((await info('PLAY RTSP/1.0\r\nCSeq: 2\r\nRange: npt=now-\r\n\r\n')).status, 200);
      await sleep(800);
      assert.ok(rx.packets.length > paused + 10, 'RTP again after PLAY');
      assert.equal((await r.dialog!.bye())?.status, 200);
      const ts = [...new Set(rx.packets.map((p) => p.ts))];
      for (let i = 1; i < ts.length; i++) assert.equal((ts[i] - ts[i - 1]) >>> 0, 3600, 'the timeline continues across the pause');
    } finally {
      rx.close();
    }
  });

  test('TCP, offer a=setup:passive: the device connects to the platform, RFC 4571 framing; closing the socket gets a BYE', async () => {
    const sim = await startSim(h264);
    const ch = sim.channelIds(sim.deviceIds()[0])[2];
    const packets: Rtp[] = [];
    let conn: net.Socket | undefined;
    const server = net.createServer((s) => {
      conn = s;
      s.on('data', rfc4571Reader((p) => packets.push(parseRtp(p, Date.now()))));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const r = await invite(platform, sim, ch, offer({ channel: ch, port, tcp: 'passive', y: '0100000002' }));
      assert.equal(r.response.status, 200, r.response.reason);
      assert.match(sdpLine(r.answer, 'm=') ?? '', /^video \d+ TCP\/RTP\/AVP 96$/);
      assert.match(r.answer, /\r\na=setup:active\r\n/);
      assert.match(r.answer, /\r\na=connection:new\r\n/);
      assert.equal(sdpLine(r.answer, 'y='), '0100000002');
      await sleep(3000);
      assert.ok(conn, 'the device connected');
      assert.equal(Number(/^video (\d+)/.exec(sdpLine(r.answer, 'm=')!)![1]), conn.remotePort, 'answer names the port the device connects from');
      const n = packets.length;
      const byes = platform.byes.length;
      conn.destroy();
      await platform.until(() => platform.byes.length > byes, 5000, 'device BYE after the media connection closed');
      const bye = platform.byes[platform.byes.length - 1];
      assert.equal(bye.callId, r.dialog!.callId);
      assert.equal(bye.from, ch);
      assert.equal(bye.fromTag, r.dialog!.remoteTag, "BYE From carries the device's tag from the 200");
      assert.equal(bye.toTag, r.fromTag, "BYE To carries the platform's tag");
      assert.equal(sim.stats().streams, 0);
      assertRate(judge(packets.slice(0, n), 100000002, dir, 'h264-tcp-passive'), 'h264');
    } finally {
      server.close();
    }
  });

  test('TCP, offer a=setup:active: the device listens on the answered port, the platform connects; H.265', async () => {
    const sim = await startSim(h265);
    const ch = sim.channelIds(sim.deviceIds()[0])[3];
    const r = await invite(platform, sim, ch, offer({ channel: ch, port: 9, tcp: 'active', y: '0100000003' }));
    assert.equal(r.response.status, 200, r.response.reason);
    assert.match(r.answer, /\r\na=setup:passive\r\n/);
    const port = Number(/^video (\d+) TCP\/RTP\/AVP 96$/.exec(sdpLine(r.answer, 'm=') ?? '')?.[1]);
    assert.ok(port > 0, `answer m= port: ${sdpLine(r.answer, 'm=')}`);
    const packets: Rtp[] = [];
    const sock = net.connect({ host: sdpLine(r.answer, 'c=')!.split(' ')[2], port });
    sock.on('data', rfc4571Reader((p) => packets.push(parseRtp(p, Date.now()))));
    sock.on('error', () => undefined);
    const closed = new Promise<void>((res) => sock.on('close', () => res()));
    await sleep(3000);
    const n = packets.length;
    assert.equal((await r.dialog!.bye())?.status, 200);
    await closed; // BYE closes the connection
    assertRate(judge(packets.slice(0, n), 100000003, dir, 'h265-tcp-active'), 'hevc');
  });

  test('several channels at once, re-INVITE after BYE, device-initiated BYE (--media-bye-after), 488 without PS', async () => {
    const sim = await startSim(h264, { mediaByeAfter: 1.5 });
    const chans = sim.channelIds(sim.deviceIds()[0]);
    const rxs = await Promise.all(chans.map(() => udpReceiver()));
    try {
      const calls = await Promise.all(chans.map((ch, i) => invite(platform, sim, ch, offer({ channel: ch, port: rxs[i].port, y: `010000010${i}` }))));
      for (const c of calls) assert.equal(c.response.status, 200);
      assert.equal(new Set(calls.map((c) => sdpLine(c.answer, 'm='))).size, chans.length, 'a socket per stream');
      await sleep(800);
      assert.equal(sim.stats().streams, chans.length);
      const byes = platform.byes.length;
      await platform.until(() => platform.byes.length >= byes + chans.length, 5000, 'a BYE from the device for each stream');
      const got = platform.byes.slice(byes);
      assert.deepEqual(new Set(got.map((b) => b.callId)), new Set(calls.map((c) => c.dialog!.callId)));
      for (const b of got) {
        const c = calls.find((x) => x.dialog!.callId === b.callId)!;
        assert.equal(b.uri, `sip:${SERVER_ID}@${platform.sockets.local.address}:${platform.sockets.local.port}`, 'BYE goes to the INVITE Contact');
        assert.match(b.cseq, /^\d+ BYE$/);
        assert.equal(b.fromTag, c.dialog!.remoteTag);
        assert.equal(b.toTag, c.fromTag);
      }
      await sleep(300);
      assert.equal(sim.stats().streams, 0);
      for (let i = 0; i < chans.length; i++) {
        const n = rxs[i].packets.length;
        assert.ok(n > 10, `channel ${i} got ${n} packets`);
        assert.ok(rxs[i].packets.every((p) => p.ssrc === 100000100 + i), `channel ${i} SSRC`);
        const frames = rxs[i].packets.filter((p) => p.marker).length;
        assert.ok(Math.abs(frames - 1.5 * FPS) <= 3, `channel ${i}: ${frames} frames in 1.5 s`);
      }
      // the same channel again after its BYE: a new dialog, a new stream
      const again = await invite(platform, sim, chans[0], offer({ channel: chans[0], port: rxs[0].port, y: '0100000200' }));
      assert.equal(again.response.status, 200);
      await sleep(600);
      assert.ok(rxs[0].packets.some((p) => p.ssrc === 100000200), 're-INVITE streams');
      assert.equal((await again.dialog!.bye())?.status, 200);
      // no PS in the offer: 488
      const noPs = offer({ channel: chans[1], port: rxs[1].port, y: '0100000300' }).replace(/ 96 98 97/, ' 98').replace(/a=rtpmap:96 PS\/90000\r\n/, '');
      assert.equal((await invite(platform, sim, chans[1], noPs)).response.status, 488);
    } finally {
      for (const r of rxs) r.close();
    }
  });

  for (const deviceBye of [false, true]) {
    test(`sipp as platform (UAC): INVITE, 200 with a PS answer, ACK, RTP, ${deviceBye ? "the device's BYE" : "sipp's BYE"}`, { skip: !SIPP && 'sipp not installed' }, async () => {
      const sim = await startSim(h264, deviceBye ? { mediaByeAfter: 1 } : {});
      const ch = sim.channelIds(sim.deviceIds()[0])[0];
      const simPort = platform.registrations.get(sim.deviceIds()[0])!.peer.port;
      const rx = await udpReceiver();
      const cwd = mkdtempSync(path.join(tmpdir(), 'sharpeye-sipp-invite-'));
      try {
        const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
          const p = spawn(SIPP, ['-sf', INVITE_SCENARIO, `127.0.0.1:${simPort}`, '-s', ch, '-i', '127.0.0.1', '-p', '0', '-m', '1', '-nostdin', '-trace_err', '-trace_msg',
            '-key', 'rtp_port', String(rx.port), '-timeout', '20s', '-timeout_error'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          p.stdout.on('data', (d: Buffer) => (out += d.toString()));
          p.stderr.on('data', (d: Buffer) => (out += d.toString()));
          p.on('close', (code) => resolve({ code, out }));
        });
        const read = (suffix: string) => {
          const f = readdirSync(cwd).find((n) => n.endsWith(suffix));
          return f ? readFileSync(path.join(cwd, f), 'utf8') : '';
        };
        assert.equal(run.code, 0, `sipp failed:\n${read('_errors.log')}\n${run.out.slice(-1500)}`);
        const msgs = read('_messages.log');
        if (deviceBye) assert.match(msgs, new RegExp(`^BYE sip:35020000002000000001@127\\.0\\.0\\.1:\\d+ SIP/2\\.0`, 'm'), 'the device sent BYE to the INVITE Contact');
        else assert.match(msgs, new RegExp(`^BYE sip:${ch}@127\\.0\\.0\\.1:${simPort} SIP/2\\.0`, 'm'), "sipp's BYE went to the 200's Contact");
        const frames = rx.packets.filter((p) => p.marker).length;
        assert.ok(frames >= (deviceBye ? 20 : 90), `${frames} frames received`);
        assert.ok(rx.packets.every((p) => p.ssrc === 100000009 && p.pt === 96));
        await sleep(300);
        assert.equal(sim.stats().streams, 0);
      } finally {
        rx.close();
        rmSync(cwd, { recursive: true, force: true });
      }
    });
  }

  test('UDP: the 200 is re-sent until the ACK comes (RFC 3261 §13.3.1.4), media starts on the ACK', async () => {
    const sim = await startSim(h264);
    const ch = sim.channelIds(sim.deviceIds()[0])[0];
    const simPort = platform.registrations.get(sim.deviceIds()[0])!.peer.port;
    const rx = await udpReceiver();
    const sip = dgram.createSocket('udp4');
    await new Promise<void>((r) => sip.bind(0, '127.0.0.1', () => r()));
    const got: string[] = [];
    sip.on('message', (m) => got.push(m.toString('utf8')));
    try {
      const me = `127.0.0.1:${sip.address().port}`;
      const body = offer({ channel: ch, port: rx.port, y: '0100000013' });
      const head = (method: string, cseq: string, to: string) =>
        [`${method} sip:${ch}@127.0.0.1:${simPort} SIP/2.0`, `Via: SIP/2.0/UDP ${me};rport;branch=z9hG4bK${method}${Date.now()}`, `From: <sip:${SERVER_ID}@${DOMAIN}>;tag=plat1`, `To: ${to}`,
          'Call-ID: raw-invite-1', `CSeq: ${cseq}`, `Contact: <sip:${SERVER_ID}@${me}>`, 'Max-Forwards: 70'];
      const invite = [...head('INVITE', '1 INVITE', `<sip:${ch}@${DOMAIN}>`), 'Content-Type: APPLICATION/SDP', `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
      sip.send(invite, simPort, '127.0.0.1');
      await sleep(1800); // 200 at 0, 0.5 and 1.5 s
      const oks = got.filter((m) => m.startsWith('SIP/2.0 200'));
      assert.ok(oks.length >= 3, `${oks.length} copies of the 200 before any ACK`);
      assert.equal(rx.packets.length, 0, 'no media before the ACK');
      const to = /^To: (.*)$/m.exec(oks[0])![1];
      assert.match(to, /;tag=/);
      sip.send([...head('ACK', '1 ACK', to), 'Content-Length: 0', '', ''].join('\r\n'), simPort, '127.0.0.1');
      await sleep(1200);
      const after = got.filter((m) => m.startsWith('SIP/2.0 200')).length;
      await sleep(1200);
      assert.equal(got.filter((m) => m.startsWith('SIP/2.0 200')).length, after, 'no more 200s after the ACK');
      assert.ok(rx.packets.filter((p) => p.marker).length >= 40, 'media after the ACK');
      sip.send([...head('BYE', '2 BYE', to), 'Content-Length: 0', '', ''].join('\r\n'), simPort, '127.0.0.1');
      await sleep(300);
      assert.ok(got.some((m) => /^SIP\/2\.0 200[^]*CSeq: 2 BYE/m.test(m)), 'BYE answered 200');
      assert.equal(sim.stats().streams, 0);
    } finally {
      sip.close();
      rx.close();
    }
  });

  test('SIP over TCP: INVITE and the device BYE travel on the device connection (Contact ;transport=tcp)', async () => {
    const sim = await startSim(h264, { transport: 'tcp', mediaByeAfter: 1 });
    const ch = sim.channelIds(sim.deviceIds()[0])[0];
    const rx = await udpReceiver();
    try {
      assert.equal(platform.registrations.get(sim.deviceIds()[0])!.peer.transport, 'TCP');
      const byes = platform.byes.length;
      const r = await invite(platform, sim, ch, offer({ channel: ch, port: rx.port, y: '0100000010' }));
      assert.equal(r.response.status, 200);
      assert.match(r.response.headers.get('contact') ?? '', /;transport=tcp>$/);
      await platform.until(() => platform.byes.length > byes, 5000, 'device BYE over TCP');
      assert.equal(platform.byes[platform.byes.length - 1].callId, r.dialog!.callId);
      assert.ok(rx.packets.filter((p) => p.marker).length >= 20);
    } finally {
      rx.close();
    }
  });

  test('the command line: --media with --stats reports streams and mediaKbps', { timeout: 30_000 }, async () => {
    const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/sharpeye-sim.mjs');
    const p = spawn(process.execPath, [bin, '--server', platform.address, '--server-id', SERVER_ID, '--domain', DOMAIN, '--password', PASSWORD, '--devices', '1', '--channels-per-device', '2',
      '--id-start', '500', '--local-host', '127.0.0.1', '--media', h264, '--stats', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
    const lines = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, number>);
    const rx = await udpReceiver();
    try {
      const plan = new IdPlan(`${DOMAIN.slice(0, 8)}00`, 2, 500, 1);
      const dev = plan.deviceId(0);
      const channel = plan.channelId(0, 1);
      await platform.until(() => platform.registrations.has(dev), 15_000, 'CLI device registered');
      const asSim = { deviceIds: () => [dev], channelIds: () => [plan.channelId(0, 0), channel] } as unknown as Simulator;
      const r = await invite(platform, asSim, channel, offer({ channel, port: rx.port, y: '0100000011' }));
      assert.equal(r.response.status, 200, err);
      await sleep(2500);
      const last = lines().at(-1)!;
      assert.equal(last.streams, 1, JSON.stringify(last));
      assert.ok(last.mediaKbps > 100 && last.mediaKbps < 5000, `mediaKbps ${last.mediaKbps}`);
      p.kill('SIGINT');
      assert.equal(await exited, 0, err);
      assert.ok(platform.byes.some((b) => b.callId === r.dialog!.callId), 'SIGINT ends the stream with a BYE');
    } finally {
      p.kill('SIGKILL');
      rx.close();
    }
  });

  test('a codec other than H.264/H.265 stops the start with a clear error; options parse', async () => {
    const mpeg4 = path.join(dir, 'm.avi');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '1', '-c:v', 'mpeg4', mpeg4]);
    const s = new Simulator({ server: platform.address, serverId: SERVER_ID, domain: DOMAIN, password: PASSWORD, devices: 1, channelsPerDevice: 1, localHost: '127.0.0.1', media: mpeg4, log: silent, idStart: 900 });
    await assert.rejects(s.start(), /video codec is mpeg4; the simulator sends H\.264 or H\.265 only/);
    await s.stop(100);
    const base = ['--server', '127.0.0.1:5060', '--server-id', SERVER_ID, '--domain', DOMAIN, '--password', 'x', '--devices', '1', '--channels-per-device', '1'];
    const o = parseCli([...base, '--media', 'a.mp4', '--fps', '12.5', '--media-bye-after', '3']);
    assert.ok(o !== 'help');
    assert.equal(o.fps, 12.5);
    assert.equal(o.mediaByeAfter, 3);
    assert.throws(() => parseCli([...base, '--fps', '30']), /need --media/);
    assert.throws(() => parseCli([...base, '--media', 'a.mp4', '--fps', 'x']), /--fps must be a number/);
  });
});

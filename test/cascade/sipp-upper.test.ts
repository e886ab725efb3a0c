import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/core/logger.js';
import { Simulator } from '../../src/sim/simulator.js';
import { HAVE_FFMPEG, probe, testClip, video } from '../helpers/media-tools.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';
import { freeUdpPort, runSipp, SIPP_DIR } from '../helpers/sipp.js';

// sipp (an independent SIP implementation) plays the bureau's upper platform: it challenges our REGISTER with
// digest and checks the answer, then INVITEs a shared channel over UDP and over TCP; ffprobe reads the PS we send.
// Refusals: an unshared channel (404), an SDP without a usable media line (488). Afterwards nothing is left running.

const UPPER_ID = '35010000002000000001';
const HAVE_SIPP = (() => {
  try {
    return spawn('sipp', ['-v']).pid !== undefined;
  } catch {
    return false;
  }
})();

/** RTP payloads in sequence order (RFC 3550 §5.1: CSRC list and extension skipped). */
function rtpPayloads(packets: Buffer[]): { ps: Buffer; ssrcs: Set<number>; pts: Set<number> } {
  const ssrcs = new Set<number>();
  const pts = new Set<number>();
  const parts = packets
    .filter((p) => p.length > 12 && p[0] >> 6 === 2)
    .map((p) => {
      ssrcs.add(p.readUInt32BE(8));
      pts.add(p[1] & 0x7f);
      let off = 12 + (p[0] & 0x0f) * 4;
      if (p[0] & 0x10) off += 4 + p.readUInt16BE(off + 2) * 4;
      return { seq: p.readUInt16BE(2), data: p.subarray(off) };
    });
  // sequence numbers start anywhere and wrap: order by distance from the first
  const first = parts[0]?.seq ?? 0;
  parts.sort((a, b) => ((a.seq - first + 65536) % 65536) - ((b.seq - first + 65536) % 65536));
  return { ps: Buffer.concat(parts.map((p) => p.data)), ssrcs, pts };
}

describe('cascade with sipp as the upper platform', { skip: (!HAVE_FFMPEG && 'ffmpeg missing') || (!HAVE_SIPP && 'sipp missing (apt-get install sip-tester)') }, () => {
  let lower: TestApp;
  let sim: Simulator;
  let shared = '';
  let hidden = '';
  let upperId = '';
  /** where the sipp registrar of the first test listened (our upper link stays registered to it) */
  let upperPort = 0;
  const dir = mkdtempSync(path.join(tmpdir(), 'sipp-upper-'));

  before(async () => {
    lower = await startTestApp('sqlite', { SHARPEYE_STREAM_LINGER: '1' });
    sim = new Simulator({ server: `127.0.0.1:${lower.platform.sipPort}`, serverId: '35020000002000000001', domain: '3502000000', password: '12345678', devices: 1, channelsPerDevice: 2, media: await testClip('h264-360p'), log: createLogger('silent') } as never);
    await sim.start();
    for (let i = 0; i < 100 && !hidden; i++) {
      const items = (await lower.app.inject({ method: 'GET', url: '/api/v1/channels?online=true', headers: lower.admin })).json().items as Array<{ id: string }>;
      if (items.length >= 2) [shared, hidden] = items.map((c) => c.id).sort();
      else await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(hidden, 'camera registered');
  });

  /** sipp as the registrar on the upper's port for one REGISTER call (challenge, check, 200), listening when this resolves */
  const registrar = async (port: number) => {
    const args = ['-sf', path.join(SIPP_DIR, 'upper-register.xml'), '-i', '127.0.0.1', '-p', String(port), '-m', '1', '-nostdin', '-timeout', '20s', '-timeout_error', '-trace_err'];
    const sipp = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    sipp.stdout.on('data', (d) => (out += d));
    sipp.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => sipp.on('close', r));
    await new Promise((r) => setTimeout(r, 300));
    return { sipp, exited, output: () => out };
  };

  after(async () => {
    await sim?.stop(); // before the platform goes: unregistering against nothing waits for timeouts
    // the same for our unregister from the upper: a registrar answers it (else closing waits out the REGISTER timeout)
    const reg = upperPort ? await registrar(upperPort) : undefined;
    await lower?.close();
    if (reg) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([reg.exited, new Promise((r) => (timer = setTimeout(r, 2000)))]);
      clearTimeout(timer);
      reg.sipp.kill('SIGKILL');
    }
  });

  test('REGISTER with digest to sipp (401 → verified → 200)', async () => {
    const port = await freeUdpPort();
    const { exited, output } = await registrar(port);
    const r = await lower.app.inject({
      method: 'POST',
      url: '/api/v1/upper-platforms',
      headers: lower.admin,
      payload: { name: 'sipp upper', serverId: UPPER_ID, domain: '3501000000', host: '127.0.0.1', port, localId: '35020000002000000001', password: 'cascade-pw', keepaliveInterval: 60 },
    });
    assert.equal(r.statusCode, 201, r.body);
    upperId = r.json().id;
    upperPort = port;
    const code = await exited;
    assert.equal(code, 0, `sipp verified our digest and answered 200: ${output().slice(-1500)}`);
    const st = (await lower.app.inject({ method: 'GET', url: `/api/v1/upper-platforms/${upperId}`, headers: lower.admin })).json().status;
    assert.equal(st.state, 'registered');
    assert.equal(st.upperDate, '2026-11-25T10:00:00.000', 'the upper\'s Date header is kept as the time reference');
    const put = await lower.app.inject({ method: 'PUT', url: `/api/v1/upper-platforms/${upperId}/channels`, headers: lower.admin, payload: { channelIds: [shared] } });
    assert.equal(put.statusCode, 200, put.body);
  });

  test('INVITE over UDP: PS over RTP with the SSRC of y=, read by ffprobe; BYE ends it', async () => {
    const rtp = dgram.createSocket('udp4');
    const packets: Buffer[] = [];
    rtp.on('message', (m) => packets.push(Buffer.from(m)));
    await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', () => r()));
    const mport = (rtp.address() as { port: number }).port;
    const res = await runSipp({ server: `127.0.0.1:${lower.platform.sipPort}`, scenario: 'upper-invite.xml', localPort: await freeUdpPort(), vars: { upper: UPPER_ID, ch: shared, mip: '127.0.0.1', mport, proto: 'RTP/AVP', setup: 'a=connection:new', ssrc: '0100000001' } });
    rtp.close();
    assert.equal(res.code, 0, `${res.output}\n${res.errors}`);
    const { ps, ssrcs, pts } = rtpPayloads(packets);
    assert.deepEqual([...ssrcs], [100000001], 'SSRC = y=');
    assert.deepEqual([...pts], [96]);
    const file = path.join(dir, 'udp.ps');
    writeFileSync(file, ps);
    const v = video(await probe(file, { args: ['-f', 'mpeg'] }));
    assert.equal(v.codec_name, 'h264');
    assert.equal(v.width, 640);
    assert.ok(Number(v.nb_read_frames) >= 40, `frames in ~3 s: ${v.nb_read_frames}`);
  });

  test('INVITE over TCP (the upper listens, a=setup:passive): RFC 4571 framed PS read by ffprobe', async () => {
    const chunks: Buffer[] = [];
    const server = net.createServer((sock) => sock.on('data', (d) => chunks.push(Buffer.from(d))));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const mport = (server.address() as { port: number }).port;
    const res = await runSipp({ server: `127.0.0.1:${lower.platform.sipPort}`, scenario: 'upper-invite.xml', localPort: await freeUdpPort(), vars: { upper: UPPER_ID, ch: shared, mip: '127.0.0.1', mport, proto: 'TCP/RTP/AVP', setup: 'a=setup:passive', ssrc: '0100000002' } });
    server.close();
    assert.equal(res.code, 0, `${res.output}\n${res.errors}`);
    const all = Buffer.concat(chunks);
    const packets: Buffer[] = [];
    for (let o = 0; o + 2 <= all.length; ) {
      const n = all.readUInt16BE(o);
      if (o + 2 + n > all.length) break;
      packets.push(all.subarray(o + 2, o + 2 + n));
      o += 2 + n;
    }
    const { ps, ssrcs } = rtpPayloads(packets);
    assert.deepEqual([...ssrcs], [100000002]);
    const file = path.join(dir, 'tcp.ps');
    writeFileSync(file, ps);
    const v = video(await probe(file, { args: ['-f', 'mpeg'] }));
    assert.equal(v.codec_name, 'h264');
    assert.ok(Number(v.nb_read_frames) >= 40, `frames: ${v.nb_read_frames}`);
  });

  test('Playback and Download of our recordings: PS over RTP until MediaStatus 121; Download runs downloadspeed× faster', async () => {
    // record the shared channel for a while
    const plan = await lower.app.inject({ method: 'PUT', url: `/api/v1/channels/${shared}/record-plan`, headers: lower.admin, payload: { mode: 'always' } });
    assert.equal(plan.statusCode, 200, plan.body);
    let span: { startMs: number; endMs: number } | undefined;
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const s = (await lower.app.inject({ method: 'GET', url: `/api/v1/channels/${shared}/records?start=${new Date(Date.now() - 600_000).toISOString()}&end=${new Date(Date.now() + 60_000).toISOString()}`, headers: lower.admin })).json();
      span = s.items[0];
      if (span && span.endMs - span.startMs >= 7000) break;
    }
    assert.ok(span && span.endMs - span.startMs >= 7000, 'recorded 7 s');
    const t0 = Math.ceil(span.startMs / 1000) + 1;
    const results: Record<string, { wallMs: number; frames: number }> = {};
    for (const [subject, speed] of [['Playback', 1], ['Download', 4]] as const) {
      const rtp = dgram.createSocket('udp4');
      const packets: Buffer[] = [];
      rtp.on('message', (m) => packets.push(Buffer.from(m)));
      await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', () => r()));
      const started = Date.now();
      const res = await runSipp({ server: `127.0.0.1:${lower.platform.sipPort}`, scenario: 'upper-invite-range.xml', localPort: await freeUdpPort(), timeoutS: 40, vars: { upper: UPPER_ID, ch: shared, mip: '127.0.0.1', mport: (rtp.address() as { port: number }).port, ssrc: '1100000003', subject, t0, t1: t0 + 4, speed } });
      const wallMs = Date.now() - started;
      rtp.close();
      assert.equal(res.code, 0, `${subject}: ${res.output}\n${res.errors}`);
      const file = path.join(dir, `${subject}.ps`);
      writeFileSync(file, rtpPayloads(packets).ps);
      const v = video(await probe(file, { args: ['-f', 'mpeg'] }));
      assert.equal(v.codec_name, 'h264', subject);
      results[subject] = { wallMs, frames: Number(v.nb_read_frames) };
    }
    console.log(`# 4 s range: ${JSON.stringify(results)}`);
    assert.ok(results.Playback.frames >= 90 && results.Playback.frames <= 140, `playback frames ${results.Playback.frames} (4 s at 25 fps + the GOP before)`);
    assert.ok(results.Playback.wallMs >= 3500, `playback paced at 1×: ${results.Playback.wallMs} ms`);
    assert.ok(results.Download.frames >= 90, `download frames ${results.Download.frames}`);
    assert.ok(results.Download.wallMs < results.Playback.wallMs * 0.6, `download at 4× took ${results.Download.wallMs} ms vs playback ${results.Playback.wallMs} ms`);
    await lower.app.inject({ method: 'PUT', url: `/api/v1/channels/${shared}/record-plan`, headers: lower.admin, payload: { mode: 'off' } });
  });

  test('refusals: an unshared channel gets 404, an SDP without a media line 488; nothing leaks', async () => {
    const r404 = await runSipp({ server: `127.0.0.1:${lower.platform.sipPort}`, scenario: 'upper-invite-404.xml', localPort: await freeUdpPort(), vars: { upper: UPPER_ID, ch: hidden, sdp: 'm=video 40000 RTP/AVP 96' } });
    assert.equal(r404.code, 0, `${r404.output}\n${r404.errors}`);
    const r488 = await runSipp({ server: `127.0.0.1:${lower.platform.sipPort}`, scenario: 'upper-invite-488.xml', localPort: await freeUdpPort(), vars: { upper: UPPER_ID, ch: shared, sdp: 'a=recvonly' } });
    assert.equal(r488.code, 0, `${r488.output}\n${r488.errors}`);
    // after the BYEs: no cascade session, no send, and the live stream goes after its linger
    const sessions = (await lower.app.inject({ method: 'GET', url: `/api/v1/upper-platforms/${upperId}/sessions`, headers: lower.admin })).json().items;
    assert.equal(sessions.length, 0);
    assert.equal((await lower.platform.media!.sends()).length, 0);
    for (let i = 0; i < 50; i++) {
      if (!(await lower.platform.media!.streams()).length) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal((await lower.platform.media!.streams()).length, 0, 'the camera stream was released');
  });
});

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { createLogger } from '../../src/core/logger.js';
import { FlvReader, splitLengthPrefixed } from '../../src/lib/flv/index.js';
import { readFlv } from '../helpers/flv.js';
import { Simulator } from '../../src/sim/simulator.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';
import { HAVE_FFMPEG, probe, testClip, video } from '../helpers/media-tools.js';

// Live video end to end: simulated cameras (PS over RTP from real x264/x265 bytes) → platform → every output,
// judged by ffprobe (an independent reader) and by counting FLV tags.

interface Urls {
  flv: string;
  wsFlv: string;
  hls: string;
  rtsp: string;
  info: { state: string; codec: string; width: number; height: number };
}

describe('live video: GB device → hub → FLV / WS-FLV / HLS / RTSP', { skip: !HAVE_FFMPEG && 'ffmpeg/ffprobe missing (apt-get install ffmpeg)' }, () => {
  let t: TestApp;
  let base: string;
  const sims: Simulator[] = [];
  const silent = createLogger('silent');

  before(async () => {
    const [h264, h265] = await Promise.all([testClip('h264-1080p'), testClip('h265-360p')]);
    t = await startTestApp('sqlite', { SHARPEYE_STREAM_LINGER: '2' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const addr = t.app.server.address() as { port: number };
    base = `http://127.0.0.1:${addr.port}`;
    const common = { server: `127.0.0.1:${t.platform.sipPort}`, serverId: '35020000002000000001', domain: '3502000000', password: '12345678', devices: 1, channelsPerDevice: 1, log: silent };
    sims.push(new Simulator({ ...common, media: h264, idStart: 1 } as never));
    sims.push(new Simulator({ ...common, media: h265, idStart: 2 } as never));
    // a camera that ends every stream with its own BYE after 2 s (device restart, encoder reset)
    sims.push(new Simulator({ ...common, media: h264, idStart: 3, mediaByeAfter: 2 } as never));
    for (const s of sims) await s.start();
    // registration + catalog
    for (let i = 0; i < 100; i++) {
      const r = await t.app.inject({ method: 'GET', url: '/api/v1/channels?online=true', headers: t.admin });
      if (r.json().total >= 3) break;
      await new Promise((res) => setTimeout(res, 100));
    }
  });

  after(async () => {
    await Promise.all(sims.map((s) => s.stop())); // before the platform goes: unregistering against nothing waits for timeouts
    await t?.close();
  });

  const channels = async () => (await t.app.inject({ method: 'GET', url: '/api/v1/channels?pageSize=10', headers: t.admin })).json().items as { id: string; deviceId: string }[];
  const startLive = async (id: string, headers = t.admin, body: object = {}) => {
    const r = await t.app.inject({ method: 'POST', url: `/api/v1/channels/${id}/live`, headers: { ...headers, host: new URL(base).host }, payload: body });
    assert.equal(r.statusCode, 200, r.body);
    return r.json() as Urls;
  };

  test('H.264 1080p: FLV counts every frame once, a second viewer starts in < 1 s, ffprobe reads FLV, WS-FLV, HLS and RTSP', async () => {
    const ch = (await channels()).find((c) => c.deviceId.endsWith('0000001'));
    assert.ok(ch, 'the H.264 camera registered');
    const t0 = Date.now();
    const urls = await startLive(ch.id);
    assert.ok(Date.now() - t0 < 5000, 'INVITE to first frame under 5 s');
    assert.equal(urls.info.state, 'live');
    assert.deepEqual([urls.info.codec, urls.info.width, urls.info.height], ['h264', 1920, 1080]);

    // 10 s of HTTP-FLV: every video tag 40 ms after the previous one (none lost, none duplicated)
    const flv = await readFlv(urls.flv, 10_000);
    assert.equal(flv.status, 200);
    const steps = flv.times.slice(1).map((v, i) => v - flv.times[i]);
    const bad = steps.filter((d) => d !== 40);
    assert.ok(flv.times.length >= 240, `frames in 10 s: ${flv.times.length}`);
    assert.deepEqual(bad, [], `timestamp steps other than 40 ms: ${bad.slice(0, 10).join(',')}`);

    // a second viewer of the running stream: first video tag in < 1 s (GOP cache)
    const second = await readFlv(urls.flv, 1500);
    assert.ok(second.firstMs >= 0 && second.firstMs < 1000, `second viewer's first frame after ${second.firstMs} ms`);

    const [f, ws, hls, rtsp] = await Promise.all([
      probe(urls.flv, { seconds: 3 }),
      (async () => {
        const file = path.join(t.dataDir, 'ws.flv');
        const chunks: Buffer[] = [];
        await new Promise<void>((resolve, reject) => {
          const sock = new WebSocket(urls.wsFlv);
          sock.on('message', (d) => chunks.push(Buffer.from(d as Buffer)));
          sock.on('error', reject);
          setTimeout(() => {
            sock.close();
            resolve();
          }, 3000);
        });
        writeFileSync(file, Buffer.concat(chunks));
        return probe(file);
      })(),
      probe(urls.hls, { seconds: 3 }),
      probe(urls.rtsp, { seconds: 3, args: ['-rtsp_transport', 'tcp'] }),
    ]);
    for (const [name, streams] of [['flv', f], ['ws-flv', ws], ['hls', hls], ['rtsp', rtsp]] as const) {
      const v = video(streams);
      assert.equal(v.codec_name, 'h264', name);
      assert.equal(v.width, 1920, name);
      assert.equal(v.height, 1080, name);
      assert.equal(v.r_frame_rate, '25/1', name);
      assert.ok(Number(v.nb_read_frames) >= 60, `${name}: ${v.nb_read_frames} frames`);
    }

    // view start/stop audited
    const log = await t.app.inject({ method: 'GET', url: '/api/v1/logs/user?pageSize=100', headers: t.admin });
    const actions = (log.json().items as { action: string; targetId: string }[]).filter((e) => e.targetId === ch.id).map((e) => e.action);
    assert.ok(actions.includes('live.start'));
    assert.ok(actions.includes('media.view.start'));
    assert.ok(actions.includes('media.view.stop'));

    // the measured quality is on the channel (R12)
    const stream = (await t.app.inject({ method: 'GET', url: '/api/v1/streams', headers: t.admin })).json().items[0];
    assert.equal(stream.codec, 'h264');
    assert.ok(stream.fps > 20 && stream.fps < 30, `measured fps ${stream.fps}`);
    assert.ok(stream.bitrateKbps > 500, `measured bitrate ${stream.bitrateKbps} kb/s`);
  });

  test('H.265: HLS and RTSP (UDP) through ffprobe; FLV (enhanced, hvc1) parsed and its HEVC probed', async () => {
    const ch = (await channels()).find((c) => c.deviceId.endsWith('0000002'));
    assert.ok(ch);
    const urls = await startLive(ch.id);
    assert.equal(urls.info.codec, 'h265');
    const [hlsProbe, rtspProbe] = await Promise.all([probe(urls.hls, { seconds: 3 }), probe(urls.rtsp, { seconds: 3, args: ['-rtsp_transport', 'udp'] })]);
    for (const v of [video(hlsProbe), video(rtspProbe)]) {
      assert.deepEqual([v.codec_name, v.width, v.height], ['hevc', 640, 360]);
      assert.ok(Number(v.nb_read_frames) >= 50, `${v.nb_read_frames} frames`);
    }
    const flv = await readFlv(urls.flv, 3000);
    // rebuild Annex B from the FLV: sequence start (hvcC) + coded frames, then ask ffprobe
    const reader = new FlvReader();
    const out: Buffer[] = [];
    const sc = Buffer.from([0, 0, 0, 1]);
    for (const ev of reader.push(Buffer.concat(flv.bytes))) {
      if (ev.kind !== 'tag' || ev.tag.type !== 9) continue;
      const d = ev.tag.data;
      assert.equal(d[0] & 0x80, 0x80, 'enhanced FLV header');
      assert.equal(d.subarray(1, 5).toString('latin1'), 'hvc1');
      const packetType = d[0] & 0x0f;
      if (packetType === 0) {
        // hvcC: arrays of VPS/SPS/PPS (ISO/IEC 14496-15 §8.3.3.1)
        const rec = d.subarray(5);
        let o = 23;
        const arrays = rec[22];
        for (let a = 0; a < arrays; a++) {
          const n = rec.readUInt16BE(o + 1);
          o += 3;
          for (let k = 0; k < n; k++) {
            const len = rec.readUInt16BE(o);
            out.push(sc, rec.subarray(o + 2, o + 2 + len));
            o += 2 + len;
          }
        }
      } else if (packetType === 1 || packetType === 3) {
        for (const nal of splitLengthPrefixed(d.subarray(packetType === 1 ? 8 : 5))) out.push(sc, nal);
      }
    }
    const file = path.join(t.dataDir, 'flv.h265');
    writeFileSync(file, Buffer.concat(out));
    const v = video(await probe(file));
    assert.deepEqual([v.codec_name, v.width, v.height], ['hevc', 640, 360]);
    assert.ok(Number(v.nb_read_frames) >= 50, `${v.nb_read_frames} frames from 3 s of FLV`);
  });

  test('media URLs refuse forged, wrong-stream and revoked tokens; logout cuts a running viewer within 5 s', async () => {
    const ch = (await channels()).find((c) => c.deviceId.endsWith('0000001'))!;
    const other = (await channels()).find((c) => c.deviceId.endsWith('0000002'))!;
    // an operator with their own session
    const role = await t.app.inject({ method: 'POST', url: '/api/v1/roles', headers: t.admin, payload: { name: 'viewer', permissions: ['live.view'], allChannels: true } });
    assert.equal(role.statusCode, 201, role.body);
    const u = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: t.admin, payload: { username: 'op1', password: 'Watch#2026x', displayName: '值班员', roleIds: [role.json().id], mustChangePassword: false } });
    assert.equal(u.statusCode, 201, u.body);
    const op = await t.login('op1', 'Watch#2026x');
    const urls = await startLive(ch.id, op);

    const forged = urls.flv.replace(/token=([^.]+)\.[^&]+/, 'token=$1.AAAA');
    assert.equal((await fetch(forged)).status, 401);
    const wrong = urls.flv.replace(ch.id, other.id);
    const w = await fetch(wrong);
    assert.equal(w.status, 401);
    assert.equal(((await w.json()) as { code: string }).code, 'MEDIA_TOKEN_INVALID');

    const viewing = readFlv(urls.flv, 15_000);
    await new Promise((r) => setTimeout(r, 1000));
    const cutAt = Date.now();
    const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: op });
    assert.ok(out.statusCode < 300, out.body);
    const v = await viewing;
    const cutMs = Date.now() - cutAt;
    assert.ok(cutMs < 5000, `viewer cut ${cutMs} ms after logout`);
    assert.ok(v.times.length > 0);
    // and the same URL no longer opens
    assert.equal((await fetch(urls.flv)).status, 401);
  });

  test('a device that BYEs a watched stream is re-INVITEd and the viewer keeps receiving', async () => {
    const ch = (await channels()).find((c) => c.deviceId.endsWith('0000003'))!;
    const urls = await startLive(ch.id);
    const flv = await readFlv(urls.flv, 7000);
    // frames before the BYE (at 2 s) and after the re-INVITE (0.5 s pause + setup)
    const first = flv.times[0];
    const late = flv.times.filter((x) => x - first > 3500);
    assert.ok(late.length > 25, `frames after the device's BYE: ${late.length} of ${flv.times.length}`);
    const log = await t.app.inject({ method: 'GET', url: `/api/v1/streams`, headers: t.admin });
    const s = (log.json().items as { channelId: string; state: string }[]).find((x) => x.channelId === ch.id);
    assert.equal(s?.state, 'live');
  });

  test('the stream is BYEd after the last viewer leaves (linger), and a new request starts it again', async () => {
    const ch = (await channels()).find((c) => c.deviceId.endsWith('0000002'))!;
    // the sub-stream: a stream of its own that no earlier test watched over HLS (HLS viewers linger 10 s)
    const first = await startLive(ch.id, t.admin, { stream: 'sub' });
    assert.equal((first as unknown as { stream: string }).stream, 'sub');
    const key = `live/${ch.id}/sub`;
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      await new Promise((r) => setTimeout(r, 100));
      gone = !(await t.platform.media!.stream(key));
    }
    assert.ok(gone, 'stream closed after the 2 s linger');
    const again = await startLive(ch.id, t.admin, { stream: 'sub' });
    assert.equal(again.info.state, 'live');
  });

  test('TCP media both ways: the device connects to us (tcp-passive) and we connect to the device (tcp-active)', async () => {
    const all = await channels();
    const ch1 = all.find((c) => c.deviceId.endsWith('0000001'))!;
    const ch2 = all.find((c) => c.deviceId.endsWith('0000002'))!;
    for (const [dev, mode] of [[ch1.deviceId, 'tcp-passive'], [ch2.deviceId, 'tcp-active']]) {
      const r = await t.app.inject({ method: 'PATCH', url: `/api/v1/devices/${dev}`, headers: t.admin, payload: { mediaTransport: mode } });
      assert.equal(r.statusCode, 200, r.body);
    }
    // the earlier test left ch2's sub-stream lingering: let it close so the next start INVITEs anew
    for (let i = 0; i < 60 && (await t.platform.media!.stream(`live/${ch2.id}/sub`)); i++) await new Promise((r) => setTimeout(r, 100));
    const a = await startLive(ch1.id, t.admin, { stream: 'sub' });
    const b = await startLive(ch2.id, t.admin, { stream: 'sub' });
    const streams = (await t.app.inject({ method: 'GET', url: '/api/v1/streams', headers: t.admin })).json().items as { key: string; transport: string }[];
    assert.equal(streams.find((s) => s.key === `live/${ch1.id}/sub`)?.transport, 'tcp-passive');
    assert.equal(streams.find((s) => s.key === `live/${ch2.id}/sub`)?.transport, 'tcp-active');
    const [va, vb] = await Promise.all([probe(a.flv, { seconds: 2 }), probe(b.hls, { seconds: 2 })]);
    assert.equal(video(va).codec_name, 'h264');
    assert.equal(video(vb).codec_name, 'hevc');
  });
});

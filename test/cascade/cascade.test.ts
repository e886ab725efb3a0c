import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/core/logger.js';
import { Simulator } from '../../src/sim/simulator.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { readFlv } from '../helpers/flv.js';
import { HAVE_FFMPEG, probe, testClip, video } from '../helpers/media-tools.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';

// Cascade end to end (issue 11): a second sharpeye plays the bureau's upper platform (its registrar accepts lower
// platforms like devices). Our platform registers to it, shares one of two channels under the ID the bureau gave it,
// answers its Catalog query, sends live video when the upper INVITEs (ffprobe reads the upper's FLV of it), relays
// PTZ from the upper to the camera, refuses a wrong password without a tight loop, and re-registers when the upper
// comes back.

const UPPER_ID = '35010000002000000001';
const UPPER_DOMAIN = '3501000000';
const CUSTOM_ID = '35010000001310000077';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15_000, stepMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(stepMs);
  }
}

describe('cascade to an upper platform (a second sharpeye)', { skip: !HAVE_FFMPEG && 'ffmpeg missing' }, () => {
  let upper: TestApp;
  let lower: TestApp;
  let sim: Simulator;
  let upperBase = '';
  let upperSipPort = 0;
  let upperPlatformId = '';
  let shared = '';
  let hidden = '';

  const call = async (t: TestApp, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object, host?: string) => {
    const r = await t.app.inject({ method, url: `/api/v1${url}`, headers: { ...t.admin, ...(host ? { host } : {}) }, ...(payload ? { payload } : {}) });
    return { status: r.statusCode, body: r.body ? (() => { try { return r.json(); } catch { return r.body; } })() : undefined };
  };

  before(async () => {
    const clip = await testClip('h264-360p');
    upper = await startTestApp('sqlite', { SHARPEYE_SIP_ID: UPPER_ID, SHARPEYE_SIP_DOMAIN: UPPER_DOMAIN, SHARPEYE_STREAM_LINGER: '2' });
    await upper.app.listen({ port: 0, host: '127.0.0.1' });
    upperBase = `127.0.0.1:${(upper.app.server.address() as { port: number }).port}`;
    upperSipPort = upper.platform.sipPort;
    lower = await startTestApp('sqlite', { SHARPEYE_STREAM_LINGER: '2' });
    sim = new Simulator({ server: `127.0.0.1:${lower.platform.sipPort}`, serverId: '35020000002000000001', domain: '3502000000', password: '12345678', devices: 1, channelsPerDevice: 2, media: clip, log: createLogger('silent') } as never);
    await sim.start();
    const chans = await until('the camera channels', async () => {
      const r = await call(lower, 'GET', '/channels?online=true');
      return r.body.total >= 2 ? (r.body.items as Array<{ id: string }>) : undefined;
    });
    [shared, hidden] = chans.map((c) => c.id).sort();
    // the shared channel records from now on, so the upper can fetch a recorded range later
    const plan = await call(lower, 'PUT', `/channels/${shared}/record-plan`, { mode: 'always' });
    assert.equal(plan.status, 200, JSON.stringify(plan.body));
  });

  after(async () => {
    await sim?.stop(); // before the platform goes: unregistering against nothing waits for timeouts
    await lower?.close();
    await upper?.close();
  });

  test('registers to the upper, which sees only the shared channel under the ID it assigned', async () => {
    const created = await call(lower, 'POST', '/upper-platforms', {
      name: '市局视频云',
      serverId: UPPER_ID,
      domain: UPPER_DOMAIN,
      host: '127.0.0.1',
      port: upperSipPort,
      transport: 'udp',
      localId: '35020000002000000001',
      password: '12345678',
      keepaliveInterval: 2,
      keepaliveMisses: 2,
      enabled: false,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    upperPlatformId = created.body.id;
    assert.equal(created.body.hasPassword, true);
    assert.equal(created.body.password, undefined, 'the password is never returned');
    const put = await call(lower, 'PUT', `/upper-platforms/${upperPlatformId}/channels`, { channelIds: [shared], customIds: { [shared]: CUSTOM_ID } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.shared, 1);
    assert.equal((await call(lower, 'PATCH', `/upper-platforms/${upperPlatformId}`, { enabled: true })).status, 200);
    const st = await until('registered', async () => {
      const r = await call(lower, 'GET', `/upper-platforms/${upperPlatformId}`);
      return r.body.status?.state === 'registered' ? r.body.status : undefined;
    });
    assert.ok(st.registeredAt);
    // the upper onboards us like a device: DeviceInfo + Catalog → our shared channel appears there
    const upperChans = await until('the catalog at the upper', async () => {
      const r = await call(upper, 'GET', '/channels?pageSize=100');
      return r.body.items.some((c: { id: string }) => c.id === CUSTOM_ID) ? (r.body.items as Array<{ id: string; deviceId: string; online: boolean }>) : undefined;
    });
    const mine = upperChans.find((c) => c.id === CUSTOM_ID)!;
    assert.equal(mine.deviceId, '35020000002000000001');
    assert.ok(!upperChans.some((c) => c.id === hidden || c.id === shared), 'unshared channels and our own IDs stay hidden');
  });

  test('live video through the cascade: the upper INVITEs, we send PS over RTP, ffprobe reads the upper\'s FLV', async () => {
    const r = await call(upper, 'POST', `/channels/${CUSTOM_ID}/live`, { stream: 'main' }, upperBase);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.info.codec, 'h264');
    const v = video(await probe(r.body.flv, { seconds: 3 }));
    assert.equal(v.codec_name, 'h264');
    assert.equal(v.width, 640);
    assert.ok(Number(v.nb_read_frames) >= 25, `frames: ${v.nb_read_frames}`);
    // one device stream serves the upper: the lower has one live stream of the camera with the cascade as a reader
    const streams = (await call(lower, 'GET', '/streams')).body.items as Array<{ channelId: string; readers: number }>;
    const s = streams.find((x) => x.channelId === shared);
    assert.ok(s && s.readers >= 1, JSON.stringify(streams));
    const sessions = (await call(lower, 'GET', `/upper-platforms/${upperPlatformId}/sessions`)).body.items;
    assert.equal(sessions.length, 1);
    // the upper stops watching: its BYE ends our session and the send
    assert.equal((await call(upper, 'DELETE', `/channels/${CUSTOM_ID}/live?stream=main`)).status, 204);
    await until('session gone', async () => ((await call(lower, 'GET', `/upper-platforms/${upperPlatformId}/sessions`)).body.items.length === 0 ? true : undefined), 10_000);
  });

  test('a recorded range through the cascade: the upper finds it by RecordInfo and plays it; ffprobe reads it', async () => {
    const from = new Date(Date.now() - 10 * 60_000).toISOString();
    const spans = await until('recordings seen by the upper', async () => {
      // a new end each time: the upper caches RecordInfo answers per range for 30 s
      const to = new Date(Date.now() + 60_000).toISOString();
      const r = await call(upper, 'GET', `/channels/${CUSTOM_ID}/records?source=device&start=${from}&end=${to}`);
      const items = (r.body?.items ?? []) as Array<{ startMs: number; endMs: number; source: string }>;
      return items.length && items[0].endMs - items[0].startMs >= 8000 ? items : undefined;
    }, 30_000, 1000);
    assert.equal(spans[0].source, 'device');
    const start = new Date(spans[0].startMs + 1000).toISOString();
    const end = new Date(spans[0].startMs + 7000).toISOString();
    const pb = await call(upper, 'POST', `/channels/${CUSTOM_ID}/playback`, { start, end, source: 'device' }, upperBase);
    assert.equal(pb.status, 200, JSON.stringify(pb.body));
    // the upper's viewer gets the recorded frames at wall pace; ffmpeg decodes what it received
    const flv = await readFlv(pb.body.flv, 2500);
    assert.equal(flv.status, 200);
    assert.ok(flv.times.length >= 40, `video tags in 2.5 s: ${flv.times.length}`);
    const file = path.join(lower.dataDir, 'cascade-playback.flv');
    writeFileSync(file, Buffer.concat(flv.bytes));
    const v = video(await probe(file));
    assert.equal(v.codec_name, 'h264');
    assert.ok(Number(v.nb_read_frames) >= 40, `frames: ${v.nb_read_frames}`);
    const subjects = ((await call(lower, 'GET', `/upper-platforms/${upperPlatformId}/sessions`)).body.items as Array<{ subject: string }>).map((x) => x.subject);
    assert.ok(subjects.includes('Playback'), JSON.stringify(subjects));
    assert.equal((await call(upper, 'DELETE', `/playback/${pb.body.session}`)).status, 204);
  });

  test('PTZ from the upper reaches the camera; audited as the upper platform', async () => {
    const before = sim.stats().controlsAnswered ?? 0;
    const r = await call(upper, 'POST', `/channels/${CUSTOM_ID}/ptz`, { action: 'left', speed: 100 });
    assert.equal(r.status, 204, JSON.stringify(r.body));
    await until('the camera got the PTZ', async () => ((sim.stats().controlsAnswered ?? 0) > before ? true : undefined), 5000);
    const logs = (await call(lower, 'GET', '/logs/user?pageSize=50')).body.items as Array<{ action: string; username: string; targetId: string }>;
    assert.ok(logs.some((l) => l.action === 'cascade.control' && l.username === 'upper:市局视频云' && l.targetId === shared));
  });

  test('an alarm on the shared channel reaches the upper under its ID (NOTIFY on its Alarm subscription)', async () => {
    const devId = (await call(lower, 'GET', `/channels/${shared}`)).body.deviceId as string;
    await sim.raiseAlarm(devId, shared, { alarmDescription: 'cascade alarm test' } as never);
    const hit = await until('the alarm at the upper', async () => {
      const r = await call(upper, 'GET', '/logs/alarm?pageSize=50');
      return (r.body.items as Array<{ channelId: string | null; description: string | null }>).find((a) => a.channelId === CUSTOM_ID);
    }, 10_000);
    assert.ok(hit);
  });

  test('a wrong password gives a clear status and backs off (no tight loop)', async () => {
    const bad = await call(lower, 'POST', '/upper-platforms', { name: 'wrong', serverId: UPPER_ID, domain: UPPER_DOMAIN, host: '127.0.0.1', port: upperSipPort, localId: '35020000002000000002', password: 'nope', keepaliveInterval: 5 });
    assert.equal(bad.status, 201);
    const st = await until('failed', async () => {
      const r = await call(lower, 'GET', `/upper-platforms/${bad.body.id}`);
      return r.body.status?.state === 'failed' ? r.body.status : undefined;
    });
    assert.match(st.error, /REGISTER answered 40[13]/);
    assert.ok(Date.parse(st.nextAttemptAt) - Date.now() > 3000, 'next attempt seconds away');
    const sent0 = upper.platform.gb!.stats().sip.received;
    await sleep(2000);
    const sent1 = upper.platform.gb!.stats().sip.received;
    assert.ok(sent1 - sent0 < 6, `messages from us in 2 s while backing off: ${sent1 - sent0}`);
    assert.equal((await call(lower, 'DELETE', `/upper-platforms/${bad.body.id}`)).status, 204);
  });

  test('an upper that disappears and comes back sees us register again', async () => {
    await upper.close();
    await until('registration lost', async () => {
      const r = await call(lower, 'GET', `/upper-platforms/${upperPlatformId}`);
      return r.body.status?.state !== 'registered' ? true : undefined;
    }, 20_000);
    const t0 = Date.now();
    upper = await startTestApp('sqlite', { SHARPEYE_SIP_ID: UPPER_ID, SHARPEYE_SIP_DOMAIN: UPPER_DOMAIN, SHARPEYE_SIP_PORT: String(upperSipPort) });
    await until('registered again', async () => {
      const r = await call(lower, 'GET', `/upper-platforms/${upperPlatformId}`);
      return r.body.status?.state === 'registered' ? true : undefined;
    }, 30_000, 250);
    const took = Date.now() - t0;
    console.log(`# re-registered ${took} ms after the upper came back`);
    assert.ok(took < 25_000);
  });
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app.js';
import { loadConfig } from '../../src/config/index.js';
import { ManualClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import { createPlatform } from '../../src/platform.js';
import { ADMIN_PASSWORD } from '../helpers/platform.js';
import { SeedTestClient, carJson, faceJson, fakeJpeg } from './seed-client.js';
import { TestBureau, type Received } from './test-bureau.js';

// Forwarding to the bureau (issue 12 §3): captures come in through our served seed interface (a seed client),
// are stored, and a forwarder sends them to a test bureau (test-bureau.ts, written from the seed). Proven here:
// every capture arrives, in order per device, with digest + authenticate, re-authentication on EC003 and after
// 24 h, the bureau's clock in localTime; while the bureau is down (~15 s) captures queue up, survive a platform
// restart, and all arrive once it is back; duplicates only where the bureau's answer was lost; a device the bureau
// does not know (EC000) waits without holding up the others.

const CAMS = ['35020000001320000101', '35020000001320000102', '35020000001320000103'];
const KAKOU = '35020000001320000201';
const NODE = '35020000002000000001';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, stepMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(stepMs);
  }
}
const contentHash = (bufs: Buffer[]) => {
  const h = createHash('sha1');
  for (const b of bufs) h.update(b.toString('base64'));
  return h.digest('hex');
};

interface Node {
  app: FastifyInstance;
  platform: Awaited<ReturnType<typeof createPlatform>>;
  admin: Record<string, string>;
  face: SeedTestClient;
  car: SeedTestClient;
}

describe('forwarding captures to the bureau', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sharpeye-fwd-'));
  const clock = new ManualClock(Date.parse('2026-11-25T02:00:00Z'));
  const bureau = new TestBureau();
  let n: Node;
  /** what we sent, by content hash → {gate, seq} */
  const sent = new Map<string, { kind: 'face' | 'car'; gate: string; seq: number }>();
  let seq = 0;
  let faceKeys: Record<string, string> = {};
  let carKey = '';

  async function boot(): Promise<Node> {
    const config = loadConfig({ SHARPEYE_DATA_DIR: dataDir, SHARPEYE_WEB_DIR: path.join(dataDir, 'no-web'), SHARPEYE_SIP_PORT: '0', SHARPEYE_RTSP_PORT: '0', SHARPEYE_RTMP_PORT: '0', SHARPEYE_HOST: '127.0.0.1' });
    const platform = await createPlatform(config, createLogger(process.env.SHARPEYE_TEST_LOG ?? 'silent'), clock);
    await platform.auth.bootstrap(ADMIN_PASSWORD);
    const app = await buildApp(platform);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const r = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: ADMIN_PASSWORD } });
    return { app, platform, admin: { authorization: `Bearer ${r.json().token}` }, face: new SeedTestClient(base, 'face'), car: new SeedTestClient(base, 'car') };
  }
  async function shutdown(): Promise<void> {
    await n.app.close();
    await n.platform.close();
  }
  const api = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) => {
    const r = await n.app.inject({ method, url: `/api/v1${url}`, headers: n.admin, ...(payload ? { payload } : {}) });
    return { status: r.statusCode, body: r.body ? r.json() : undefined };
  };
  const targets = async () => (await api('GET', '/image-forward/targets')).body.items as Array<{ kind: string; state: string; delivered: number; resent: number; authentications: number; clockOffsetMs: number; queue: { pending: number; rejected: number; lagSeconds: number; devices: number } }>;
  const pending = async () => (await targets()).reduce((s, t) => s + t.queue.pending, 0);

  async function authAll(): Promise<void> {
    faceKeys = {};
    for (const c of CAMS) faceKeys[c] = await n.face.key({ deviceID: c });
    carKey = await n.car.key({ gbid: KAKOU });
  }

  /** One face capture of `cam` through our served interface; remembered by content. */
  async function sendFace(cam: string): Promise<void> {
    const s = ++seq;
    const faces = [fakeJpeg(1500 + s), fakeJpeg(1600 + s), fakeJpeg(1700 + s)];
    const bg = fakeJpeg(6000 + s);
    const json = faceJson(cam, faces, bg, { deviceTime: `2026112509${String(Math.floor(s / 60) % 60).padStart(2, '0')}${String(s % 60).padStart(2, '0')}`, locationName: `seq ${s}` });
    const a = await n.face.post('saveImageData', { imageGateTagCode: cam, appIdentityKey: faceKeys[cam], imageJsonData: JSON.stringify(json) });
    assert.equal(a.body.success, true, JSON.stringify(a.body));
    sent.set(contentHash([...faces, bg]), { kind: 'face', gate: cam, seq: s });
  }

  async function sendCar(): Promise<void> {
    const s = ++seq;
    const imgs = [fakeJpeg(5000 + s), fakeJpeg(900 + s)];
    const a = await n.car.post('saveImageData', { imageGateTagCode: KAKOU, appIdentityKey: carKey, imageJsonData: JSON.stringify(carJson(KAKOU, `GC${s}`, `闽D${String(s).padStart(5, '0')}`, imgs[0], imgs[1])) });
    assert.equal(a.body.success, true, JSON.stringify(a.body));
    sent.set(contentHash(imgs), { kind: 'car', gate: KAKOU, seq: s });
  }

  /** Every capture sent is at the bureau; returns the duplicates. */
  function check(): { missing: number; duplicates: Received[]; unexplained: Received[] } {
    const by = new Map<string, Received[]>();
    for (const r of bureau.received) by.set(r.hash, [...(by.get(r.hash) ?? []), r]);
    const missing = [...sent.keys()].filter((h) => !by.has(h)).length;
    const duplicates: Received[] = [];
    const unexplained: Received[] = [];
    for (const list of by.values()) {
      for (let i = 1; i < list.length; i++) {
        duplicates.push(list[i]);
        // a copy is explained only when the copy before it never got its answer back to us
        if (list[i - 1].answered) unexplained.push(list[i]);
      }
    }
    return { missing, duplicates, unexplained };
  }

  /** Per device, first arrivals come in the order they were sent. */
  function assertOrdered(): void {
    const firstSeen = new Set<string>();
    const lastSeq = new Map<string, number>();
    for (const r of bureau.received) {
      if (firstSeen.has(r.hash)) continue;
      firstSeen.add(r.hash);
      const s = sent.get(r.hash);
      assert.ok(s, 'the bureau got a capture we did not send');
      assert.ok(s.seq > (lastSeq.get(s.gate) ?? 0), `device ${s.gate}: capture ${s.seq} arrived after ${lastSeq.get(s.gate)}`);
      lastSeq.set(s.gate, s.seq);
    }
  }

  before(async () => {
    await bureau.start();
    bureau.clockOffsetMs = 3600_000; // the bureau's clock is an hour ahead of real time
    n = await boot();
    for (const id of [...CAMS, KAKOU]) assert.equal((await api('POST', '/devices', { id, name: id.slice(-3) })).status, 201);
    const face = await api('POST', '/image-forward/targets', { name: '市局人像云', kind: 'face', url: `${bureau.url}/face`, username: 'lpt', password: 'lpt123', nodeId: NODE, keepaliveSeconds: 5, retryMaxSeconds: 2, concurrency: 3, timeoutSeconds: 5 });
    assert.equal(face.status, 201, JSON.stringify(face.body));
    assert.equal(face.body.hasPassword, true);
    assert.equal(face.body.password, undefined);
    const car = await api('POST', '/image-forward/targets', { name: '市局车辆', kind: 'car', url: `${bureau.url}/car/`, nodeId: NODE, authMode: 'device', encoding: 'json', keepaliveSeconds: 5, retryMaxSeconds: 2, timeoutSeconds: 5 });
    assert.equal(car.status, 201, JSON.stringify(car.body));
    await authAll();
  });

  after(async () => {
    await shutdown().catch(() => undefined);
    await bureau.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('every capture arrives, in order per device, with the bureau clock in localTime; EC003 and 24 h renew the key', async () => {
    for (let i = 0; i < 10; i++) for (const c of CAMS) await sendFace(c);
    for (let i = 0; i < 4; i++) await sendCar();
    await until('34 captures at the bureau', () => bureau.received.length >= 34);
    await until('empty queues', async () => (await pending()) === 0);
    const c = check();
    assert.deepEqual({ missing: c.missing, duplicates: c.duplicates.length }, { missing: 0, duplicates: 0 });
    assertOrdered();
    const faces = bureau.received.filter((r) => r.kind === 'face');
    assert.ok(faces.every((r) => r.faces === 3));
    // localTime on the bureau's clock (an hour ahead), within a few seconds
    const want = Number(bureau.nowCompact());
    assert.ok(faces.every((r) => Math.abs(Number(r.localTime) - want) < 100), `${faces[0].localTime} vs ${want}`);
    // device times and record numbers are forwarded as they came
    assert.equal(faces[0].deviceTime?.slice(0, 10), '2026112509');
    assert.deepEqual(bureau.received.filter((r) => r.kind === 'car').map((r) => r.gcjlid), ['GC31', 'GC32', 'GC33', 'GC34']);
    const t = await targets();
    const ft = t.find((x) => x.kind === 'face')!;
    assert.equal(ft.state, 'up');
    await until('counters flushed', async () => (await targets()).find((x) => x.kind === 'face')!.delivered === 30, 5000);
    assert.equal(ft.authentications, 1); // node mode: one key for all
    // the car target authenticates per device (authMode device)
    assert.equal(t.find((x) => x.kind === 'car')!.authentications, 1);

    // the bureau restarts and forgets its keys: EC003 → authenticate again, nothing lost
    const auths = bureau.authentications;
    bureau.forgetKeys();
    for (const cam of CAMS) await sendFace(cam);
    await until('3 more', () => bureau.received.length >= 37);
    assert.equal(bureau.authentications, auths + 1);

    // 24 hours later the key is renewed before the bureau would call it expired
    clock.advance(24 * 3600_000);
    n.admin = (await (async () => {
      const r = await n.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: ADMIN_PASSWORD } });
      return { authorization: `Bearer ${r.json().token}` };
    })());
    await authAll();
    bureau.keyTtlMs = 60_000; // would answer EC002 to an old key
    await sendFace(CAMS[0]);
    await until('1 more', () => bureau.received.length >= 38);
    assert.ok(bureau.authentications >= auths + 2);
    await until('keepAlives', () => bureau.keepAlives > 0, 8000);
    const again = check();
    assert.equal(again.missing, 0);
    assert.equal(again.unexplained.length, 0);
    bureau.keyTtlMs = 24 * 3600_000;
  });

  test('bureau down for ~15 s with a platform restart in between: every capture delivered after, duplicates only where an answer was lost', async () => {
    const before0 = bureau.received.length;
    // three answers lost on the way back: those three may arrive twice
    bureau.loseAnswers = 3;
    for (const cam of CAMS) await sendFace(cam);
    await until('lost answers resent', async () => (await pending()) === 0);
    assert.ok(bureau.received.length >= before0 + 3);

    await bureau.stop();
    const downAt = Date.now();
    for (let i = 0; i < 8; i++) {
      for (const cam of CAMS) await sendFace(cam);
      await sendCar();
      await sleep(250);
    }
    const queued = await until('queued while down', async () => {
      const t = await targets();
      return t.every((x) => x.state === 'down') && t.reduce((s, x) => s + x.queue.pending, 0) === 32 ? t : undefined;
    }, 10_000);
    assert.deepEqual(queued.map((x) => x.queue.devices).sort(), [1, 3]);
    clock.advance(90_000);
    assert.ok((await targets()).every((x) => x.queue.lagSeconds >= 90));

    // the platform restarts while the bureau is still down: the queue is in the database
    await shutdown();
    n = await boot();
    await authAll();
    assert.equal(await pending(), 32);
    for (const cam of CAMS) await sendFace(cam);
    assert.equal(await pending(), 35);

    await sleep(Math.max(0, 15_000 - (Date.now() - downAt)));
    await bureau.start();
    const upAt = Date.now();
    await until('queue drained after the bureau came back', async () => (await pending()) === 0, 30_000).catch(async (e) => {
      console.log(JSON.stringify(await targets(), null, 1), bureau.log.slice(-20));
      throw e;
    });
    const drainMs = Date.now() - upAt;
    const c = check();
    assert.equal(c.missing, 0, 'no capture missing');
    assert.deepEqual(c.unexplained, [], 'every duplicate follows a lost answer');
    assert.ok(c.duplicates.length >= 3, `the three lost answers were re-sent (${c.duplicates.length} duplicates)`);
    assertOrdered();
    // duplicated vehicle passes carry the same gcjlid (the bureau can drop them)
    for (const d of c.duplicates.filter((r) => r.kind === 'car')) assert.ok(d.gcjlid?.startsWith('GC'));
    const t = await until('counters flushed', async () => {
      const x = await targets();
      return x.reduce((s, y) => s + y.resent, 0) >= 3 ? x : undefined;
    }, 5000).catch(async (e) => {
      console.log(JSON.stringify(await targets()), JSON.stringify(c.duplicates));
      throw e;
    });
    const resent = t.reduce((s, y) => s + y.resent, 0);
    assert.ok(resent >= c.duplicates.length, `forwarder reports ${resent} re-sends for ${c.duplicates.length} duplicates`);
    console.log(`# down ${Math.round((upAt - downAt) / 1000)} s, 35 queued, drained ${drainMs} ms after the bureau returned; ${c.duplicates.length} duplicates (${bureau.received.length} received), ${resent} re-sends reported`);
  });

  test('a device the bureau does not know (EC000) waits; the others are delivered; it follows once registered', async () => {
    bureau.knownDevices = new Set([CAMS[0], CAMS[1], KAKOU, NODE]);
    const before0 = bureau.received.length;
    for (const cam of CAMS) await sendFace(cam);
    await until('two delivered', () => bureau.received.length >= before0 + 2);
    await sleep(500);
    const t = (await targets()).find((x) => x.kind === 'face')!;
    assert.equal(t.queue.pending, 1);
    assert.ok(bureau.received.slice(before0).every((r) => r.gate !== CAMS[2]));
    bureau.knownDevices = undefined;
    await until('the third after back-off', async () => (await pending()) === 0, 20_000);
    assert.equal(check().missing, 0);
  });
});

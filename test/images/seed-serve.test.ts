import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DIALECTS } from '../helpers/databases.js';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from '../helpers/platform.js';
import { SeedTestClient, carJson, digestHeader, encodeBody, faceJson, fakeJpeg } from './seed-client.js';

// The served face and vehicle image interfaces (seed appendices 1 and 2, issue 12) driven over real HTTP by a
// client written from the seed's tables (seed-client.ts), on SQLite and PostgreSQL: every endpoint, every error
// code, the three body forms, 16 faces per capture, bad input that must leave nothing stored, browsing with channel
// scope, daily counts and retention.

const CAM = '35020000001320000001'; // a face camera (type 132) with one channel
const CAM_CH = '35020000001310000001';
const NVR = '35020000001180000002'; // a device with two channels
const NVR_CH1 = '35020000001310000021';
const NVR_CH2 = '35020000001310000022';
const KAKOU = '35020000001320000003'; // vehicle checkpoint camera
const NODE = '35020000002000000009'; // an edge node archived as a platform device
const UNKNOWN = '35020000001320009999';

const sha = (b: Buffer | string) => createHash('sha1').update(b).digest('hex');

function filesUnder(dir: string): string[] {
  let out: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    const p = path.join(dir, n);
    out = statSync(p).isDirectory() ? out.concat(filesUnder(p)) : out.concat([p]);
  }
  return out;
}

for (const dialect of DIALECTS) {
  describe(`seed image interfaces served (${dialect})`, () => {
    let t: TestApp;
    let base = '';
    let face: SeedTestClient;
    let car: SeedTestClient;
    const api = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, headers = t.admin) => {
      const r = await t.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });
      return { status: r.statusCode, body: r.headers['content-type']?.toString().startsWith('application/json') ? r.json() : r.rawPayload };
    };
    const stored = async () => ({
      faces: (await api('GET', '/face-captures?pageSize=1')).body.total as number,
      cars: (await api('GET', '/vehicle-passes?pageSize=1')).body.total as number,
      files: filesUnder(path.join(t.dataDir, 'images')).length,
    });

    before(async () => {
      t = await startTestApp(dialect);
      for (const [id, name] of [
        [CAM, '人脸相机'],
        [NVR, 'NVR'],
        [KAKOU, '卡口'],
        [NODE, '边缘节点'],
      ])
        assert.equal((await api('POST', '/devices', { id, name })).status, 201);
      for (const [id, deviceId] of [
        [CAM_CH, CAM],
        [NVR_CH1, NVR],
        [NVR_CH2, NVR],
      ])
        assert.equal((await api('POST', '/channels', { id, deviceId, name: `ch ${id.slice(-2)}` })).status, 201, id);
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
      face = new SeedTestClient(base, 'face');
      car = new SeedTestClient(base, 'car');
    });
    after(async () => t?.close());

    test('timing answers systemTime (yyyy-MM-dd HH:mm:ss, China time) without authentication on both sides', async () => {
      for (const c of [face, car]) {
        const a = await c.timing();
        assert.equal(a.status, 200);
        // the platform clock of the test is 2026-11-25T02:00:00Z = 10:00:00 in Asia/Shanghai
        assert.deepEqual(a.body, { success: true, result: { systemTime: '2026-11-25 10:00:00' } });
      }
    });

    test('authenticate: digest first (401 + challenge + EC001), wrong password EC001, unknown device EC000, key for deviceID / nodeID / gbid', async () => {
      const bare = await face.post('authenticate', { deviceID: CAM });
      assert.equal(bare.status, 401);
      assert.match(bare.headers.get('www-authenticate') ?? '', /^Digest .*realm=".+".*nonce="[^"]+"/);
      assert.deepEqual(bare.body.result, { errorCode: 'EC001', serviceName: 'authenticate' });
      assert.equal(bare.body.success, false);
      assert.equal(typeof bare.body.message, 'string');

      const wrong = await face.authenticate({ deviceID: CAM }, 'not-lpt123');
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.result.errorCode, 'EC001');
      const wrongUser = await face.authenticate({ deviceID: CAM }, 'lpt123', 'admin');
      assert.equal(wrongUser.body.result.errorCode, 'EC001');

      const unknown = await face.authenticate({ deviceID: UNKNOWN });
      assert.deepEqual(unknown.body, { success: false, result: { errorCode: 'EC000', serviceName: 'authenticate' }, message: unknown.body.message });

      const ok = await face.authenticate({ deviceID: CAM });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.success, true);
      assert.equal(ok.body.result.serviceName, 'authenticate');
      assert.match(ok.body.result.appIdentityKey, /^[0-9a-f]{32}$/);
      // both IDs: the node authenticates (appendix 1 §2.1)
      assert.equal((await face.authenticate({ deviceID: UNKNOWN, nodeID: NODE })).body.success, true);
      assert.equal((await car.authenticate({ gbid: KAKOU })).body.success, true);
      assert.equal((await car.authenticate({ gbid: UNKNOWN })).body.result.errorCode, 'EC000');

      // a digest Authorization replayed (same nonce and count) is refused
      const first = await face.post('authenticate', { deviceID: CAM });
      const h = digestHeader(first.headers.get('www-authenticate')!, 'lpt', 'lpt123', 'POST', face.path('authenticate'));
      assert.equal((await face.post('authenticate', { deviceID: CAM }, { authorization: h })).body.success, true);
      const replay = await face.post('authenticate', { deviceID: CAM }, { authorization: h });
      assert.equal(replay.status, 401);
      assert.equal(replay.body.result.errorCode, 'EC001');
    });

    test('keepAlive: success; EC001 without key, EC003 forged / other interface / other device, EC000 unknown device', async () => {
      const key = await face.key({ deviceID: CAM });
      const now = '2026-11-25 10:00:01';
      assert.deepEqual((await face.post('keepAlive', { deviceID: CAM, appIdentityKey: key, statusSendTime: now })).body, { success: true, result: { serviceName: 'keepAlive' } });
      // the JSON form of the seed's keepAlive table
      assert.equal((await face.post('keepAlive', { appIdentityKey: key, deviceID: CAM, statusSendTime: now }, {}, 'json')).body.success, true);
      const noKey = await face.post('keepAlive', { deviceID: CAM, statusSendTime: now });
      assert.equal(noKey.status, 401);
      assert.deepEqual(noKey.body.result, { serviceName: 'keepAlive', errorCode: 'EC001' });
      assert.equal((await face.post('keepAlive', { deviceID: CAM, appIdentityKey: '9999999999', statusSendTime: now })).body.result.errorCode, 'EC003');
      assert.equal((await face.post('keepAlive', { deviceID: CAM, appIdentityKey: key.replace(/.$/, (c) => (c === '0' ? '1' : '0')), statusSendTime: now })).body.result.errorCode, 'EC003');
      assert.equal((await car.post('keepAlive', { gbid: CAM, appIdentityKey: key, statusSendTime: now })).body.result.errorCode, 'EC003');
      assert.equal((await face.post('keepAlive', { deviceID: KAKOU, appIdentityKey: key, statusSendTime: now })).body.result.errorCode, 'EC003');
      assert.equal((await face.post('keepAlive', { deviceID: UNKNOWN, appIdentityKey: key, statusSendTime: now })).body.result.errorCode, 'EC000');
      const carKey = await car.key({ gbid: KAKOU });
      assert.equal((await car.post('keepAlive', { gbid: KAKOU, appIdentityKey: carKey, statusSendTime: now })).body.success, true);
      // digest credentials on the call itself are accepted too
      const ch = await face.post('keepAlive', { deviceID: CAM, statusSendTime: now });
      const auth = digestHeader(ch.headers.get('www-authenticate')!, 'lpt', 'lpt123', 'POST', face.path('keepAlive'));
      assert.equal((await face.post('keepAlive', { deviceID: CAM, statusSendTime: now }, { authorization: auth })).body.success, true);
      const clients = (await api('GET', '/image-ingest/clients')).body.items as Array<{ kind: string; id: string; lastKeepAlive: string | null; clockSkewMs: number | null }>;
      const cam = clients.find((c) => c.kind === 'face' && c.id === CAM);
      assert.ok(cam?.lastKeepAlive);
      assert.equal(cam?.clockSkewMs, 1000);
    });

    test('saveImageData (face): 16 faces + background as form fields, multipart and JSON; stored files equal what was sent; a re-send is not stored twice', async () => {
      const key = await face.key({ deviceID: CAM });
      const before0 = await stored();
      const faces = Array.from({ length: 16 }, (_, i) => fakeJpeg(2000 + i, i));
      const bg = fakeJpeg(30_000, 99);
      const json = JSON.stringify(faceJson(CAM, faces, bg));
      const r = await face.post('saveImageData', { imageGateTagCode: CAM, appIdentityKey: key, imageJsonData: json });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body, { success: true, result: { serviceName: 'saveImageData' } });
      // the same capture again (an answer lost on its way back): success, stored once
      assert.equal((await face.post('saveImageData', { imageGateTagCode: CAM, appIdentityKey: key, imageJsonData: json })).body.success, true);
      const after1 = await stored();
      assert.equal(after1.faces, before0.faces + 1);
      assert.equal(after1.files, before0.files + 17);

      const list = await api('GET', `/face-captures?deviceId=${CAM}`);
      const cap = list.body.items[0];
      assert.equal(cap.faceCount, 16);
      assert.equal(cap.deviceId, CAM);
      assert.equal(cap.channelId, CAM_CH);
      assert.equal(cap.locationName, '环岛路');
      assert.equal(cap.capturedAt, '2026-11-25T01:59:59.000Z');
      assert.deepEqual(cap.faces[3].pos, { leftTopX: 310, leftTopY: 20, rightBottomX: 390, rightBottomY: 120 });
      assert.equal(cap.background.width, 1920);
      const img = await t.app.inject({ url: cap.faces[15].url, headers: t.admin });
      assert.equal(img.statusCode, 200);
      assert.equal(img.headers['content-type'], 'image/jpeg');
      assert.equal(sha(img.rawPayload), sha(faces[15]));
      const bgImg = await t.app.inject({ url: `${cap.background.url}?token=${t.admin.authorization.slice(7)}` });
      assert.equal(sha(bgImg.rawPayload), sha(bg));

      // multipart form, nodeID, and a JSON body with imageJsonData as a string and (leniently) as an object
      const nodeKey = await face.key({ nodeID: NODE });
      const m = await face.post('saveImageData', { imageGateTagCode: NVR_CH2, appIdentityKey: nodeKey, nodeID: NODE, imageJsonData: JSON.stringify(faceJson(NVR_CH2, [fakeJpeg(3000)], null)) }, {}, 'multipart');
      assert.equal(m.body.success, true, JSON.stringify(m.body));
      const j = await face.post('saveImageData', { imageGateTagCode: NVR, appIdentityKey: nodeKey, imageJsonData: JSON.stringify(faceJson(NVR, [fakeJpeg(3000)], fakeJpeg(5000))) }, {}, 'json');
      assert.equal(j.body.success, true, JSON.stringify(j.body));
      const o = await face.raw('POST', 'saveImageData', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ imageGateTagCode: NVR, appIdentityKey: nodeKey, imageJsonData: faceJson(NVR, [fakeJpeg(3100), fakeJpeg(3200)], null) }) });
      assert.equal(o.body.success, true, JSON.stringify(o.body));
      const nvr = await api('GET', `/face-captures?deviceId=${NVR}`);
      assert.equal(nvr.body.total, 3);
      // NVR_CH2 maps to its channel; the NVR itself has two channels, so its own captures map to none
      assert.deepEqual(nvr.body.items.map((c: { channelId: string | null }) => c.channelId).sort(), [NVR_CH2, null, null].sort());
      assert.equal((await api('GET', `/face-captures?channelId=${NVR_CH2}`)).body.total, 1);
    });

    test('saveImageData (car): zpcltp as an array and as one object, plate search, gcjlid kept, a re-sent gcjlid stored once', async () => {
      const key = await car.key({ gbid: KAKOU });
      const one = carJson(KAKOU, 'GC0001', '闽D12345', fakeJpeg(8000), fakeJpeg(1000));
      const many = carJson(KAKOU, 'GC0002', '闽D54321', [fakeJpeg(8000), fakeJpeg(8100), fakeJpeg(8200)]);
      for (const j of [one, many, one]) {
        const r = await car.post('saveImageData', { imageGateTagCode: KAKOU, appIdentityKey: key, imageJsonData: JSON.stringify(j) });
        assert.deepEqual(r.body, { success: true, result: { serviceName: 'saveImageData' } });
      }
      const all = await api('GET', `/vehicle-passes?deviceId=${KAKOU}`);
      assert.equal(all.body.total, 2);
      const hit = await api('GET', '/vehicle-passes?plate=D123');
      assert.equal(hit.body.total, 1);
      const p = hit.body.items[0];
      assert.equal(p.gcjlid, 'GC0001');
      assert.equal(p.plate, '闽D12345');
      assert.equal(p.plateColor, '蓝');
      assert.equal(p.vehicleBrand, '大众');
      assert.equal(p.direction, '东向西');
      assert.equal(p.passedAt, '2026-11-25T01:58:00.000Z');
      assert.deepEqual(p.images.map((i: { name: string }) => i.name), ['zpcltp-0', 'zpcptp-0']);
      const three = (await api('GET', '/vehicle-passes?plate=54321')).body.items[0];
      assert.deepEqual(three.images.map((i: { name: string }) => i.name), ['zpcltp-0', 'zpcltp-1', 'zpcltp-2']);
      assert.equal((await t.app.inject({ url: three.images[2].url, headers: t.admin })).rawPayload.length, 8200);
      // a pass without gcjlid gets one at ingest
      const r = await car.post('saveImageData', { imageGateTagCode: KAKOU, appIdentityKey: key, imageJsonData: JSON.stringify({ ...carJson(KAKOU, '', '闽DXXXXX', fakeJpeg(500)), gcjlid: undefined }) });
      assert.equal(r.body.success, true);
      const made = (await api('GET', '/vehicle-passes?plate=DXXXXX')).body.items[0];
      assert.match(made.gcjlid, new RegExp(`^${KAKOU}\\d{14}`));
      assert.equal(made.meta.gcjlid, made.gcjlid);
      // time range filter
      assert.equal((await api('GET', '/vehicle-passes?start=2026-11-25T01:57:00Z&end=2026-11-25T01:59:00Z')).body.total, 3);
      assert.equal((await api('GET', '/vehicle-passes?start=2026-11-25T01:58:01Z&end=2026-11-25T01:59:00Z')).body.total, 0);
      assert.equal((await api('GET', '/vehicle-passes?start=2026-11-25T09:58:00%2B08:00&end=2026-11-25T10:00:00%2B08:00&plate=12345')).body.total, 1);
    });

    test('bad input gets the seed failure body with the right code and stores nothing', async () => {
      const key = await face.key({ deviceID: CAM });
      const carKey = await car.key({ gbid: KAKOU });
      const good = (extra: Record<string, unknown> = {}) => JSON.stringify(faceJson(CAM, [fakeJpeg(2000)], fakeJpeg(4000), extra));
      const start = await stored();
      const cases: Array<[string, () => Promise<{ status: number; body: any }>, string, number]> = [
        ['invalid base64', () => face.post('saveImageData', { imageGateTagCode: CAM, appIdentityKey: key, imageJsonData: JSON.stringify(faceJson(CAM, [fakeJpeg(2000)], null, { faceImages: [{ type: 'jpg', content: 'OSDF3dX3skdkf.....' }] })) }), 'EC004', 400],
        ['one bad image among good ones', () => face.post('saveImageData', { imageGateTagCode: CAM, appIdentityKey: key, imageJsonData: JSON.stringify({ ...faceJson(CAM, [fakeJpeg(2000), fakeJpeg(2000)], fakeJpeg(4000)), backgroundImage: { type: 'jpg', content: '%%%notbase64%%%' } }) }), 'EC004', 400],
        ['imageJsonData not JSON', () => face.post('saveImageData', { imageGateTagCode: CAM, appIdentityKey: key, imageJsonData: '{"deviceID":"x", faceImages: [' }), 'EC004', 400],
        ['imageJsonData missing', () => face.post('saveImageData', { imageGateTagCode: CAM, appIdentityKey: key }), 'EC004', 400],
        ['faceImages missing', () => face.post('saveImageData', { imageGateTagCode: CAM, appIdentityKey: key, imageJsonData: JSON.stringify({ deviceID: CAM, deviceTime: '20261125095959' }) }), 'EC004', 400],
        ['face content missing', () => face.post('saveImageData', { imageGateTagCode: CAM, appIdentityKey: key, imageJsonData: JSON.stringify({ deviceID: CAM, faceImages: [{ type: 'jpg' }] }) }), 'EC004', 400],
        ['car without images', () => car.post('saveImageData', { imageGateTagCode: KAKOU, appIdentityKey: carKey, imageJsonData: JSON.stringify({ gcjlid: 'X1', cphm: '闽D1' }) }), 'EC004', 400],
        ['unknown device', () => face.post('saveImageData', { imageGateTagCode: UNKNOWN, appIdentityKey: key, imageJsonData: good() }), 'EC000', 200],
        ['other device than the key', () => face.post('saveImageData', { imageGateTagCode: KAKOU, appIdentityKey: key, imageJsonData: good() }), 'EC003', 200],
        ['forged key', () => face.post('saveImageData', { imageGateTagCode: CAM, appIdentityKey: 'ffffffffffffffffffffffffffffffff', imageJsonData: good() }), 'EC003', 200],
        ['face key on the car side', () => car.post('saveImageData', { imageGateTagCode: KAKOU, appIdentityKey: key, imageJsonData: good() }), 'EC003', 200],
        ['no key', () => face.post('saveImageData', { imageGateTagCode: CAM, imageJsonData: good() }), 'EC001', 401],
        ['wrong digest password on the call', async () => {
          const ch = await face.post('saveImageData', { imageGateTagCode: CAM, imageJsonData: good() });
          return face.post('saveImageData', { imageGateTagCode: CAM, imageJsonData: good() }, { authorization: digestHeader(ch.headers.get('www-authenticate')!, 'lpt', 'wrong', 'POST', face.path('saveImageData')) });
        }, 'EC001', 401],
        ['a 50 MB image', () => face.post('saveImageData', { imageGateTagCode: CAM, appIdentityKey: key, imageJsonData: JSON.stringify(faceJson(CAM, [fakeJpeg(2000)], Buffer.alloc(50 * 2 ** 20, 7))) }), 'EC005', 413],
        ['a 50 MB image, multipart', () => face.post('saveImageData', { imageGateTagCode: CAM, appIdentityKey: key, imageJsonData: JSON.stringify(faceJson(CAM, [fakeJpeg(2000)], Buffer.alloc(50 * 2 ** 20, 7))) }, {}, 'multipart'), 'EC005', 413],
        ['an image just over the 10 MiB limit', () => face.post('saveImageData', { imageGateTagCode: CAM, appIdentityKey: key, imageJsonData: JSON.stringify(faceJson(CAM, [fakeJpeg(2000)], fakeJpeg(10 * 2 ** 20 + 10))) }), 'EC005', 413],
        ['body not JSON with a JSON content type', () => face.raw('POST', 'saveImageData', { headers: { 'content-type': 'application/json' }, body: '{"imageGateTagCode": ' }), 'EC004', 400],
      ];
      for (const [name, run, code, status] of cases) {
        const a = await run();
        assert.equal(a.status, status, `${name}: ${JSON.stringify(a.body).slice(0, 200)}`);
        assert.equal(a.body.success, false, name);
        assert.equal(a.body.result.errorCode, code, `${name}: ${JSON.stringify(a.body).slice(0, 200)}`);
        assert.equal(a.body.result.serviceName, 'saveImageData', name);
        assert.equal(typeof a.body.message, 'string', name);
        assert.deepEqual(await stored(), start, `${name}: nothing stored`);
      }
      // leftover temporary files would count above; a good capture still goes in afterwards
      assert.equal((await face.post('saveImageData', { imageGateTagCode: CAM, appIdentityKey: key, imageJsonData: good({ deviceTime: '20261125095900' }) })).body.success, true);
      assert.equal((await stored()).faces, start.faces + 1);
    });

    test('keys: expired after 24 h (EC002), invalid after unregister (EC003), re-authenticate works', async () => {
      const key = await face.key({ deviceID: CAM });
      const send = (k: string) => face.post('keepAlive', { deviceID: CAM, appIdentityKey: k, statusSendTime: '2026-11-25 10:00:00' });
      t.clock.advance(24 * 3600_000 - 1000);
      assert.equal((await send(key)).body.success, true);
      t.clock.advance(1000);
      const expired = await send(key);
      assert.deepEqual(expired.body.result, { serviceName: 'keepAlive', errorCode: 'EC002' });
      const key2 = await face.key({ deviceID: CAM });
      assert.equal((await send(key2)).body.success, true);
      assert.deepEqual((await face.post('unregister', { deviceID: CAM, appIdentityKey: key2 })).body, { success: true, result: { serviceName: 'unregister' } });
      assert.equal((await send(key2)).body.result.errorCode, 'EC003');
      assert.equal((await face.post('unregister', { deviceID: CAM, appIdentityKey: key2 })).body.result.errorCode, 'EC003');
      const carKey = await car.key({ gbid: KAKOU });
      assert.equal((await car.post('unregister', { gbid: UNKNOWN, appIdentityKey: carKey })).body.result.errorCode, 'EC000');
      assert.equal((await car.post('unregister', { gbid: KAKOU, appIdentityKey: carKey })).body.success, true);
      assert.equal((await car.post('keepAlive', { gbid: KAKOU, appIdentityKey: carKey, statusSendTime: '2026-11-26 10:00:00' })).body.result.errorCode, 'EC003');
      t.clock.advance(-24 * 3600_000);
    });

    test('browsing: image.view needed, channel scope applies to captures and their images; per-device daily counts', async () => {
      const role = (await api('POST', '/roles', { name: 'faces-cam', permissions: ['image.view'], channelIds: [CAM_CH] })).body;
      await api('POST', '/users', { username: 'viewer1', password: 'View@Pass123', roleIds: [role.id] });
      const h = await t.login('viewer1', 'View@Pass123');
      const mine = await api('GET', '/face-captures', undefined, h);
      assert.equal(mine.status, 200);
      assert.ok(mine.body.total >= 2);
      assert.ok(mine.body.items.every((c: { deviceId: string }) => c.deviceId === CAM));
      assert.equal((await api('GET', '/vehicle-passes', undefined, h)).body.total, 0);
      const hidden = (await api('GET', `/face-captures?deviceId=${NVR}`)).body.items[0];
      assert.equal((await api('GET', `/face-captures/${hidden.id}`, undefined, h)).status, 404);
      assert.equal((await t.app.inject({ url: hidden.faces[0].url, headers: h })).statusCode, 404);
      const role2 = (await api('POST', '/roles', { name: 'no-images', permissions: ['device.view'], channelIds: [CAM_CH] })).body;
      await api('POST', '/users', { username: 'viewer2', password: 'View@Pass123', roleIds: [role2.id] });
      assert.equal((await api('GET', '/face-captures', undefined, await t.login('viewer2', 'View@Pass123'))).status, 403);

      const daily = await api('GET', '/image-stats/daily?start=2026-11-24&end=2026-11-26');
      const rows = daily.body.items as Array<{ kind: string; day: string; deviceId: string; captures: number; faces?: number }>;
      const cam = rows.find((r) => r.kind === 'face' && r.deviceId === CAM)!;
      assert.equal(cam.day, '2026-11-25');
      assert.equal(cam.captures, mine.body.total);
      assert.equal(cam.faces, 16 + (mine.body.total - 1));
      assert.equal(rows.find((r) => r.kind === 'car' && r.deviceId === KAKOU)?.captures, 3);
      const scoped = (await api('GET', '/image-stats/daily?start=2026-11-25&end=2026-11-25', undefined, h)).body.items;
      assert.deepEqual(scoped.map((r: { deviceId: string }) => r.deviceId), [CAM]);
    });

    test('retention removes captures older than SHARPEYE_IMAGE_RETENTION_DAYS (30) with their files, except those still queued for the bureau', async () => {
      // a paused forwarding target: the capture below waits in its queue
      const target = await api('POST', '/image-forward/targets', { name: 'paused', kind: 'face', url: 'http://127.0.0.1:9/redis/rest/face', enabled: false });
      assert.equal(target.status, 201);
      assert.equal(target.body.state, 'paused');
      const key = await face.key({ deviceID: CAM });
      assert.equal((await face.post('saveImageData', { imageGateTagCode: CAM, appIdentityKey: key, imageJsonData: JSON.stringify(faceJson(CAM, [fakeJpeg(900)], null, { deviceTime: '20261125090000' })) })).body.success, true);
      assert.equal((await api('GET', '/image-forward/targets')).body.items[0].queue.pending, 1);
      const start = await stored();
      assert.ok(start.faces > 1 && start.files > 0);
      t.clock.advance(29 * 86_400_000);
      let r = await t.platform.images!.retention.run();
      assert.equal(r.faces + r.vehicles, 0);
      t.clock.advance(2 * 86_400_000);
      r = await t.platform.images!.retention.run();
      t.admin = await t.login('admin', ADMIN_PASSWORD); // the session of 31 days ago has expired
      assert.equal(r.faces, start.faces - 1);
      assert.equal(r.vehicles, start.cars);
      assert.equal(r.keptQueued, 1);
      assert.deepEqual(await stored(), { faces: 1, cars: 0, files: 1 });
      // the target goes, its queue with it: the capture expires at the next run
      assert.equal((await api('DELETE', `/image-forward/targets/${target.body.id}`)).status, 204);
      r = await t.platform.images!.retention.run();
      assert.equal(r.faces, 1);
      assert.deepEqual(await stored(), { faces: 0, cars: 0, files: 0 });
      assert.deepEqual(readdirSync(path.join(t.dataDir, 'images', 'face')), []);
      t.clock.advance(-31 * 86_400_000);
      t.admin = await t.login('admin', ADMIN_PASSWORD);
    });

    test('answers for unknown services and GET on the POST services are in the seed format', async () => {
      const a = await face.raw('POST', 'nosuch');
      assert.equal(a.status, 404);
      assert.equal(a.body.success, false);
      const { headers, body } = encodeBody({ deviceID: CAM }, 'form');
      const g = await fetch(`${base}/redis/rest/face/keepAlive.json?deviceID=${CAM}&statusSendTime=2026-11-25%2010:00:00`, { headers, body: undefined });
      assert.equal(g.status, 401);
      assert.equal(((await g.json()) as { result: { errorCode: string } }).result.errorCode, 'EC001');
      void body;
      // the OpenAPI document lists the seed paths and the REST endpoints
      const doc = (await t.app.inject({ url: '/api/docs/json' })).json() as { paths: Record<string, unknown> };
      for (const p of ['/redis/rest/face/saveImageData.json', '/redis/rest/car/authenticate.json', '/api/v1/face-captures', '/api/v1/vehicle-passes', '/api/v1/image-stats/daily', '/api/v1/image-forward/targets']) assert.ok(doc.paths[p], p);
    });
  });
}

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseAuthParams } from '../../src/lib/sip/digest.js';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { AppError } from '../../src/core/errors.js';
import { OnvifClient, OnvifError } from '../../src/onvif/client.js';
import { toAppError } from '../../src/onvif/errors.js';
import { readInventory } from '../../src/onvif/inventory.js';
import { closeServer, fakeCamera, FIXTURES, PASSWORD, recordedClock, USER, xmlParser } from '../helpers/onvif-camera.js';


const isOnvif = (code: string, re?: RegExp) => (e: unknown) => e instanceof OnvifError && e.code === code && (!re || re.test(`${e.message} ${e.detail ?? ''}`));
const hik = (xaddr: string, extra: Partial<ConstructorParameters<typeof OnvifClient>[0]> = {}) => new OnvifClient({ xaddr, username: USER, password: PASSWORD, rewriteXaddrs: true, timeoutMs: 3000, ...extra });

// ---- Hikvision (WS-Security) --------------------------------------------------------------------------------------

test('Hikvision: clock, identity, services, profiles, URIs over WS-Security with the device clock', async (t) => {
  const cam = await fakeCamera(t, { vendor: 'hikvision' });
  const c = hik(cam.xaddr);
  const before = Date.now();
  assert.deepEqual(await c.getSystemDateAndTime(), new Date('2023-11-14T06:21:07Z'));
  // Offset = recorded clock + 0.5 s − our clock at the time of the call.
  assert.ok(Math.abs(c.clockOffsetMs - (Date.UTC(2023, 10, 14, 6, 21, 7) + 500 - before)) < 1000, String(c.clockOffsetMs));
  assert.equal(cam.seen[0].wsse, false, 'GetSystemDateAndTime goes without credentials');

  assert.deepEqual(await c.getDeviceInformation(), {
    manufacturer: 'HIKVISION',
    model: 'DS-2DE2A404IW-DE3',
    firmwareVersion: 'V5.6.15 build 200708',
    serialNumber: 'DS-2DE2A404IW-DE320201106CCWRF31415926',
    hardwareId: '88',
  });
  const base = `http://127.0.0.1:${cam.port}`;
  assert.deepEqual(await c.getCapabilities(), {
    deviceXaddr: `${base}/onvif/device_service`,
    mediaXaddr: `${base}/onvif/Media`,
    ptzXaddr: `${base}/onvif/PTZ`,
    eventsXaddr: `${base}/onvif/Events`,
    imagingXaddr: `${base}/onvif/Imaging`,
  });
  assert.deepEqual(await c.getProfiles(), [
    { token: 'Profile_1', name: 'mainStream', encoding: 'H264', width: 2560, height: 1440, fps: 25, bitrateKbps: 4096, videoSourceToken: 'VideoSource_1', sourceWidth: 2560, sourceHeight: 1440, ptz: true },
    { token: 'Profile_2', name: 'subStream', encoding: 'H264', width: 640, height: 360, fps: 25, bitrateKbps: 512, videoSourceToken: 'VideoSource_1', sourceWidth: 2560, sourceHeight: 1440, ptz: true },
  ]);
  assert.equal(await c.getStreamUri('Profile_1'), 'rtsp://192.168.1.64:554/Streaming/Channels/101?transportmode=unicast&profile=Profile_1');
  assert.equal(await c.getStreamUri('Profile_2'), 'rtsp://192.168.1.64:554/Streaming/Channels/102?transportmode=unicast&profile=Profile_2');
  assert.equal(await c.getSnapshotUri('Profile_1'), 'http://192.168.1.64/onvif-http/snapshot?Profile_1');
  await assert.rejects(c.getStreamUri('Profile_9'), isOnvif('SOAP_FAULT', /does not exist/));

  const ops = cam.seen.map((s) => `${s.op}${s.accepted ? '' : ' refused'}`);
  assert.deepEqual(ops, ['GetSystemDateAndTime', 'GetDeviceInformation', 'GetCapabilities', 'GetProfiles', 'GetStreamUri', 'GetStreamUri', 'GetSnapshotUri', 'GetStreamUri']);
  assert.ok(cam.seen.slice(1).every((s) => s.wsse && !s.httpAuth));
  assert.equal(c.authMode.wsSecurity, true);
});

test('Hikvision: PTZ continuous move, stop and presets reach the PTZ service with the right values', async (t) => {
  const cam = await fakeCamera(t, { vendor: 'hikvision' });
  const c = hik(cam.xaddr);
  await c.getSystemDateAndTime();
  await c.ptzContinuousMove('Profile_1', { x: -128 / 255, y: 0.5, zoom: 0 }, 3);
  await c.ptzStop('Profile_1');
  assert.deepEqual(await c.getPresets('Profile_1'), [
    { token: '1', name: 'Gate' },
    { token: '2', name: 'Car park' },
  ]);
  await c.gotoPreset('Profile_1', '2');
  assert.equal(await c.setPreset('Profile_1', 'Loading bay'), '3');
  await c.removePreset('Profile_1', '3');
  const ptzReqs = cam.seen.filter((s) => s.path === '/onvif/PTZ');
  assert.deepEqual(ptzReqs.map((s) => s.op), ['ContinuousMove', 'Stop', 'GetPresets', 'GotoPreset', 'SetPreset', 'RemovePreset']);
  const move = xmlParser.parse(ptzReqs[0].body).Envelope.Body.ContinuousMove;
  assert.deepEqual([move.ProfileToken, move.Velocity.PanTilt['@_x'], move.Velocity.PanTilt['@_y'], move.Velocity.Zoom, move.Timeout], ['Profile_1', '-0.501961', '0.5', undefined, 'PT3S']);
  const stop = xmlParser.parse(ptzReqs[1].body).Envelope.Body.Stop;
  assert.deepEqual([stop.PanTilt, stop.Zoom], [true, true]);
  const set = xmlParser.parse(ptzReqs[4].body).Envelope.Body.SetPreset;
  assert.deepEqual([set.PresetName, set.PresetToken], ['Loading bay', undefined]);
  assert.equal(xmlParser.parse(ptzReqs[5].body).Envelope.Body.RemovePreset.PresetToken, 3);
});

test('skewed camera: a refused digest makes the client measure the clock once and retry', async (t) => {
  const cam = await fakeCamera(t, { vendor: 'hikvision' });
  const c = hik(cam.xaddr); // no getSystemDateAndTime first: our Created is years off the camera's clock
  assert.equal((await c.getDeviceInformation()).model, 'DS-2DE2A404IW-DE3');
  assert.deepEqual(
    cam.seen.map((s) => [s.op, s.wsse, s.accepted]),
    [
      ['GetDeviceInformation', true, false],
      ['GetSystemDateAndTime', false, true],
      ['GetDeviceInformation', true, true],
    ],
  );
  // Later calls carry the device time straight away.
  await c.getCapabilities();
  assert.equal(cam.seen.at(-1)!.accepted, true);
  assert.equal(cam.seen.length, 4);
});

test('a stored clock offset is used without measuring again', async (t) => {
  const cam = await fakeCamera(t, { vendor: 'hikvision' });
  const c = hik(cam.xaddr, { clockOffsetMs: cam.cameraNow() - Date.now() });
  await c.getDeviceInformation();
  assert.deepEqual(cam.seen.map((s) => s.op), ['GetDeviceInformation']);
});

test('wrong password → AUTH_FAILED with the device reason, after one clock re-measure; no loop', async (t) => {
  const cam = await fakeCamera(t, { vendor: 'hikvision' });
  const c = new OnvifClient({ xaddr: cam.xaddr, username: USER, password: 'wrong', rewriteXaddrs: true });
  await assert.rejects(c.getDeviceInformation(), (e) => {
    assert.ok(e instanceof OnvifError);
    assert.equal(e.code, 'AUTH_FAILED');
    assert.equal(e.status, 400);
    assert.equal(e.detail, 'The action requested requires authorization and the sender is not authorized');
    assert.deepEqual(e.subcodes, ['NotAuthorized']);
    const app = toAppError(e);
    assert.ok(app instanceof AppError);
    assert.equal(app.code, 'ONVIF_AUTH_FAILED');
    return true;
  });
  assert.deepEqual(cam.seen.map((s) => s.op), ['GetDeviceInformation', 'GetSystemDateAndTime', 'GetDeviceInformation']);
  await assert.rejects(c.getDeviceInformation(), isOnvif('AUTH_FAILED'));
  assert.equal(cam.seen.length, 4, 'clock already measured: no second re-measure');
});

test('Hikvision H.265 camera without PTZ: inventory keeps H.265 from the encoding attribute', async (t) => {
  const cam = await fakeCamera(t, { vendor: 'hikvision', profiles: 'GetProfiles-h265.xml' });
  const inv = await readInventory(hik(cam.xaddr));
  assert.equal(inv.sources.length, 1);
  const s = inv.sources[0];
  assert.deepEqual(
    [s.videoSourceToken, s.main.profileToken, s.main.encoding, s.main.width, s.main.height, s.sub?.profileToken, s.sub?.encoding, s.ptz, s.ptzProfileToken],
    ['VideoSource_1', 'Profile_1', 'H265', 2688, 1520, 'Profile_2', 'H264', false, undefined],
  );
});

test('readInventory (Hikvision): identity, services, one source with main and sub streams, PTZ', async (t) => {
  const cam = await fakeCamera(t, { vendor: 'hikvision' });
  const inv = await readInventory(hik(cam.xaddr));
  const base = `http://127.0.0.1:${cam.port}`;
  assert.ok(Math.abs(inv.clockOffsetMs - (cam.cameraNow() - Date.now())) < 1500);
  assert.deepEqual({ ...inv, clockOffsetMs: 0 }, {
    info: { manufacturer: 'HIKVISION', model: 'DS-2DE2A404IW-DE3', firmwareVersion: 'V5.6.15 build 200708', serialNumber: 'DS-2DE2A404IW-DE320201106CCWRF31415926', hardwareId: '88' },
    services: { deviceXaddr: `${base}/onvif/device_service`, mediaXaddr: `${base}/onvif/Media`, ptzXaddr: `${base}/onvif/PTZ`, eventsXaddr: `${base}/onvif/Events`, imagingXaddr: `${base}/onvif/Imaging` },
    clockOffsetMs: 0,
    sources: [
      {
        videoSourceToken: 'VideoSource_1',
        main: { profileToken: 'Profile_1', profileName: 'mainStream', streamUri: 'rtsp://192.168.1.64:554/Streaming/Channels/101?transportmode=unicast&profile=Profile_1', encoding: 'H264', width: 2560, height: 1440, fps: 25, bitrateKbps: 4096 },
        sub: { profileToken: 'Profile_2', profileName: 'subStream', streamUri: 'rtsp://192.168.1.64:554/Streaming/Channels/102?transportmode=unicast&profile=Profile_2', encoding: 'H264', width: 640, height: 360, fps: 25, bitrateKbps: 512 },
        ptz: true,
        ptzProfileToken: 'Profile_1',
      },
    ],
  });
  assert.deepEqual(cam.seen.map((s) => s.op), ['GetSystemDateAndTime', 'GetDeviceInformation', 'GetCapabilities', 'GetProfiles', 'GetStreamUri', 'GetStreamUri']);
  assert.ok(cam.seen.every((s) => s.accepted));
});

// ---- Dahua ------------------------------------------------------------------------------------------------------

test('Dahua over WS-Security: the addresses the device reports are used as they are', async (t) => {
  const cam = await fakeCamera(t, { vendor: 'dahua', substituteHost: true });
  const c = new OnvifClient({ xaddr: cam.xaddr, username: USER, password: PASSWORD });
  assert.deepEqual(await c.getSystemDateAndTime(), new Date('2024-03-02T09:15:42Z'));
  assert.deepEqual(await c.getDeviceInformation(), { manufacturer: 'Dahua', model: 'DH-SD49225XA-HNR', firmwareVersion: '2.800.0000000.13.R, Build Date 2021-03-10', serialNumber: '7K0A2F5PAZ27182', hardwareId: '1.00' });
  const caps = await c.getCapabilities();
  assert.equal(caps.mediaXaddr, `http://127.0.0.1:${cam.port}/onvif/media_service`);
  assert.equal(caps.ptzXaddr, `http://127.0.0.1:${cam.port}/onvif/ptz_service`);
  assert.equal(caps.eventsXaddr, `http://127.0.0.1:${cam.port}/onvif/event_service`);
  const profiles = await c.getProfiles();
  assert.deepEqual(profiles.map((p) => [p.token, p.encoding, p.width, p.height, p.videoSourceToken, p.ptz]), [
    ['MediaProfile00000', 'H264', 1920, 1080, '00000', true],
    ['MediaProfile00001', 'H264', 704, 576, '00000', true],
  ]);
  assert.equal(await c.getStreamUri('MediaProfile00001'), 'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=1&unicast=true&proto=Onvif');
  assert.deepEqual(await c.getPresets('MediaProfile00000'), [
    { token: '1', name: 'Preset1' },
    { token: '2', name: 'North gate' },
    { token: '7', name: '7' },
  ]);
  await c.ptzContinuousMove('MediaProfile00000', { x: 0, y: 0, zoom: -1 });
  await c.ptzStop('MediaProfile00000', false, true);
  assert.equal(await c.setPreset('MediaProfile00000', undefined, '8'), '8');
  await c.gotoPreset('MediaProfile00000', '8');
  const move = xmlParser.parse(cam.seen.find((s) => s.op === 'ContinuousMove')!.body).Envelope.Body.ContinuousMove;
  assert.deepEqual([move.Velocity.PanTilt, move.Velocity.Zoom['@_x'], move.Timeout], [undefined, '-1', undefined]);
  assert.deepEqual(cam.seen.filter((s) => s.op === 'GetCapabilities' || s.op === 'GetServices').map((s) => s.op), ['GetCapabilities']);
});

test('Dahua set to HTTP Digest: the 401 challenge is answered and reused (nc counts)', async (t) => {
  const cam = await fakeCamera(t, { vendor: 'dahua', auth: 'digest', substituteHost: true });
  const c = new OnvifClient({ xaddr: cam.xaddr, username: USER, password: PASSWORD });
  assert.equal((await c.getDeviceInformation()).serialNumber, '7K0A2F5PAZ27182');
  assert.equal((await c.getProfiles()).length, 2);
  assert.deepEqual(cam.seen.map((s) => [s.op, s.httpAuth, s.accepted]), [
    ['GetDeviceInformation', false, false],
    ['GetDeviceInformation', true, true],
    ['GetCapabilities', true, true],
    ['GetProfiles', true, true],
  ]);
  const auths = cam.seen.filter((s) => s.httpAuth).map((s) => parseAuthParams(s.authorization!).params);
  assert.deepEqual(auths.map((a) => [a.nc, a.uri, a.opaque, a.realm]), [
    ['00000001', '/onvif/device_service', '5a1e7c3b', 'Login to 7K0A2F5PAZ27182'],
    ['00000002', '/onvif/device_service', '5a1e7c3b', 'Login to 7K0A2F5PAZ27182'],
    ['00000003', '/onvif/media_service', '5a1e7c3b', 'Login to 7K0A2F5PAZ27182'],
  ]);
  assert.equal(new Set(auths.map((a) => a.cnonce)).size, 3);
  assert.deepEqual(c.authMode, { wsSecurity: true, http: 'digest' });
});

test('digest-only camera that refuses WS-Security: the client drops WS-Security and remembers it', async (t) => {
  const cam = await fakeCamera(t, { vendor: 'hikvision', auth: 'digest-strict' });
  const c = hik(cam.xaddr, { clockOffsetMs: cam.cameraNow() - Date.now() });
  assert.equal((await c.getDeviceInformation()).hardwareId, '88');
  assert.deepEqual(cam.seen.map((s) => [s.op, s.wsse, s.httpAuth, s.accepted]), [
    ['GetDeviceInformation', true, false, false], // 401 challenge
    ['GetDeviceInformation', true, true, false], // digest fine, WS-Security refused
    ['GetSystemDateAndTime', false, false, true], // first suspect: our clock (a stored offset may be stale)
    ['GetDeviceInformation', true, true, false],
    ['GetDeviceInformation', false, true, true], // HTTP Digest alone
  ]);
  await c.getCapabilities();
  assert.deepEqual(cam.seen.slice(5).map((s) => [s.op, s.wsse, s.accepted]), [['GetCapabilities', false, true]]);
  assert.deepEqual(c.authMode, { wsSecurity: false, http: 'digest' });
});

test('GetCapabilities refused (ActionNotSupported): service addresses come from GetServices, Media2 included', async (t) => {
  const cam = await fakeCamera(t, { vendor: 'dahua', substituteHost: true, override: { GetCapabilities: { file: 'Fault-ActionNotSupported.xml', status: 500 } } });
  const c = new OnvifClient({ xaddr: cam.xaddr, username: USER, password: PASSWORD, clockOffsetMs: cam.cameraNow() - Date.now() });
  const base = `http://127.0.0.1:${cam.port}/onvif`;
  assert.deepEqual(await c.getCapabilities(), {
    deviceXaddr: `${base}/device_service`,
    mediaXaddr: `${base}/media_service`,
    media2Xaddr: `${base}/media2_service`,
    ptzXaddr: `${base}/ptz_service`,
    eventsXaddr: `${base}/event_service`,
    imagingXaddr: `${base}/imaging_service`,
  });
  assert.deepEqual(cam.seen.map((s) => s.op), ['GetCapabilities', 'GetServices']);
});

test('readInventory (Dahua, digest): main/sub from source 00000 with PTZ', async (t) => {
  const cam = await fakeCamera(t, { vendor: 'dahua', auth: 'digest', substituteHost: true });
  const inv = await readInventory(new OnvifClient({ xaddr: cam.xaddr, username: USER, password: PASSWORD }));
  assert.equal(inv.info.model, 'DH-SD49225XA-HNR');
  assert.deepEqual(inv.sources, [
    {
      videoSourceToken: '00000',
      main: { profileToken: 'MediaProfile00000', profileName: 'MediaProfile_Channel1_MainStream', streamUri: 'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0&unicast=true&proto=Onvif', encoding: 'H264', width: 1920, height: 1080, fps: 25, bitrateKbps: 4096 },
      sub: { profileToken: 'MediaProfile00001', profileName: 'MediaProfile_Channel1_SubStream1', streamUri: 'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=1&unicast=true&proto=Onvif', encoding: 'H264', width: 704, height: 576, fps: 25, bitrateKbps: 512 },
      ptz: true,
      ptzProfileToken: 'MediaProfile00000',
    },
  ]);
});

test('readInventory (Dahua H.265 on Media 1): the main stream stays main though its encoder is hidden', async (t) => {
  const cam = await fakeCamera(t, { vendor: 'dahua', substituteHost: true, profiles: 'GetProfiles-h265-media1.xml' });
  const inv = await readInventory(new OnvifClient({ xaddr: cam.xaddr, username: USER, password: PASSWORD }));
  const s = inv.sources[0];
  assert.deepEqual([s.main.profileToken, s.main.encoding, s.main.width, s.sub?.profileToken, s.sub?.encoding, s.ptz], ['MediaProfile00000', '', 0, 'MediaProfile00001', 'H264', false]);
});

// ---- transport failures --------------------------------------------------------------------------------------------

async function server(t: TestContext, handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const s = createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.after(() => closeServer(s));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/onvif/device_service`;
}

test('no answer in time → TIMEOUT', async (t) => {
  const xaddr = await server(t, () => undefined);
  const started = Date.now();
  await assert.rejects(new OnvifClient({ xaddr, timeoutMs: 200 }).getDeviceInformation(), isOnvif('TIMEOUT'));
  assert.ok(Date.now() - started < 2000);
});

test('connection refused → UNREACHABLE; bad xaddr → INVALID_ARGUMENT', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  await assert.rejects(new OnvifClient({ xaddr: `http://127.0.0.1:${port}/onvif/device_service` }).getSystemDateAndTime(), isOnvif('UNREACHABLE', /ECONNREFUSED/));
  assert.throws(() => new OnvifClient({ xaddr: 'not a url' }), isOnvif('INVALID_ARGUMENT'));
  assert.throws(() => new OnvifClient({ xaddr: 'rtsp://10.0.0.1/' }), isOnvif('INVALID_ARGUMENT'));
});

test('HTML, 404 and 401-without-challenge answers', async (t) => {
  const html = await server(t, (_q, r) => r.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body>Welcome</body></html>'));
  await assert.rejects(new OnvifClient({ xaddr: html }).getDeviceInformation(), isOnvif('BAD_RESPONSE', /not a SOAP envelope/));
  const notFound = await server(t, (_q, r) => r.writeHead(404).end('Not Found'));
  await assert.rejects(new OnvifClient({ xaddr: notFound }).getDeviceInformation(), (e) => e instanceof OnvifError && e.code === 'BAD_RESPONSE' && e.status === 404);
  const denied = await server(t, (_q, r) => r.writeHead(401).end());
  await assert.rejects(new OnvifClient({ xaddr: denied, username: 'u', password: 'p' }).getDeviceInformation(), (e) => e instanceof OnvifError && e.code === 'AUTH_FAILED' && e.status === 401);
  const bigger = await server(t, (_q, r) => r.writeHead(200, { 'Content-Length': String(5 * 1024 * 1024) }).end());
  await assert.rejects(new OnvifClient({ xaddr: bigger }).getDeviceInformation(), isOnvif('BAD_RESPONSE', /too large/));
});

test('without credentials no Security header or Authorization is sent; PTZ needs a PTZ service', async (t) => {
  const bodies: string[] = [];
  const xaddr = await server(t, (q, r) => {
    let b = '';
    q.on('data', (c) => (b += c));
    q.on('end', () => {
      bodies.push(b + (q.headers.authorization ?? ''));
      r.writeHead(200, { 'Content-Type': 'application/soap+xml' });
      r.end(readFileSync(`${FIXTURES}dahua/GetDeviceInformation.xml`));
    });
  });
  const c = new OnvifClient({ xaddr, services: { mediaXaddr: xaddr } });
  assert.equal((await c.getDeviceInformation()).manufacturer, 'Dahua');
  assert.ok(!bodies[0].includes('Security') && !bodies[0].includes('Digest'));
  await assert.rejects(c.ptzStop('MediaProfile00000'), isOnvif('NOT_SUPPORTED', /no PTZ service/));
  await assert.rejects(c.getStreamUri(''), isOnvif('INVALID_ARGUMENT'));
  assert.equal(bodies.length, 1);
});

test('toAppError maps every ONVIF code onto the catalogue and leaves other errors alone', () => {
  const codes = { AUTH_FAILED: 'ONVIF_AUTH_FAILED', UNREACHABLE: 'ONVIF_UNREACHABLE', TIMEOUT: 'DEVICE_TIMEOUT', SOAP_FAULT: 'DEVICE_REJECTED', BAD_RESPONSE: 'DEVICE_REJECTED', NOT_SUPPORTED: 'UNSUPPORTED_BY_DEVICE', INVALID_ARGUMENT: 'VALIDATION_FAILED' } as const;
  for (const [onvif, app] of Object.entries(codes)) {
    const e = toAppError(new OnvifError(onvif as keyof typeof codes, 'x', { detail: 'd', status: 400 }));
    assert.equal(e.code, app);
    assert.deepEqual(e.details, { onvif, detail: 'd', httpStatus: 400 });
  }
  const other = new Error('x');
  assert.equal(toAppError(other), other);
});

test('a keep-alive connection the device dropped is retried once on a fresh one', async (t) => {
  let n = 0;
  const xaddr = await server(t, (q, r) => {
    n++;
    if (n === 1) {
      q.socket.destroy(); // the device closed the pooled connection
      return;
    }
    r.writeHead(200, { 'Content-Type': 'application/soap+xml' });
    r.end(readFileSync(`${FIXTURES}dahua/GetDeviceInformation.xml`));
  });
  assert.equal((await new OnvifClient({ xaddr }).getDeviceInformation()).model, 'DH-SD49225XA-HNR');
  assert.equal(n, 2);
});

test('concurrent calls refused for a skewed clock share one clock measurement', async (t) => {
  const cam = await fakeCamera(t, { vendor: 'hikvision' });
  const c = hik(cam.xaddr);
  const [info, caps] = await Promise.all([c.getDeviceInformation(), c.getCapabilities()]);
  assert.equal(info.model, 'DS-2DE2A404IW-DE3');
  assert.ok(caps.ptzXaddr);
  assert.equal(cam.seen.filter((s) => s.op === 'GetSystemDateAndTime').length, 1);
  assert.equal(cam.seen.filter((s) => s.accepted && s.op !== 'GetSystemDateAndTime').length, 2);
});

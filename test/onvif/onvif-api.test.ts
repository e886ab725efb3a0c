import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/platform.js';
import { fakeCamera } from '../helpers/onvif-camera.js';

// An ONVIF camera through the platform API: added by address + credentials (profiles become channels with main and
// sub RTSP URIs), PTZ and presets from the same REST endpoints as GB devices. The camera is the recorded-answer fake.

let t: TestApp;
before(async () => {
  t = await startTestApp('sqlite');
});
after(() => t.close());

test('add a Hikvision-style ONVIF camera, then PTZ and presets through the GB REST API', async (ctx) => {
  const cam = await fakeCamera(ctx, { vendor: 'hikvision', substituteHost: true });
  const bad = await t.app.inject({ method: 'POST', url: '/api/v1/onvif/devices', headers: t.admin, payload: { xaddr: cam.xaddr, username: 'admin', password: 'wrong-password' } });
  assert.equal(bad.statusCode, 502, bad.body);
  assert.equal(bad.json().code, 'ONVIF_AUTH_FAILED');

  const r = await t.app.inject({ method: 'POST', url: '/api/v1/onvif/devices', headers: t.admin, payload: { xaddr: cam.xaddr, username: 'admin', password: 'Cam-pass.1', name: '东门球机' } });
  assert.equal(r.statusCode, 201, r.body);
  const { deviceId, channels } = r.json() as { deviceId: string; channels: { id: string; ptz: boolean; main: string; sub?: string }[] };
  assert.match(deviceId, /^3502000000132\d{7}$/);
  assert.equal(channels.length, 1);
  assert.equal(channels[0].ptz, true);
  assert.ok(channels[0].sub, 'a sub-stream profile became the sub URL');

  const ch = (await t.app.inject({ method: 'GET', url: `/api/v1/channels/${channels[0].id}`, headers: t.admin })).json();
  assert.equal(ch.sourceType, 'onvif');
  assert.match(ch.sourceUrl, /^rtsp:\/\/admin:\*\*\*@/, 'camera password masked');
  assert.ok(ch.subSourceUrl);
  const dev = (await t.app.inject({ method: 'GET', url: `/api/v1/devices/${deviceId}`, headers: t.admin })).json();
  assert.equal(dev.onvifXaddr, cam.xaddr);
  assert.ok(!JSON.stringify(dev).includes('Cam-pass.1'));

  const move = await t.app.inject({ method: 'POST', url: `/api/v1/channels/${ch.id}/ptz`, headers: t.admin, payload: { action: 'upleft', speed: 255 } });
  assert.equal(move.statusCode, 204, move.body);
  const stop = await t.app.inject({ method: 'POST', url: `/api/v1/channels/${ch.id}/ptz`, headers: t.admin, payload: { action: 'stop' } });
  assert.equal(stop.statusCode, 204, stop.body);
  const ops = cam.seen.filter((s) => s.accepted).map((s) => s.op);
  assert.ok(ops.includes('ContinuousMove') && ops.includes('Stop'), ops.join(','));
  const mv = cam.seen.find((s) => s.op === 'ContinuousMove')!.body;
  assert.match(mv, /PanTilt[^>]*x="-1"[^>]*y="1"|PanTilt[^>]*y="1"[^>]*x="-1"/, 'up-left at full speed');

  const presets = await t.app.inject({ method: 'GET', url: `/api/v1/channels/${ch.id}/presets`, headers: t.admin });
  assert.equal(presets.statusCode, 200, presets.body);
  assert.ok(presets.json().length >= 1);
  const call = await t.app.inject({ method: 'POST', url: `/api/v1/channels/${ch.id}/presets`, headers: t.admin, payload: { action: 'call', index: presets.json()[0].index } });
  assert.equal(call.statusCode, 204, call.body);
  assert.ok(cam.seen.some((s) => s.op === 'GotoPreset' && s.accepted));
  const focus = await t.app.inject({ method: 'POST', url: `/api/v1/channels/${ch.id}/ptz`, headers: t.admin, payload: { action: 'focusnear' } });
  assert.equal(focus.statusCode, 409);

  const log = (await t.app.inject({ method: 'GET', url: '/api/v1/logs/user?pageSize=50', headers: t.admin })).json().items.map((e: { action: string }) => e.action);
  assert.ok(log.includes('onvif.add') && log.includes('ptz'));
});

test('ONVIF discovery is refused until an administrator turns it on', async () => {
  const r = await t.app.inject({ method: 'GET', url: '/api/v1/onvif/discover', headers: t.admin });
  assert.equal(r.statusCode, 503);
  assert.equal(r.json().code, 'FEATURE_UNAVAILABLE');
  const s = await t.app.inject({ method: 'PATCH', url: '/api/v1/settings', headers: t.admin, payload: { onvifDiscovery: true } });
  assert.equal(s.statusCode, 200, s.body);
  const d = await t.app.inject({ method: 'GET', url: '/api/v1/onvif/discover?timeoutMs=600', headers: t.admin });
  assert.equal(d.statusCode, 200, d.body);
  assert.ok(Array.isArray(d.json().items));
});

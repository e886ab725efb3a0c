import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freeUdpPort, runSipp } from '../helpers/sipp.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';

/** GB/T 28181 signalling against sipp (Debian sip-tester) playing the device: an independent peer. */
describe('GB/T 28181 device signalling with sipp as the device', () => {
  let t: TestApp;
  const dev = '35020000001320000088';
  const ch = ['35020000001310000081', '35020000001310000082', '35020000001310000083'];
  const vars = (extra: Record<string, string | number> = {}) => ({ dev, domain: '3502000000', srv: '35020000002000000001', ch1: ch[0], ch2: ch[1], ch3: ch[2], ...extra });
  const auth = (username = dev, password = '12345678') => ({ username, password });

  before(async () => {
    t = await startTestApp('sqlite', {}, { queryTimeoutMs: 1500 });
  });
  after(() => t.close());

  test('register with digest (401 → 200 with Date), keepalive, catalog over 2 MESSAGEs, subscriptions, alarm', async () => {
    const port = await freeUdpPort();
    const r = await runSipp({ server: `127.0.0.1:${t.platform.sipPort}`, scenario: 'device-main.xml', ooc: 'device-ooc.xml', localPort: port, vars: vars(), auth: auth() });
    assert.equal(r.code, 0, `sipp failed:\n${r.output}\n${r.errors}`);
    const d = (await t.app.inject({ url: `/api/v1/devices/${dev}`, headers: t.admin })).json();
    assert.equal(d.online, true);
    assert.equal(d.source, 'gb');
    assert.equal(d.ip, '127.0.0.1');
    assert.equal(d.port, port);
    assert.equal(d.manufacturer, 'Hikvision', 'DeviceInfo answer applied');
    assert.equal(d.firmware, 'V5.7.10');
    assert.equal(d.userAgent, 'IP Camera');
    const chans = (await t.app.inject({ url: `/api/v1/channels?deviceId=${dev}`, headers: t.admin })).json();
    assert.equal(chans.total, 3, 'both catalog pages merged');
    const byId = Object.fromEntries(chans.items.map((c: { id: string }) => [c.id, c]));
    assert.equal(byId[ch[0]].name, 'Front door');
    assert.equal(byId[ch[0]].online, true);
    assert.equal(byId[ch[0]].ptzType, 1);
    assert.equal(byId[ch[0]].longitude, 118.0894);
    assert.equal(byId[ch[0]].civilCode, '350203');
    assert.equal(byId[ch[1]].online, false, 'Status OFF');
    const alarms = (await t.app.inject({ url: `/api/v1/logs/alarm?deviceId=${dev}`, headers: t.admin })).json();
    assert.equal(alarms.total, 1);
    assert.equal(alarms.items[0].channelId, ch[0]);
    assert.equal(alarms.items[0].priority, 1);
    await t.platform.gb!.journal.flush();
    const log = (await t.app.inject({ url: `/api/v1/logs/device?deviceId=${dev}&pageSize=50`, headers: t.admin })).json();
    const events = log.items.map((l: { event: string }) => l.event);
    assert.ok(events.includes('device.online'), events.join());
    assert.ok(events.includes('catalog.synced'), events.join());
  });

  test('re-register from another port moves the device; a MESSAGE from the old port is refused', async () => {
    const port = await freeUdpPort();
    const r = await runSipp({ server: `127.0.0.1:${t.platform.sipPort}`, scenario: 'device-main.xml', ooc: 'device-ooc.xml', localPort: port, vars: vars(), auth: auth(), pauseMs: 1000 });
    assert.equal(r.code, 0, `sipp failed:\n${r.output}\n${r.errors}`);
    const d = (await t.app.inject({ url: `/api/v1/devices/${dev}`, headers: t.admin })).json();
    assert.equal(d.port, port);
    await t.platform.gb!.journal.flush();
    const log = (await t.app.inject({ url: `/api/v1/logs/device?deviceId=${dev}&event=device.moved`, headers: t.admin })).json();
    assert.equal(log.total, 1);
  });

  test('a device that never answers: the query fails with DEVICE_TIMEOUT, the server keeps serving', async () => {
    const mute = '35020000001320000077';
    const port = await freeUdpPort();
    const run = runSipp({ server: `127.0.0.1:${t.platform.sipPort}`, scenario: 'device-main.xml', ooc: 'device-ooc-mute.xml', localPort: port, vars: vars({ dev: mute }), auth: auth(mute), pauseMs: 6000 });
    // wait until registered
    for (let i = 0; i < 50; i++) {
      const d = await t.app.inject({ url: `/api/v1/devices/${mute}`, headers: t.admin });
      if (d.statusCode === 200 && d.json().online) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const started = Date.now();
    const info = await t.app.inject({ url: `/api/v1/devices/${mute}/info`, headers: t.admin });
    assert.equal(info.statusCode, 504, info.body);
    assert.equal(info.json().code, 'DEVICE_TIMEOUT');
    assert.ok(Date.now() - started < 4000);
    const other = await t.app.inject({ url: `/api/v1/devices/${dev}`, headers: t.admin });
    assert.equal(other.statusCode, 200);
    const r = await run;
    assert.equal(r.code, 0, `sipp failed:\n${r.output}\n${r.errors}`);
  });

  test('wrong password: 403 and a device log entry; unknown device with auto-admit off: 403', async () => {
    const port = await freeUdpPort();
    const r = await runSipp({ server: `127.0.0.1:${t.platform.sipPort}`, scenario: 'device-main.xml', localPort: port, ooc: 'device-ooc-mute.xml', vars: vars({ dev: '35020000001320000066' }), auth: auth('35020000001320000066', 'wrongpass'), timeoutS: 5 });
    assert.notEqual(r.code, 0);
    assert.match(r.errors + r.output, /403/);
    await t.platform.gb!.journal.flush();
    const log = (await t.app.inject({ url: `/api/v1/logs/device?deviceId=35020000001320000066&event=register.failed`, headers: t.admin })).json();
    assert.equal(log.total, 1);
  });
});

/**
 * Real-time alarms and the map (issue 10) against the real platform fed by the GB/T 28181 simulator: an alarm the
 * simulated camera raises reaches the console socket of an operator allowed to see that channel within 2 s and never
 * one restricted to other channels; acknowledgement with a comment (once, by an allowed user, logged and pushed); the
 * platform's own alarms without a channel go only to users who see every channel; the map lists the simulated
 * channels at their catalog positions within each user's scope; tile settings are validated; tracks are recorded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { AlarmFeed } from '../../src/alarms/alarm-feed.js';
import { EventBus } from '../../src/core/events.js';
import { createLogger } from '../../src/core/logger.js';
import { Simulator } from '../../src/sim/simulator.js';
import { DIALECTS } from '../helpers/databases.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';

interface Pushed {
  type: string;
  data: any;
  got: number;
}

for (const dialect of DIALECTS) {
  describe(`alarms and map (${dialect})`, () => {
    let t: TestApp;
    let sim: Simulator;
    let port = 0;
    const heads: Record<string, Record<string, string>> = {};
    const inject = (method: string, url: string, payload?: unknown, headers = t.admin) => t.app.inject({ method: method as 'GET', url: `/api/v1${url}`, headers, payload: payload as never });
    let devA: string;
    let devB: string;
    let chA: string[];
    let chB: string[];

    before(async () => {
      t = await startTestApp(dialect);
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      port = (t.app.server.address() as { port: number }).port;
      sim = new Simulator({ server: `127.0.0.1:${t.platform.sipPort}`, serverId: '35020000002000000001', domain: '3502000000', password: '12345678', devices: 2, channelsPerDevice: 2, idStart: 41, log: createLogger('silent') });
      await sim.start();
      [devA, devB] = sim.deviceIds() as [string, string];
      chA = sim.channelIds(devA);
      chB = sim.channelIds(devB);
      for (let i = 0; i < 200; i++) {
        const r = (await inject('GET', '/channels?pageSize=100')).json();
        if (r.total >= 4) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      const mk = async (name: string, channelIds: string[]) => {
        const role = (await inject('POST', '/roles', { name, permissions: ['live.view', 'alarm.handle', 'playback.view'], channelIds })).json();
        await inject('POST', '/users', { username: name, password: 'Alarm#Op2026', roleIds: [role.id] });
        heads[name] = await t.login(name, 'Alarm#Op2026');
      };
      await mk('alarm-a', chA);
      await mk('alarm-b', chB);
      const none = (await inject('POST', '/roles', { name: 'viewer', permissions: ['live.view'], channelIds: chA })).json();
      await inject('POST', '/users', { username: 'viewer', password: 'Alarm#Op2026', roleIds: [none.id] });
      heads.viewer = await t.login('viewer', 'Alarm#Op2026');
    });
    after(async () => {
      await sim?.stop();
      await t?.close();
    });

    async function socket(h: Record<string, string>) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/events?token=${h.authorization.slice(7)}`);
      const got: Pushed[] = [];
      ws.on('message', (m) => got.push({ ...JSON.parse(String(m)), got: Date.now() }));
      await new Promise((r) => ws.once('open', r));
      return { ws, got };
    }

    test('a simulated camera alarm reaches the allowed operator within 2 s and not the restricted one', async () => {
      const [a, b, v, admin] = await Promise.all([socket(heads['alarm-a']!), socket(heads['alarm-b']!), socket(heads.viewer!), socket(t.admin)]);
      const sent = Date.now();
      assert.equal(await sim.raiseAlarm(devA, chA[1], { priority: 1, method: 5, description: '移动侦测 test' } as never), 200);
      const deadline = sent + 2000;
      let hit: Pushed | undefined;
      while (Date.now() < deadline && !hit) {
        hit = a.got.find((e) => e.type === 'alarm.raised' && e.data.channelId === chA[1]);
        if (!hit) await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(hit, 'alarm.raised reached the allowed operator');
      const latency = hit.got - sent;
      console.log(`alarm: camera MESSAGE → allowed console ${latency} ms`);
      assert.ok(latency < 2000);
      assert.equal(hit.data.deviceId, devA);
      assert.match(hit.data.alarmType, /^gb_video/);
      assert.ok(hit.data.id > 0 && hit.data.channelName, 'the push carries the alarm id and the channel name');
      await new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())));
      assert.equal(b.got.filter((e) => e.type.startsWith('alarm')).length, 0, 'nothing reached the operator of other channels');
      assert.equal(v.got.filter((e) => e.type === 'alarm.raised').length, 0, 'nor a user without alarm.handle');
      assert.ok(admin.got.some((e) => e.type === 'alarm.raised' && e.data.id === hit!.data.id));

      // acknowledgement: the restricted operator cannot see it; the allowed one acknowledges once; everyone allowed is told
      const id = hit.data.id as number;
      assert.equal((await inject('POST', `/alarms/${id}/ack`, { comment: 'x' }, heads['alarm-b'])).statusCode, 404);
      const ack = await inject('POST', `/alarms/${id}/ack`, { comment: '已到现场核实，误报' }, heads['alarm-a']);
      assert.equal(ack.statusCode, 200, ack.body);
      assert.deepEqual([ack.json().ackedBy, ack.json().ackComment], ['alarm-a', '已到现场核实，误报']);
      assert.ok(ack.json().ackedAt);
      const again = await inject('POST', `/alarms/${id}/ack`, { comment: 'again' });
      assert.deepEqual([again.statusCode, again.json().code], [409, 'ALARM_ALREADY_ACKED']);
      await new Promise((r) => setTimeout(r, 150));
      assert.ok(admin.got.some((e) => e.type === 'alarm.acked' && e.data.id === id && e.data.ackedBy === 'alarm-a'));
      assert.equal(b.got.filter((e) => e.type.startsWith('alarm')).length, 0);

      // lists are scoped; the alarm log (auditors) has the acknowledgement too
      const listA = (await inject('GET', '/alarms?pageSize=50', undefined, heads['alarm-a'])).json();
      assert.ok(listA.items.every((x: { channelId: string }) => chA.includes(x.channelId)));
      assert.ok(listA.items.some((x: { id: number }) => x.id === id));
      assert.equal((await inject('GET', '/alarms?pageSize=50', undefined, heads['alarm-b'])).json().total, 0);
      assert.equal((await inject('GET', '/alarms?acked=false', undefined, heads['alarm-a'])).json().items.some((x: { id: number }) => x.id === id), false);
      assert.equal((await inject('GET', '/alarms', undefined, heads.viewer)).statusCode, 403);
      const log = (await inject('GET', `/logs/alarm?deviceId=${devA}`)).json();
      assert.equal(log.items.find((x: { id: number }) => x.id === id)?.ackComment, '已到现场核实，误报');
      const userLog = (await inject('GET', '/logs/user?action=alarm.ack')).json();
      assert.deepEqual(userLog.items.map((x: { result: string }) => x.result).sort(), ['fail', 'fail', 'ok']);
      for (const s of [a, b, v, admin]) s.ws.close();
    });

    test("the platform's own alarms without a channel go to users who see every channel only", async () => {
      const [a, admin] = await Promise.all([socket(heads['alarm-a']!), socket(t.admin)]);
      await t.platform.store.logs.appendAlarm({ at: t.clock.now().toISOString(), deviceId: 'platform', channelId: null, alarmType: 'platform_storage_low', priority: 1, method: 'platform', description: '录像空间不足' });
      await new Promise((r) => setTimeout(r, 800));
      assert.ok(admin.got.some((e) => e.type === 'alarm.raised' && e.data.alarmType === 'platform_storage_low'));
      assert.equal(a.got.filter((e) => e.type === 'alarm.raised').length, 0);
      for (const s of [a, admin]) s.ws.close();
    });

    test('a feed started over an existing alarm log pushes only rows written after it started (restart of a node)', async () => {
      const bus = new EventBus();
      const pushed: unknown[] = [];
      bus.on('event', (e) => pushed.push(e));
      const feed = new AlarmFeed({ store: t.platform.store, bus, clock: t.clock, log: createLogger('silent'), settings: { pollMs: 60_000 } });
      await feed.start();
      assert.equal(await feed.poll(), 0, 'the alarms written before are not news');
      await t.platform.store.logs.appendAlarm({ at: t.clock.now().toISOString(), deviceId: devB, channelId: chB[0], alarmType: 'video_loss', priority: 2, method: 'catalog', description: '视频丢失' });
      assert.equal(await feed.poll(), 1);
      assert.equal(await feed.poll(), 0, 'and each row once');
      feed.stop();
      assert.equal(pushed.length, 1);
    });

    test('the map lists the simulated channels at their catalog positions, per scope; tile URL is a validated setting', async () => {
      const all = (await inject('GET', '/map/points')).json();
      const chans = new Map<string, { lng: number; lat: number; online: boolean }>(all.channels.map((c: { id: string; lng: number; lat: number; online: boolean }) => [c.id, c]));
      for (const id of [...chA, ...chB]) {
        const c = (await inject('GET', `/channels/${id}`)).json();
        assert.ok(c.longitude && c.latitude, `channel ${id} has a position from the catalog`);
        assert.deepEqual([chans.get(id)?.lng, chans.get(id)?.lat, chans.get(id)?.online], [c.longitude, c.latitude, true]);
      }
      const mine = (await inject('GET', '/map/points', undefined, heads['alarm-b'])).json();
      assert.deepEqual(mine.channels.map((c: { id: string }) => c.id).sort(), [...chB].sort());
      assert.deepEqual(mine.devices, [], 'devices only with device.view');

      assert.deepEqual((await inject('GET', '/map/config', undefined, heads['alarm-b'])).json(), { tileUrl: null });
      assert.equal((await inject('PATCH', '/settings', { mapTileUrl: 'javascript:alert(1)' })).statusCode, 400);
      assert.equal((await inject('PATCH', '/settings', { mapTileUrl: 'http://tiles.local/{z}/{x}.png' })).statusCode, 400, 'needs {z} {x} {y}');
      assert.equal((await inject('PATCH', '/settings', { mapTileUrl: 'http://10.0.0.5:8081/tiles/{z}/{y}/{x}.png' })).statusCode, 200);
      assert.deepEqual((await inject('GET', '/map/config', undefined, heads['alarm-b'])).json(), { tileUrl: 'http://10.0.0.5:8081/tiles/{z}/{y}/{x}.png' });
      assert.equal((await inject('PATCH', '/settings', { mapTileUrl: '' })).statusCode, 200);
    });

    test('mobile positions become a track (thinned), readable only for visible channels', async () => {
      const id = chA[0]!;
      const t0 = t.clock.now().getTime();
      for (let k = 0; k < 6; k++) {
        t.platform.bus.emit('event', { type: 'channel.position', at: new Date(t0 + k * 1000).toISOString(), channel: { id, orgId: null }, data: { id, longitude: (118_100 + k) / 1000, latitude: 24.5 } });
      }
      await new Promise((r) => setTimeout(r, 200));
      const tr = (await inject('GET', `/map/tracks/${id}?from=${encodeURIComponent(new Date(t0 - 1000).toISOString())}`, undefined, heads['alarm-a'])).json();
      assert.deepEqual(tr.points.map((p: { lng: number }) => p.lng), [118.1, 118.102, 118.104], 'one point per 2 s');
      assert.equal((await inject('GET', `/map/tracks/${id}`, undefined, heads['alarm-b'])).statusCode, 404);
      assert.ok((await inject('GET', '/map/points', undefined, heads['alarm-a'])).json().tracked.includes(id));
    });
  });
}

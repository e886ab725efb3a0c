import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { DIALECTS } from '../helpers/databases.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';

/**
 * R6/R11: a restricted operator sees and acts on only the channels granted to their roles, on every surface:
 * lists, details, device lists, exports, and pushed events.
 */
for (const dialect of DIALECTS) {
  describe(`per-channel access (${dialect})`, () => {
    let t: TestApp;
    let op: Record<string, string>;
    const D1 = '35020000001180000001'; // NVR
    const D2 = '35020000001180000002';
    const ch = (d: number, c: number) => `3502000000131${d}00000${c}`.padEnd(20, '0').slice(0, 20);
    const C = [ch(1, 1), ch(1, 2), ch(2, 1)];

    before(async () => {
      t = await startTestApp(dialect);
      const post = async (url: string, payload: object) => {
        const r = await t.app.inject({ method: 'POST', url, headers: t.admin, payload });
        assert.ok(r.statusCode < 300, `${url} ${r.body}`);
        return r.json();
      };
      await post('/api/v1/orgs', { id: '3502', name: '厦门市', type: 'region' });
      await post('/api/v1/orgs', { id: '350203', name: '思明区', type: 'region', parentId: '3502' });
      await post('/api/v1/orgs', { id: '350206', name: '湖里区', type: 'region', parentId: '3502' });
      await post('/api/v1/devices', { id: D1, name: 'NVR-1', orgId: '350203' });
      await post('/api/v1/devices', { id: D2, name: 'NVR-2', orgId: '350206' });
      await post('/api/v1/channels', { id: C[0], deviceId: D1, name: 'A', orgId: '350203' });
      await post('/api/v1/channels', { id: C[1], deviceId: D1, name: 'B', orgId: '350203' });
      await post('/api/v1/channels', { id: C[2], deviceId: D2, name: 'C', orgId: '350206' });
      const role = await post('/api/v1/roles', { name: 'operator-A', permissions: ['live.view', 'device.view', 'log.view'], channelIds: [C[0]] });
      await post('/api/v1/users', { username: 'op1', password: 'Op@Secret123', roleIds: [role.id] });
      op = await t.login('op1', 'Op@Secret123');
    });
    after(() => t.close());

    test('channel list and details show only the granted channel', async () => {
      const list = (await t.app.inject({ url: '/api/v1/channels', headers: op })).json();
      assert.deepEqual(
        list.items.map((c: { id: string }) => c.id),
        [C[0]],
      );
      assert.equal(list.total, 1);
      assert.equal((await t.app.inject({ url: `/api/v1/channels/${C[0]}`, headers: op })).statusCode, 200);
      for (const hidden of [C[1], C[2]]) {
        const r = await t.app.inject({ url: `/api/v1/channels/${hidden}`, headers: op });
        assert.equal(r.statusCode, 404, 'hidden channels look absent');
      }
      assert.equal((await t.app.inject({ url: '/api/v1/channels', headers: t.admin })).json().total, 3);
    });

    test('devices: only the device holding the granted channel; exports filtered too', async () => {
      const list = (await t.app.inject({ url: '/api/v1/devices', headers: op })).json();
      assert.deepEqual(
        list.items.map((d: { id: string }) => d.id),
        [D1],
      );
      assert.equal((await t.app.inject({ url: `/api/v1/devices/${D2}`, headers: op })).statusCode, 404);
      const csv = await t.app.inject({ url: '/api/v1/devices/export?format=csv', headers: op });
      assert.equal(csv.statusCode, 200);
      assert.match(csv.body, new RegExp(D1));
      assert.doesNotMatch(csv.body, new RegExp(D2));
    });

    test('function permissions are enforced', async () => {
      const r = await t.app.inject({ method: 'POST', url: '/api/v1/devices', headers: op, payload: { id: '35020000001320000077', name: 'x' } });
      assert.equal(r.statusCode, 403);
      assert.equal(r.json().code, 'FORBIDDEN');
      assert.equal((await t.app.inject({ url: '/api/v1/users', headers: op })).statusCode, 403);
      assert.equal((await t.app.inject({ url: '/api/v1/logs/user?format=csv', headers: op })).statusCode, 403, 'log.view without log.export cannot export');
    });

    test('org scope includes sub-organisations; changes apply within seconds', async () => {
      const role = (await t.app.inject({ method: 'POST', url: '/api/v1/roles', headers: t.admin, payload: { name: 'city', permissions: ['device.view'], orgIds: ['3502'] } })).json();
      const u = (await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: t.admin, payload: { username: 'city1', password: 'City@Pass123', roleIds: [role.id] } })).json();
      const h = await t.login('city1', 'City@Pass123');
      assert.equal((await t.app.inject({ url: '/api/v1/channels', headers: h })).json().total, 3);
      const orgs = (await t.app.inject({ url: '/api/v1/orgs', headers: op })).json();
      assert.deepEqual(orgs.map((o: { id: string }) => o.id).sort(), ['3502', '350203'], 'operator sees the path to its channel only');
      await t.app.inject({ method: 'PATCH', url: `/api/v1/roles/${role.id}`, headers: t.admin, payload: { orgIds: ['350206'] } });
      const after = (await t.app.inject({ url: '/api/v1/channels', headers: h })).json();
      assert.deepEqual(
        after.items.map((c: { id: string }) => c.id),
        [C[2]],
      );
      assert.ok(u.id);
    });

    test('WebSocket pushes only events of visible channels, and closes on logout', async () => {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const port = (t.app.server.address() as { port: number }).port;
      const token = op.authorization.slice(7);
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/events?token=${token}`);
      const got: { type: string; data: { id?: string } }[] = [];
      ws.on('message', (m) => got.push(JSON.parse(String(m))));
      await new Promise((r) => ws.once('open', r));
      await new Promise((r) => setTimeout(r, 100));
      await t.app.inject({ method: 'PATCH', url: `/api/v1/channels/${C[1]}`, headers: t.admin, payload: { name: 'B2' } });
      await t.app.inject({ method: 'PATCH', url: `/api/v1/channels/${C[0]}`, headers: t.admin, payload: { name: 'A2' } });
      await new Promise((r) => setTimeout(r, 200));
      const updates = got.filter((e) => e.type === 'channel.updated').map((e) => e.data.id);
      assert.deepEqual(updates, [C[0]]);
      const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
      const logout = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: op });
      assert.equal(logout.statusCode, 204);
      assert.equal(await closed, 4001);
      const refused = new WebSocket(`ws://127.0.0.1:${port}/api/v1/events?token=${token}`);
      const err = await new Promise<string>((r) => {
        refused.once('unexpected-response', (_req, res) => r(String(res.statusCode)));
        refused.once('open', () => r('open'));
      });
      assert.equal(err, '401');
    });
  });
}

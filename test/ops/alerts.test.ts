/**
 * Alert rules and the evaluator (issue 14 §4): invalid rules are refused at save; a device that goes offline fires a
 * device_offline alert after forMinutes (alarm log, console push over the WebSocket, webhook with a retry, fault
 * ticket), and the alert clears (ticket recovered) when the device registers again. Also the upper-platform,
 * availability and storage-headroom conditions against real state. Both dialects.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import WebSocket from 'ws';
import { createLogger } from '../../src/core/logger.js';
import { Simulator } from '../../src/sim/simulator.js';
import { DIALECTS } from '../helpers/databases.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';

interface Hook {
  body: any;
  status: number;
}

/** a webhook receiver that refuses its first call with 500, so the retry is exercised */
async function receiver(): Promise<{ url: string; got: Hook[]; server: Server }> {
  const got: Hook[] = [];
  let calls = 0;
  const server = createServer((req, res) => {
    let b = '';
    req.on('data', (c) => (b += c));
    req.on('end', () => {
      calls++;
      const status = calls === 1 ? 500 : 200;
      got.push({ body: JSON.parse(b), status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, got, server };
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const dialect of DIALECTS) {
  describe(`alerts (${dialect})`, () => {
    let t: TestApp;
    let port: number;
    const inject = (method: string, url: string, payload?: unknown, headers = t.admin) => t.app.inject({ method: method as 'GET', url: `/api/v1${url}`, headers, payload: payload as never });

    before(async () => {
      t = await startTestApp(dialect);
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      port = (t.app.server.address() as { port: number }).port;
      Object.assign(t.platform.ops!.alerts.webhooks.settings, { backoffMs: 100, timeoutMs: 2000 });
    });
    after(async () => {
      await t?.close();
    });

    test('invalid rules are refused at save with ALERT_RULE_INVALID and nothing is stored', async () => {
      const bad: Array<[Record<string, unknown>, string]> = [
        [{ name: 'x', kind: 'cpu_hot', threshold: 1 }, 'kind'],
        [{ name: 'x', kind: 'device_offline', threshold: 0 }, 'threshold'],
        [{ name: 'x', kind: 'device_offline', threshold: 20_000 }, 'threshold'],
        [{ name: 'x', kind: 'availability_below', threshold: 101 }, 'threshold'],
        [{ name: 'x', kind: 'media_node_down', threshold: 5 }, 'threshold'],
        [{ name: 'x', kind: 'device_offline', threshold: 5, forMinutes: -1 }, 'forMinutes'],
        [{ name: 'x', kind: 'device_offline', threshold: 5, forMinutes: 1.5 }, 'forMinutes'],
        [{ name: 'x', kind: 'device_offline', threshold: 5, forMinutes: 5000 }, 'forMinutes'],
        [{ name: 'x', kind: 'device_offline', threshold: 5, webhooks: ['ftp://example.com/x'] }, 'webhooks'],
        [{ name: 'x', kind: 'device_offline', threshold: 5, webhooks: ['not a url'] }, 'webhooks'],
        [{ name: 'x', kind: 'storage_headroom', threshold: 3, orgId: 'org-1' }, 'orgId'],
        [{ name: 'x', kind: 'device_offline', threshold: 5, orgId: 'no-such-org' }, 'orgId'],
        [{ name: '  ', kind: 'device_offline', threshold: 5 }, 'name'],
      ];
      for (const [body, field] of bad) {
        const r = await inject('POST', '/alerts/rules', body);
        assert.equal(r.statusCode, 400, JSON.stringify(body));
        assert.equal(r.json().code, 'ALERT_RULE_INVALID', JSON.stringify(body));
        assert.equal(r.json().details.field, field, JSON.stringify(body));
      }
      assert.equal((await inject('GET', '/alerts/rules')).json().items.length, 0);
      // a valid rule, then a bad change to it: refused, the rule unchanged
      const ok = await inject('POST', '/alerts/rules', { name: 'lag', kind: 'image_forward_lag', threshold: 600, forMinutes: 5 });
      assert.equal(ok.statusCode, 201);
      const bad2 = await inject('PATCH', `/alerts/rules/${ok.json().id}`, { threshold: 1 });
      assert.equal(bad2.json().code, 'ALERT_RULE_INVALID');
      assert.equal((await inject('GET', `/alerts/rules/${ok.json().id}`)).json().threshold, 600);
      assert.equal((await inject('DELETE', `/alerts/rules/${ok.json().id}`)).statusCode, 204);
    });

    test('reading needs log.view or system.config; changing needs system.config', async () => {
      const role = (await inject('POST', '/roles', { name: 'ops-reader', permissions: ['log.view'] })).json();
      await inject('POST', '/users', { username: 'opsreader', password: 'Ops#Reader2026', roleIds: [role.id] });
      const reader = await t.login('opsreader', 'Ops#Reader2026');
      const op = (await inject('POST', '/roles', { name: 'ops-none', permissions: ['live.view'] })).json();
      await inject('POST', '/users', { username: 'opsnone', password: 'Ops#None2026x', roleIds: [op.id] });
      const none = await t.login('opsnone', 'Ops#None2026x');
      assert.equal((await inject('GET', '/alerts/rules', undefined, reader)).statusCode, 200);
      assert.equal((await inject('GET', '/tickets', undefined, reader)).statusCode, 200);
      assert.equal((await inject('GET', '/status', undefined, reader)).statusCode, 200);
      assert.equal((await inject('POST', '/alerts/rules', { name: 'x', kind: 'device_offline', threshold: 5 }, reader)).statusCode, 403);
      assert.equal((await inject('POST', '/tickets', { title: 'x' }, reader)).statusCode, 403);
      for (const u of ['/alerts/rules', '/alerts', '/tickets', '/status']) assert.equal((await inject('GET', u, undefined, none)).statusCode, 403, u);
    });

    test('a device offline fires after forMinutes (alarm log, console push, webhook retried, ticket) and clears when it is back', async () => {
      const hook = await receiver();
      const simOpts = { server: `127.0.0.1:${t.platform.sipPort}`, serverId: '35020000002000000001', domain: '3502000000', password: '12345678', devices: 1, channelsPerDevice: 1, idStart: 71, log: createLogger('silent') };
      let sim = new Simulator(simOpts);
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/events?token=${t.admin.authorization.slice(7)}`);
      const pushed: any[] = [];
      ws.on('message', (m) => pushed.push(JSON.parse(String(m))));
      await new Promise((r) => ws.once('open', r));
      try {
        await sim.start();
        const [dev] = sim.deviceIds() as [string];
        await until('device online', async () => (await inject('GET', `/devices/${dev}`)).json().online === true);
        const rule = (await inject('POST', '/alerts/rules', { name: '设备离线超过1分钟', kind: 'device_offline', threshold: 1, forMinutes: 2, webhooks: [hook.url] })).json();
        assert.equal((await inject('POST', '/alerts/evaluate')).json().items.length, 0, 'online: nothing holds');
        await sim.stop(); // REGISTER Expires: 0
        await until('device offline', async () => (await inject('GET', `/devices/${dev}`)).json().online === false);

        t.clock.advance(2 * 60_000); // offline (last heard) > 1 min: the condition holds, pending
        assert.equal((await inject('POST', '/alerts/evaluate')).json().items.length, 0, 'pending until forMinutes');
        const rules = (await inject('GET', '/alerts/rules')).json().items;
        assert.equal(rules[0].status.holding, 1);
        t.clock.advance(2 * 60_000 + 1000); // held for forMinutes: fires
        const firing = (await inject('POST', '/alerts/evaluate')).json().items;
        assert.equal(firing.length, 1);
        const alert = firing[0];
        assert.equal(alert.kind, 'device_offline');
        assert.equal(alert.deviceId, dev);
        assert.ok(alert.ticketId);
        // a second pass does not fire again
        await inject('POST', '/alerts/evaluate');
        assert.equal((await inject('GET', '/alerts?state=firing')).json().total, 1);

        // alarm log row (what the alarm feed pushes to consoles)
        const alarms = (await inject('GET', '/logs/alarm?type=alert_device_offline')).json();
        assert.equal(alarms.total, 1);
        assert.equal(alarms.items[0].deviceId, dev);
        // console push of the bus event
        await until('alert.fired pushed', () => pushed.find((e) => e.type === 'alert.fired'));
        // webhook: refused once with 500, delivered on the retry
        await until('webhook delivered', () => hook.got.find((h) => h.status === 200 && h.body.event === 'alert.fired'));
        assert.equal(hook.got[0].status, 500);
        assert.equal(hook.got[1].body.alert.id, alert.id);
        assert.equal(hook.got[1].body.rule.id, rule.id);
        // ticket opened by the alert
        const ticket = (await inject('GET', `/tickets/${alert.ticketId}`)).json();
        assert.equal(ticket.source, 'alert');
        assert.equal(ticket.state, 'open');
        assert.equal(ticket.alertId, alert.id);

        // the device comes back: the alert clears, the ticket is recovered by the system
        sim = new Simulator(simOpts);
        await sim.start();
        await until('device online again', async () => (await inject('GET', `/devices/${dev}`)).json().online === true);
        t.clock.advance(60_000);
        assert.equal((await inject('POST', '/alerts/evaluate')).json().items.length, 0);
        const cleared = (await inject('GET', '/alerts?state=cleared')).json();
        assert.equal(cleared.total, 1);
        assert.equal(cleared.items[0].id, alert.id);
        const closed = (await inject('GET', `/tickets/${alert.ticketId}`)).json();
        assert.equal(closed.state, 'recovered');
        assert.equal(closed.recoveredBy, 'system');
        assert.equal(closed.recoveryMinutes, 1);
        assert.equal(closed.recoveryBreached, false);
        assert.equal((await inject('GET', '/logs/alarm?type=alert_device_offline_cleared')).json().total, 1);
        await until('alert.cleared pushed', () => pushed.find((e) => e.type === 'alert.cleared'));
        await until('clear webhook', () => hook.got.find((h) => h.status === 200 && h.body.event === 'alert.cleared'));
        await inject('DELETE', `/alerts/rules/${rule.id}`);
      } finally {
        ws.terminate();
        await sim.stop();
        hook.server.closeAllConnections();
        hook.server.close();
      }
    });

    test('upper platform unregistered, availability below target and storage headroom fire from real state', async () => {
      // an enabled upper platform at a port nobody answers: the registration cannot succeed
      const up = await inject('POST', '/upper-platforms', { name: '市局平台', serverId: '34020000002000000001', domain: '3402000000', host: '127.0.0.1', port: 9, localId: '35020000002000000001', enabled: true });
      assert.equal(up.statusCode, 201, up.body);
      const r1 = (await inject('POST', '/alerts/rules', { name: 'upper', kind: 'upper_platform_unregistered', forMinutes: 0 })).json();

      // availability: today's rows (the accountant's table) at 80 % against a 95 % target
      const db = t.platform.store.database.db as any;
      const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(t.clock.now());
      await db.insertInto('channel_availability').values({ channel_id: 'c1', day, online_ms: 3_600_000, video_ms: 2_880_000, observed_ms: 3_600_000, updated_at: t.clock.now().toISOString() }).execute();
      const r2 = (await inject('POST', '/alerts/rules', { name: 'avail', kind: 'availability_below', threshold: 95, forMinutes: 0 })).json();

      // storage: one segment in the last 24 h as large as twice the free space of the recording root → < 1 day left
      const [root] = await t.platform.media!.storage();
      assert.ok(root.ok);
      await db.insertInto('record_segments').values({ channel_id: 'c1', start_ms: Date.now() - 600_000, end_ms: Date.now() - 300_000, size: root.freeBytes * 2, path: `${root.path}/c1/x.mp4`, node_id: root.nodeId, codec: 'h264', checksum: null, state: 'closed', error: null, verified_at: null }).execute();
      const r3 = (await inject('POST', '/alerts/rules', { name: 'disk', kind: 'storage_headroom', threshold: 3, forMinutes: 0 })).json();

      const firing = (await inject('POST', '/alerts/evaluate')).json().items;
      const kinds = firing.map((a: any) => a.kind).sort();
      assert.deepEqual(kinds, ['availability_below', 'storage_headroom', 'upper_platform_unregistered']);
      const av = firing.find((a: any) => a.kind === 'availability_below');
      assert.equal(av.value, 80);
      const st = firing.find((a: any) => a.kind === 'storage_headroom');
      assert.ok(st.value < 1, `headroom ${st.value} days`);
      // the availability recovers above target: that alert clears, the others stay
      await db.updateTable('channel_availability').set({ video_ms: 3_500_000 }).where('channel_id', '=', 'c1').execute();
      const still = (await inject('POST', '/alerts/evaluate')).json().items.map((a: any) => a.kind).sort();
      assert.deepEqual(still, ['storage_headroom', 'upper_platform_unregistered']);
      // disabling a rule clears its alert
      await inject('PATCH', `/alerts/rules/${r1.id}`, { enabled: false });
      await inject('DELETE', `/alerts/rules/${r3.id}`);
      assert.deepEqual((await inject('POST', '/alerts/evaluate')).json().items, []);
      await inject('DELETE', `/alerts/rules/${r2.id}`);
      await sql`delete from record_segments`.execute(t.platform.store.database.db);
    });
  });
}

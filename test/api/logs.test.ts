import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { DIALECTS } from '../helpers/databases.js';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from '../helpers/platform.js';

for (const dialect of DIALECTS) {
  describe(`logs (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
    });
    after(() => t.close());

    test('logins, failures and config changes are in the user log with who/what/where/result', async () => {
      await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: 'wrong' } });
      await t.app.inject({ method: 'POST', url: '/api/v1/devices', headers: t.admin, payload: { id: '35020000001320000001', name: 'cam' } });
      const r = (await t.app.inject({ url: '/api/v1/logs/user?pageSize=50', headers: t.admin })).json();
      const actions = r.items.map((l: { action: string; result: string }) => `${l.action}:${l.result}`);
      assert.ok(actions.includes('auth.login:ok'));
      assert.ok(actions.includes('auth.login:fail'));
      assert.ok(actions.includes('device.create:ok'));
      const create = r.items.find((l: { action: string }) => l.action === 'device.create');
      assert.equal(create.username, 'admin');
      assert.equal(create.targetId, '35020000001320000001');
      assert.ok(create.ip);
      const filtered = (await t.app.inject({ url: '/api/v1/logs/user?action=auth.login&result=fail', headers: t.admin })).json();
      assert.equal(filtered.total, 1);
      const byText = (await t.app.inject({ url: '/api/v1/logs/user?q=35020000001320000001', headers: t.admin })).json();
      assert.equal(byText.total, 1);
      const range = (await t.app.inject({ url: `/api/v1/logs/user?from=${encodeURIComponent('2026-11-25T10:00:00+08:00')}&to=${encodeURIComponent('2026-11-25T10:00:01+08:00')}`, headers: t.admin })).json();
      assert.equal(range.total, r.total, 'offset times are compared as instants');
    });

    test('export as CSV and Excel, in local time, and the export itself is logged', async () => {
      const csv = await t.app.inject({ url: '/api/v1/logs/user?format=csv', headers: t.admin });
      assert.equal(csv.statusCode, 200);
      assert.match(csv.headers['content-type'] as string, /text\/csv/);
      const text = csv.rawPayload.subarray(3).toString('utf8');
      assert.match(text.split('\n')[0], /^序号,时间,用户,操作/);
      assert.match(text, /2026-11-25 10:00:00,admin,auth\.login/, 'times in Asia/Shanghai local time');
      const x = await t.app.inject({ url: '/api/v1/logs/user?format=xlsx', headers: t.admin });
      assert.equal(x.statusCode, 200);
      assert.equal(x.rawPayload.subarray(0, 2).toString(), 'PK');
      const exports = (await t.app.inject({ url: '/api/v1/logs/user?action=log.export', headers: t.admin })).json();
      assert.equal(exports.total, 2);
    });

    test('device and alarm logs query and export', async () => {
      await t.platform.store.logs.appendDevice({ at: t.clock.now().toISOString(), deviceId: '35020000001320000001', event: 'offline', level: 'warn', detail: 'keepalive timeout' });
      await t.platform.store.logs.appendAlarm({ at: t.clock.now().toISOString(), deviceId: '35020000001320000001', alarmType: 'video_loss', priority: 1, description: '视频丢失' });
      const dev = (await t.app.inject({ url: '/api/v1/logs/device?event=offline', headers: t.admin })).json();
      assert.equal(dev.total, 1);
      const alarm = await t.app.inject({ url: '/api/v1/logs/alarm?format=csv', headers: t.admin });
      assert.match(alarm.rawPayload.toString('utf8'), /video_loss,1,,视频丢失/);
    });

    test('the user log is tamper-evident: editing a row breaks the chain', async () => {
      const ok = (await t.app.inject({ url: '/api/v1/logs/user/verify', headers: t.admin })).json();
      assert.equal(ok.ok, true);
      assert.ok(ok.checked >= 5);
      const { db } = t.platform.store.database;
      const victim = await db.selectFrom('user_logs').select('id').where('action', '=', 'device.create').executeTakeFirstOrThrow();
      await sql`update user_logs set detail = 'forged' where id = ${victim.id}`.execute(db);
      const broken = (await t.app.inject({ url: '/api/v1/logs/user/verify', headers: t.admin })).json();
      assert.equal(broken.ok, false);
      assert.equal(broken.brokenAt, Number(victim.id));
    });

    test('retention keeps at least 180 days and purges older rows', async () => {
      const tooShort = await t.app.inject({ method: 'PATCH', url: '/api/v1/settings', headers: t.admin, payload: { logRetentionDays: 30 } });
      assert.equal(tooShort.statusCode, 400);
      await t.platform.store.logs.appendDevice({ at: '2025-01-01T00:00:00.000Z', deviceId: null, event: 'old', level: 'info' });
      const removed = await t.platform.store.logs.purgeBefore(new Date(t.clock.now().getTime() - 180 * 86400_000).toISOString());
      assert.equal(removed, 1);
      assert.equal((await t.app.inject({ url: '/api/v1/logs/device?event=old', headers: t.admin })).json().total, 0);
      void ADMIN_PASSWORD;
    });
  });
}

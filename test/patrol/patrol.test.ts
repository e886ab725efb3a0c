/**
 * Electronic patrol (R4, issue 10): windows and paging rules, tasks and plans over the API on SQLite and PostgreSQL,
 * the server-side scheduler (a plan window opening and closing on the platform clock, pages turning, the next page
 * pre-invited before the turn), control (start/pause/next/prev/resume/stop) pushed over the events WebSocket with
 * each receiver seeing only its channels, a run surviving a restart, bad input, and the user log.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { buildPages, stepPage } from '../../src/patrol/pages.js';
import { nextWindowStart, overlap, windowEndAt, windowErrors } from '../../src/patrol/windows.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../helpers/databases.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';

const TZ = 'Asia/Shanghai';
const at = (local: string) => new Date(`${local}+08:00`);

describe('patrol windows (SHARPEYE_TZ) and pages', () => {
  test('window end, next start, weekdays and dates in the platform zone', () => {
    // 2026-11-25 is a Wednesday (ISO 3)
    const w = [{ days: [3], from: '10:00', to: '11:30' }];
    assert.equal(windowEndAt(w, at('2026-11-25T09:59:59'), TZ), null);
    assert.equal(windowEndAt(w, at('2026-11-25T10:00:00'), TZ), at('2026-11-25T11:30:00').getTime());
    assert.equal(windowEndAt(w, at('2026-11-25T11:30:00'), TZ), null, 'to is exclusive');
    assert.equal(windowEndAt(w, at('2026-11-26T10:10:00'), TZ), null, 'Thursday is not in the window');
    assert.equal(nextWindowStart(w, at('2026-11-25T12:00:00'), TZ), at('2026-12-02T10:00:00').getTime());
    const dated = [{ dates: ['2026-12-24'], from: '20:00', to: '24:00' }];
    assert.equal(windowEndAt(dated, at('2026-12-24T23:59:00'), TZ), at('2026-12-25T00:00:00').getTime());
    assert.equal(windowEndAt(dated, at('2026-12-23T21:00:00'), TZ), null);
    const daily = [{ from: '00:00', to: '24:00' }];
    assert.ok(windowEndAt(daily, at('2026-11-28T03:00:00'), TZ));
    // the same instant is outside a window in another zone
    assert.equal(windowEndAt(w, at('2026-11-25T10:00:00'), 'Europe/Berlin'), null);
  });

  test('malformed windows are named', () => {
    assert.deepEqual(windowErrors([{ from: '10:00', to: '11:00' }]), []);
    assert.match(windowErrors([{ from: '22:00', to: '06:00' }]).join(), /before to/);
    assert.match(windowErrors([{ from: '25:00', to: '26:00' }]).join(), /HH:MM/);
    assert.match(windowErrors([{ days: [0], from: '01:00', to: '02:00' }]).join(), /weekdays/);
    assert.match(windowErrors([{ dates: ['2026-02-30'], from: '01:00', to: '02:00' }]).join(), /not a date/);
    assert.match(windowErrors([]).join(), /at least one/);
  });

  test('overlap: same day (weekday, date, date on a weekday, every day) and intersecting times', () => {
    assert.ok(overlap([{ days: [1, 2], from: '08:00', to: '12:00' }], [{ days: [2], from: '11:59', to: '13:00' }]));
    assert.equal(overlap([{ days: [1, 2], from: '08:00', to: '12:00' }], [{ days: [2], from: '12:00', to: '13:00' }]), null, 'touching windows do not overlap');
    assert.equal(overlap([{ days: [1], from: '08:00', to: '12:00' }], [{ days: [2], from: '08:00', to: '12:00' }]), null);
    assert.ok(overlap([{ dates: ['2026-11-25'], from: '08:00', to: '12:00' }], [{ days: [3], from: '09:00', to: '10:00' }]), 'a date on the other plan’s weekday');
    assert.ok(overlap([{ from: '08:00', to: '09:00' }], [{ dates: ['2027-01-01'], from: '08:30', to: '10:00' }]), 'every day meets any date');
    assert.equal(overlap([{ dates: ['2026-11-25'], from: '08:00', to: '12:00' }], [{ dates: ['2026-11-26'], from: '08:00', to: '12:00' }]), null);
  });

  test('pages: deleted channels close up, a page with no visible channel is skipped, dwell is the longest item', () => {
    const ch = (id: string) => ({ id, orgId: null, name: id });
    const items = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id, k) => ({ channel: id === 'c' ? undefined : ch(id), dwellSeconds: 10 + k }));
    const pages = buildPages(items, 2, (c) => c.id !== 'e' && c.id !== 'f');
    // a b | (c deleted) d e | f g  → a b | d e | f g → visible: [a b] [d] [g]
    assert.deepEqual(pages.map((p) => p.channels.map((c) => c.id)), [['a', 'b'], ['d'], ['g']]);
    assert.deepEqual(pages.map((p) => p.dwellMs), [11_000, 13_000, 16_000]);
    assert.deepEqual(buildPages(items, 4, () => false), []);
    assert.deepEqual(stepPage(2, 1, 3), { page: 0, wrapped: true });
    assert.deepEqual(stepPage(0, -1, 3), { page: 2, wrapped: false });
  });
});

const DEV = '35020000001320000001';
const chan = (n: number) => `3502000000131000${String(n).padStart(4, '0')}`;

/** A database that outlives one platform instance (the restart test opens it twice). */
async function lastingDatabase(dialect: 'sqlite' | 'postgres'): Promise<TestDatabase & { dir?: string }> {
  if (dialect === 'postgres') return freshDatabase('postgres');
  const dir = mkdtempSync(path.join(tmpdir(), 'sharpeye-patrol-'));
  return { name: 'sqlite', url: `sqlite://${path.join(dir, 'db.sqlite')}`, dir, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

for (const dialect of DIALECTS) {
  describe(`patrol service (${dialect})`, () => {
    let db: TestDatabase;
    let t: TestApp;
    let op: Record<string, string>;
    let opUserId: string;
    const inject = (method: string, url: string, payload?: unknown, headers = t.admin) => t.app.inject({ method: method as 'GET', url: `/api/v1${url}`, headers, payload: payload as never });
    const start = async () => {
      // the same key each start: the database's sealed key check must open (R11, a wrong key refuses to start)
      t = await startTestApp(dialect, { SHARPEYE_DATABASE_URL: db.url, SHARPEYE_SECRET_KEY: 'a1'.repeat(32) });
      t.clock.set(at('2026-11-25T09:59:00'));
    };

    before(async () => {
      db = await lastingDatabase(dialect);
      await start();
      assert.equal((await inject('POST', '/orgs', { id: '3502', name: '厦门', type: 'region' })).statusCode, 201);
      assert.equal((await inject('POST', '/devices', { id: DEV, name: 'nvr' })).statusCode, 201);
      for (let n = 1; n <= 10; n++) {
        const r = await inject('POST', '/channels', { id: chan(n), deviceId: DEV, name: `cam ${String(n).padStart(2, '0')}`, ...(n <= 4 ? { orgId: '3502' } : {}) });
        assert.equal(r.statusCode, 201, r.body);
      }
      // an operator who may see channels 1–4 (org 3502) only
      const role = (await inject('POST', '/roles', { name: 'patrol-op', permissions: ['live.view', 'patrol.manage', 'alarm.handle'], orgIds: ['3502'] })).json();
      const u = (await inject('POST', '/users', { username: 'patrolop', password: 'Patrol#Op2026', roleIds: [role.id] })).json();
      opUserId = u.id;
      op = await t.login('patrolop', 'Patrol#Op2026');
    });
    after(async () => {
      await t?.close();
      await db?.drop();
    });

    test('bad input: dwell 0 and 10 days, unknown layout, unknown or hidden channels, overlapping plans on a wall', async () => {
      const ok = { name: 'T', layout: 4, dwellSeconds: 10, items: [{ channelId: chan(1) }] };
      for (const [body, why] of [
        [{ ...ok, dwellSeconds: 0 }, 'dwell 0'],
        [{ ...ok, dwellSeconds: 10 * 86_400 }, 'dwell 10 days'],
        [{ ...ok, items: [{ channelId: chan(1), dwellSeconds: 4 }] }, 'item dwell 4 s'],
        [{ ...ok, layout: 5 }, 'layout 5'],
        [{ ...ok, items: [] }, 'no channels'],
        [{ ...ok, items: [{ channelId: '35020000001310009999' }] }, 'unknown channel'],
      ] as const) {
        const r = await inject('POST', '/patrol/tasks', body);
        assert.equal(r.statusCode, 400, `${why}: ${r.body}`);
        assert.equal(r.json().code, 'VALIDATION_FAILED', why);
      }
      // the operator cannot put a channel outside their scope in a task (told "unknown", no existence leak)
      const hidden = await inject('POST', '/patrol/tasks', { ...ok, items: [{ channelId: chan(5) }] }, op);
      assert.equal(hidden.statusCode, 400);
      assert.match(hidden.json().message, /unknown channels/);

      const task = (await inject('POST', '/patrol/tasks', ok)).json();
      const a = await inject('POST', '/patrol/plans', { name: 'day shift', taskId: task.id, wall: 'wall-x', windows: [{ days: [1, 2, 3, 4, 5], from: '08:00', to: '12:00' }] });
      assert.equal(a.statusCode, 201, a.body);
      const clash = await inject('POST', '/patrol/plans', { name: 'wed extra', taskId: task.id, wall: 'wall-x', windows: [{ dates: ['2026-11-25'], from: '11:00', to: '13:00' }] });
      assert.equal(clash.statusCode, 409);
      assert.equal(clash.json().code, 'PATROL_PLAN_OVERLAP');
      assert.equal(clash.json().details.planId, a.json().id);
      // the same windows on another wall, or a disabled plan, are fine; enabling it later is checked again
      assert.equal((await inject('POST', '/patrol/plans', { name: 'other wall', taskId: task.id, wall: 'wall-y', windows: [{ days: [3], from: '11:00', to: '13:00' }] })).statusCode, 201);
      const off = await inject('POST', '/patrol/plans', { name: 'spare', taskId: task.id, wall: 'wall-x', enabled: false, windows: [{ days: [3], from: '11:00', to: '13:00' }] });
      assert.equal(off.statusCode, 201);
      assert.equal((await inject('PATCH', `/patrol/plans/${off.json().id}`, { enabled: true })).json().code, 'PATROL_PLAN_OVERLAP');
      assert.equal((await inject('POST', '/patrol/plans', { name: 'night', taskId: task.id, windows: [{ from: '22:00', to: '06:00' }] })).statusCode, 400, 'a window over midnight must be split');
      assert.equal((await inject('POST', '/patrol/plans', { name: 'x', taskId: 'nope', windows: [{ from: '01:00', to: '02:00' }] })).statusCode, 400);
      // a task used by plans cannot be deleted
      assert.equal((await inject('DELETE', `/patrol/tasks/${task.id}`)).json().code, 'PATROL_IN_USE');
      for (const pl of (await inject('GET', '/patrol/plans')).json()) assert.equal((await inject('DELETE', `/patrol/plans/${pl.id}`)).statusCode, 204);
      assert.equal((await inject('DELETE', `/patrol/tasks/${task.id}`)).statusCode, 204);
    });

    test('a plan window opens on the server clock, pages turn, the next page is pre-invited, every socket sees the same page', async () => {
      const items = [1, 2, 3, 4, 5, 6].map((n) => ({ channelId: chan(n) }));
      const task = (await inject('POST', '/patrol/tasks', { name: '东门巡逻', layout: 4, dwellSeconds: 20, items })).json();
      assert.equal(task.items.length, 6);
      const plan = (await inject('POST', '/patrol/plans', { name: '上午', taskId: task.id, windows: [{ days: [3], from: '10:00', to: '11:00' }] })).json();
      const engine = t.platform.patrol!.engine;
      await engine.tick();
      let s = (await inject('GET', `/patrol/plans/${plan.id}/state`)).json();
      assert.equal(s.running, false, 'before the window');

      // two sockets: admin (all channels) and the operator (channels 1–4)
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const port = (t.app.server.address() as { port: number }).port;
      const sockets = await Promise.all(
        [t.admin, op].map(async (h) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/events?token=${h.authorization.slice(7)}`);
          const got: { type: string; data: any }[] = [];
          ws.on('message', (m) => got.push(JSON.parse(String(m))));
          await new Promise((r) => ws.once('open', r));
          return { ws, got };
        }),
      );
      const lastState = (k: number) => sockets[k]!.got.filter((e) => e.type === 'patrol.state' && e.data.id === plan.id).at(-1)?.data;

      t.clock.set(at('2026-11-25T10:00:00'));
      await engine.tick();
      s = (await inject('GET', `/patrol/plans/${plan.id}/state`)).json();
      assert.deepEqual([s.running, s.paused, s.page, s.pageCount], [true, false, 1, 2]);
      assert.deepEqual(s.channelIds, [chan(1), chan(2), chan(3), chan(4)]);
      assert.equal(s.remainingMs, 20_000);

      // 3 s before the turn (at most half the dwell) the next page's channels are pre-invited
      const before = engine.preinvited.length;
      t.clock.advance(16_000);
      await engine.tick();
      assert.equal(engine.preinvited.length, before, 'not yet');
      t.clock.advance(1_500);
      await engine.tick();
      assert.deepEqual(engine.preinvited.slice(before).map((p) => p.channelId), [chan(5), chan(6)]);
      t.clock.advance(2_500);
      await engine.tick();
      s = (await inject('GET', `/patrol/plans/${plan.id}/state`)).json();
      assert.deepEqual([s.page, s.channelIds], [2, [chan(5), chan(6)]]);
      const opState = (await inject('GET', `/patrol/plans/${plan.id}/state`, undefined, op)).json();
      assert.deepEqual([opState.page, opState.channelIds, opState.hidden], [2, [], 2], 'the operator sees the page but none of its channels');

      await new Promise((r) => setTimeout(r, 150));
      assert.deepEqual([lastState(0).page, lastState(0).channelIds], [2, [chan(5), chan(6)]]);
      assert.deepEqual([lastState(1).page, lastState(1).channelIds, lastState(1).hidden], [2, [], 2], 'the push is shaped per receiver');

      // the page wraps (a cycle), then the window closes and the plan stops by itself
      t.clock.advance(20_000);
      await engine.tick();
      s = (await inject('GET', `/patrol/plans/${plan.id}/state`)).json();
      assert.deepEqual([s.page, s.cycle], [1, 1]);
      t.clock.set(at('2026-11-25T11:00:00'));
      await engine.tick();
      s = (await inject('GET', `/patrol/plans/${plan.id}/state`)).json();
      assert.equal(s.running, false);
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(lastState(0).running, false);
      for (const { ws } of sockets) ws.close();
      const log = (await inject('GET', '/logs/user?username=scheduler&pageSize=50')).json();
      assert.deepEqual(log.items.map((l: { action: string }) => l.action).filter((a: string) => a.startsWith('patrol.')).reverse().slice(-2), ['patrol.start', 'patrol.stop'], 'the scheduler’s own starts and stops are in the user log');
      await inject('DELETE', `/patrol/plans/${plan.id}`);
    });

    test('control: pause freezes the page, next/prev page by hand while paused, resume gives the page its full dwell; stop; every action logged', async () => {
      t.clock.set(at('2026-11-25T12:00:00'));
      const items = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => ({ channelId: chan(n), ...(n === 9 ? { dwellSeconds: 40 } : {}) }));
      const task = (await inject('POST', '/patrol/tasks', { name: 'ctl', layout: 4, dwellSeconds: 30, items })).json();
      const control = (action: string, h = t.admin) => inject('POST', `/patrol/tasks/${task.id}/control`, { action }, h);
      assert.equal((await control('pause')).json().code, 'CONFLICT', 'pause of a task that is not running');
      let s = (await control('start')).json();
      assert.deepEqual([s.running, s.page, s.pageCount], [true, 1, 3]);
      t.clock.advance(10_000);
      s = (await control('pause')).json();
      assert.deepEqual([s.paused, s.remainingMs], [true, 20_000]);
      t.clock.advance(60_000);
      await t.platform.patrol!.engine.tick();
      s = (await control('next')).json();
      assert.deepEqual([s.page, s.paused, s.remainingMs], [2, true, 30_000], 'paged by hand, still paused');
      s = (await control('next')).json();
      assert.deepEqual([s.page, s.dwellSeconds, s.channelIds], [3, 40, [chan(9)]], 'the last page holds one channel with its own dwell');
      s = (await control('prev')).json();
      assert.equal(s.page, 2);
      s = (await control('prev')).json();
      s = (await control('prev')).json();
      assert.equal(s.page, 3, 'prev wraps to the last page');
      s = (await control('resume')).json();
      assert.deepEqual([s.paused, s.remainingMs], [false, 40_000]);
      t.clock.advance(40_000);
      await t.platform.patrol!.engine.tick();
      assert.equal((await inject('GET', `/patrol/tasks/${task.id}/state`)).json().page, 1);
      // the operator starts nothing new (already running) and sees only their channels of page 1
      s = (await control('start', op)).json();
      assert.deepEqual([s.page, s.channelIds], [1, [chan(1), chan(2), chan(3), chan(4)]]);
      s = (await control('stop')).json();
      assert.equal(s.running, false);
      const log = (await inject('GET', `/logs/user?q=${task.id}&pageSize=50`)).json();
      const actions = log.items.map((l: { action: string; result: string }) => `${l.action}:${l.result}`).reverse();
      assert.deepEqual(actions, ['patrol.task.create:ok', 'patrol.pause:fail', 'patrol.start:ok', 'patrol.pause:ok', 'patrol.next:ok', 'patrol.next:ok', 'patrol.prev:ok', 'patrol.prev:ok', 'patrol.prev:ok', 'patrol.resume:ok', 'patrol.start:ok', 'patrol.stop:ok']);
    });

    test("a run builds its pages with its starter's scope: the operator's run skips the pages it may not see", async () => {
      t.clock.set(at('2026-11-25T13:00:00'));
      // channels 5 6 7 8 (page 2) are outside the operator's scope; page 1 mixes 1 2 with 5 6
      const task = (await inject('POST', '/patrol/tasks', { name: 'mixed', layout: 4, dwellSeconds: 10, items: [1, 2, 5, 6, 7, 8, 9, 10, 3].map((n) => ({ channelId: chan(n) })) })).json();
      const view = (await inject('GET', `/patrol/tasks/${task.id}`, undefined, op)).json();
      assert.deepEqual([view.items.length, view.hiddenItems], [3, 6], 'the operator sees the task without the hidden channels');
      assert.equal((await inject('PATCH', `/patrol/tasks/${task.id}`, { dwellSeconds: 12 }, op)).json().code, 'FORBIDDEN', 'nor can change it');
      const s = (await inject('POST', `/patrol/tasks/${task.id}/control`, { action: 'start' }, op)).json();
      assert.deepEqual([s.pageCount, s.channelIds], [2, [chan(1), chan(2)]], 'page 2 (5 6 7 8) skipped');
      const adminView = (await inject('GET', `/patrol/tasks/${task.id}/state`)).json();
      assert.deepEqual(adminView.channelIds, [chan(1), chan(2)], 'everyone watching sees the run’s page');
      await inject('POST', `/patrol/tasks/${task.id}/control`, { action: 'stop' });
      assert.ok(opUserId);
    });

    test('channels deleted from a running task: pages close up; all gone: the run shows nothing and says why', async () => {
      t.clock.set(at('2026-11-25T14:00:00'));
      await inject('POST', '/channels', { id: chan(11), deviceId: DEV, name: 'temp 11' });
      await inject('POST', '/channels', { id: chan(12), deviceId: DEV, name: 'temp 12' });
      const task = (await inject('POST', '/patrol/tasks', { name: 'temp', layout: 1, dwellSeconds: 10, items: [{ channelId: chan(11) }, { channelId: chan(12) }] })).json();
      let s = (await inject('POST', `/patrol/tasks/${task.id}/control`, { action: 'start' })).json();
      assert.deepEqual([s.pageCount, s.channelIds], [2, [chan(11)]]);
      assert.equal((await inject('DELETE', `/channels/${chan(11)}`)).statusCode, 204);
      await new Promise((r) => setTimeout(r, 100));
      s = (await inject('GET', `/patrol/tasks/${task.id}/state`)).json();
      assert.deepEqual([s.pageCount, s.channelIds], [1, [chan(12)]]);
      assert.deepEqual((await inject('GET', `/patrol/tasks/${task.id}`)).json().missingChannelIds, [chan(11)]);
      await inject('DELETE', `/channels/${chan(12)}`);
      await new Promise((r) => setTimeout(r, 100));
      s = (await inject('GET', `/patrol/tasks/${task.id}/state`)).json();
      assert.deepEqual([s.running, s.pageCount, s.page, s.reason], [true, 0, 0, 'no-visible-channels']);
      await inject('POST', `/patrol/tasks/${task.id}/control`, { action: 'stop' });
    });

    test('channelIds is a shorthand for items', async () => {
      const r = await inject('POST', '/patrol/tasks', { name: 'short', layout: 1, dwellSeconds: 5, channelIds: [chan(2), chan(1)] });
      assert.equal(r.statusCode, 201, r.body);
      assert.deepEqual(r.json().items, [{ channelId: chan(2) }, { channelId: chan(1) }]);
      await inject('DELETE', `/patrol/tasks/${r.json().id}`);
    });

    test('an org task shows the org’s channels by name', async () => {
      const task = (await inject('POST', '/patrol/tasks', { name: 'org', layout: 4, dwellSeconds: 10, source: 'org', orgId: '3502' })).json();
      const s = (await inject('POST', `/patrol/tasks/${task.id}/control`, { action: 'start' })).json();
      assert.deepEqual([s.pageCount, s.channelIds], [1, [chan(1), chan(2), chan(3), chan(4)]]);
      await inject('POST', `/patrol/tasks/${task.id}/control`, { action: 'stop' });
      assert.equal((await inject('POST', '/patrol/tasks', { name: 'org', layout: 4, dwellSeconds: 10, source: 'org', orgId: '9999' })).statusCode, 400);
    });

    test('a running plan survives a restart on the same page, paused state included', async () => {
      t.clock.set(at('2026-11-25T15:00:00'));
      const items = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({ channelId: chan(n) }));
      const task = (await inject('POST', '/patrol/tasks', { name: 'restart', layout: 4, dwellSeconds: 60, items })).json();
      // the window also covers the test platform's start time (its clock starts at 10:00 before the test sets it)
      const plan = (await inject('POST', '/patrol/plans', { name: '下午', taskId: task.id, windows: [{ from: '09:00', to: '16:00' }] })).json();
      const paused = (await inject('POST', '/patrol/tasks', { name: 'paused', layout: 1, dwellSeconds: 30, items: items.slice(0, 3) })).json();
      await t.platform.patrol!.engine.tick();
      await inject('POST', `/patrol/plans/${plan.id}/control`, { action: 'next' });
      t.clock.advance(20_000);
      await inject('POST', `/patrol/tasks/${paused.id}/control`, { action: 'start' });
      await inject('POST', `/patrol/tasks/${paused.id}/control`, { action: 'next' });
      t.clock.advance(5_000);
      await inject('POST', `/patrol/tasks/${paused.id}/control`, { action: 'pause' });
      const planBefore = (await inject('GET', `/patrol/plans/${plan.id}/state`)).json();
      assert.deepEqual([planBefore.page, planBefore.remainingMs], [2, 35_000]);

      const now = t.clock.now();
      await t.close();
      await start();
      t.clock.set(now);
      t.admin = await t.login('admin', 'Admin@12345');
      const planAfter = (await inject('GET', `/patrol/plans/${plan.id}/state`)).json();
      assert.deepEqual([planAfter.running, planAfter.page, planAfter.pageCount, planAfter.remainingMs, planAfter.channelIds], [true, 2, 2, 35_000, [chan(5), chan(6), chan(7), chan(8)]]);
      const pausedAfter = (await inject('GET', `/patrol/tasks/${paused.id}/state`)).json();
      assert.deepEqual([pausedAfter.running, pausedAfter.paused, pausedAfter.page, pausedAfter.remainingMs], [true, true, 2, 25_000]);
      // and it goes on: the page turns when its time is up
      t.clock.advance(35_000);
      await t.platform.patrol!.engine.tick();
      assert.equal((await inject('GET', `/patrol/plans/${plan.id}/state`)).json().page, 1);
      op = await t.login('patrolop', 'Patrol#Op2026');
      await inject('POST', `/patrol/plans/${plan.id}/control`, { action: 'stop' });
      // stopped inside its window: it stays stopped until the window ends
      t.clock.advance(1_000);
      await t.platform.patrol!.engine.tick();
      assert.equal((await inject('GET', `/patrol/plans/${plan.id}/state`)).json().running, false);
      await inject('POST', `/patrol/tasks/${paused.id}/control`, { action: 'stop' });
      const running = (await inject('GET', '/patrol/running')).json();
      assert.deepEqual(running, []);
    });
  });
}

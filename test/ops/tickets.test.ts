/**
 * Fault tickets (issue 14 §4): response and recovery measured against 2 h / 24 h with breach flags, state rules
 * (TICKET_STATE), and the monthly report as JSON and as an XLSX read back with exceljs. Both dialects, on the real
 * store (no HTTP: the routes are covered by alerts.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import { ManualClock } from '../../src/core/clock.js';
import { EventBus } from '../../src/core/events.js';
import { FaultTickets } from '../../src/ops/tickets/fault-tickets.js';
import { monthlyReportXlsx } from '../../src/ops/tickets/monthly-xlsx.js';
import { openDatabase, type Database } from '../../src/store/db.js';
import { createStore } from '../../src/store/index.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../helpers/databases.js';

const H = 3600_000;

for (const dialect of DIALECTS) {
  describe(`fault tickets (${dialect})`, () => {
    let tdb: TestDatabase;
    let database: Database;
    let tickets: FaultTickets;
    // 2026-11-02 10:00 in Asia/Shanghai
    const clock = new ManualClock(Date.parse('2026-11-02T02:00:00Z'));
    const bus = new EventBus();
    const pushed: string[] = [];
    bus.on('event', (e) => pushed.push(e.type));

    before(async () => {
      tdb = await freshDatabase(dialect);
      database = openDatabase(tdb.url);
      await migrateToLatest(database);
      tickets = new FaultTickets({ store: createStore(database), clock, bus, tz: 'Asia/Shanghai' });
    });
    after(async () => {
      await database?.close();
      await tdb?.drop();
    });

    test('response and recovery are measured against 2 h / 24 h; a second acknowledgement is refused', async () => {
      const late = await tickets.open({ title: '机房断电', source: 'manual', by: 'admin' });
      assert.equal(late.state, 'open');
      assert.equal(late.responseBreached, false);
      assert.equal(late.responseDueAt, new Date(Date.parse(late.openedAt) + 2 * H).toISOString());
      const quick = await tickets.open({ title: '设备离线', source: 'alert', alertId: 7, kind: 'device_offline', by: 'system' });

      clock.advance(30 * 60_000);
      const q1 = await tickets.respond(quick.id, 'op1', '已派人');
      assert.equal(q1.responseMinutes, 30);
      assert.equal(q1.responseBreached, false);
      await assert.rejects(tickets.respond(quick.id, 'op2', null), (e: any) => e.code === 'TICKET_STATE');

      clock.advance(2.5 * H); // the late one is now past 2 h without a response: breached while still open
      assert.equal((await tickets.get(late.id)).responseBreached, true);
      const l1 = await tickets.respond(late.id, 'op1', null);
      assert.equal(l1.responseMinutes, 180);
      assert.equal(l1.responseBreached, true);

      clock.advance(1 * H);
      const q2 = await tickets.recover(quick.id, 'system', '告警恢复');
      assert.equal(q2.state, 'recovered');
      assert.equal(q2.recoveryMinutes, 240);
      assert.equal(q2.recoveryBreached, false);
      await assert.rejects(tickets.recover(quick.id, 'op1', null), (e: any) => e.code === 'TICKET_STATE');

      clock.advance(22 * H); // 26 h after opening
      const l2 = await tickets.recover(late.id, 'op1', '更换电源');
      assert.equal(l2.recoveryMinutes, 26 * 60);
      assert.equal(l2.recoveryBreached, true);

      // closed by hand without an acknowledgement: the close is the response too
      const direct = await tickets.open({ title: '误报', source: 'manual', by: 'admin' });
      clock.advance(10 * 60_000);
      const d1 = await tickets.recover(direct.id, 'op1', null);
      assert.equal(d1.responseMinutes, 10);
      assert.equal(d1.recoveryMinutes, 10);
      assert.ok(pushed.includes('ticket.opened') && pushed.includes('ticket.updated'));
      assert.equal((await tickets.list({ state: 'unresolved' })).total, 0);
    });

    test('monthly report: counts, median/max, breaches; month bounds in local time; XLSX', async () => {
      // one ticket at 2026-11-30 23:30 local (15:30Z): November; one at 2026-12-01 00:10 local: December
      clock.set(new Date('2026-11-30T15:30:00Z'));
      await tickets.open({ title: '月末', source: 'manual', by: 'admin' });
      clock.set(new Date('2026-11-30T16:10:00Z'));
      await tickets.open({ title: '月初', source: 'manual', by: 'admin' });
      clock.set(new Date('2026-12-05T00:00:00Z'));
      const nov = await tickets.monthly('2026-11');
      assert.equal(nov.opened, 4);
      assert.deepEqual(nov.bySource, { alert: 1, manual: 3 });
      assert.equal(nov.byKind.device_offline, 1);
      assert.equal(nov.stillOpen, 1);
      assert.equal(nov.response.count, 3);
      assert.equal(nov.response.medianMinutes, 30);
      assert.equal(nov.response.maxMinutes, 180);
      // late (3 h) and the month-end one never answered (days now) are response breaches
      assert.equal(nov.response.breaches, 2);
      assert.equal(nov.recovery.count, 3);
      assert.equal(nov.recovery.maxMinutes, 26 * 60);
      assert.equal(nov.recovery.breaches, 2);
      assert.equal(nov.from, '2026-10-31T16:00:00.000Z');
      assert.equal(nov.to, '2026-11-30T16:00:00.000Z');
      assert.equal((await tickets.monthly('2026-12')).opened, 1);
      assert.throws(() => tickets.monthRange('2026-13'), (e: any) => e.code === 'VALIDATION_FAILED');

      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load((await monthlyReportXlsx(nov)) as any);
      assert.deepEqual(wb.worksheets.map((w) => w.name), ['汇总', '工单明细']);
      const sum = wb.getWorksheet('汇总')!;
      const cell = (label: string) => {
        let v: unknown;
        sum.eachRow((r) => {
          if (String(r.getCell(1).value).startsWith(label)) v = r.getCell(2).value;
        });
        return v;
      };
      assert.equal(cell('工单数'), 4);
      assert.equal(cell('响应超时'), 2);
      assert.equal(cell('恢复最长'), 26 * 60);
      assert.equal(wb.getWorksheet('工单明细')!.rowCount, 5);
    });
  });
}

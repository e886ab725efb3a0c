import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import { createLogger } from '../../src/core/logger.js';
import { Simulator } from '../../src/sim/simulator.js';
import { splitByDay } from '../../src/ops/availability/days.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';
import { HAVE_FFMPEG, testClip } from '../helpers/media-tools.js';
import { DIALECTS } from '../helpers/databases.js';

// Availability (完好率, R15) end to end: simulated cameras register over SIP, the rotating probe INVITEs them and
// waits for a real first frame, the platform clock (ManualClock) is moved by hand so the test window is exact.

const MIN = 60_000;
const silent = createLogger('silent');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('availability: a camera offline for a known share of the window', { skip: !HAVE_FFMPEG && 'ffmpeg missing (apt-get install ffmpeg)' }, () => {
  let t: TestApp;
  let clip: string;
  const sims: Simulator[] = [];
  const common = () => ({ server: `127.0.0.1:${t.platform.sipPort}`, serverId: '35020000002000000001', domain: '3502000000', password: '12345678', devices: 1, channelsPerDevice: 1, log: silent });
  const channel = async (device: string) => (await t.platform.store.channels.list({ all: true }, { deviceId: device })).items[0];
  const until = async (what: string, fn: () => Promise<boolean>, ms = 8000) => {
    const end = Date.now() + ms;
    while (!(await fn())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(50);
    }
  };

  before(async () => {
    clip = await testClip('h264-360p');
    // probe timers far away: the test drives rounds itself (the real-time timers would only add rounds)
    t = await startTestApp('sqlite', { SHARPEYE_STREAM_LINGER: '30', SHARPEYE_AVAILABILITY_PROBE_INTERVAL_MIN: '20' });
    // A sends video; B registers and answers the catalog but refuses INVITE (no --media): online, no picture
    sims.push(new Simulator({ ...common(), media: clip, idStart: 1 } as never));
    sims.push(new Simulator({ ...common(), idStart: 2 } as never));
    for (const s of sims) await s.start();
    await until('both channels online', async () => (await t.platform.store.channels.list({ all: true }, { online: true })).total === 2);
  });

  after(async () => {
    // devices unregister while the platform still answers, then the platform stops
    await Promise.all(sims.map((s) => s.stop(2000)));
    await t?.close();
  });

  test('offline 15 of 60 min → 75 %; online without picture → 0 %; probes hang up; report, export, overview', async () => {
    const svc = t.platform.availability!;
    const [devA, devB] = [sims[0].deviceIds()[0], sims[1].deviceIds()[0]];
    const a = await channel(devA);
    const b = await channel(devB);
    await svc.settle();

    // first round: both unknown channels are probed (concurrency 2); A delivers a first frame, B refuses (488)
    const round1 = await svc.prober!.runOnce();
    assert.deepEqual(round1.map((r) => [r.channelId, r.result]).sort(), [[a.id, 'ok'], [b.id, 'failed']].sort(), JSON.stringify(round1));
    // the probe does not hold streams open
    await until('probe streams closed', async () => (await t.platform.media!.streams()).length === 0, 3000);
    // a second round right away finds nothing due (each channel at most once per interval)
    assert.deepEqual(await svc.prober!.runOnce(), []);

    t.clock.advance(30 * MIN);
    await svc.settle();
    // A goes away (unregisters: Expires 0) for 15 minutes
    await sims[0].stop();
    await until('A offline', async () => !(await channel(devA)).online);
    await svc.settle();
    t.clock.advance(15 * MIN);
    await svc.settle();
    const back = new Simulator({ ...common(), media: clip, idStart: 1 } as never);
    sims.push(back);
    await back.start();
    await until('A online again', async () => (await channel(devA)).online);
    await svc.settle();
    // back online → unknown again → probed first (its last probe was 45 min ago, interval 20)
    const round2 = await svc.prober!.runOnce();
    assert.ok(round2.some((r) => r.channelId === a.id && r.result === 'ok'), JSON.stringify(round2));
    t.clock.advance(15 * MIN);

    const day = svc.today();
    const r = await t.app.inject({ method: 'GET', url: `/api/v1/availability?level=channel&from=${day}&to=${day}`, headers: t.admin });
    assert.equal(r.statusCode, 200, r.body);
    const rows = r.json().items as Array<{ id: string; availability: number; onlineRate: number; observedMs: number; probesOk: number; probesFailed: number }>;
    // worst first
    assert.deepEqual(rows.map((x) => x.id), [b.id, a.id]);
    const ra = rows[1];
    const rb = rows[0];
    assert.equal(ra.observedMs, 60 * MIN);
    assert.ok(Math.abs(ra.availability - 0.75) <= 0.01, `A availability ${ra.availability}`);
    assert.ok(Math.abs(ra.onlineRate - 0.75) <= 0.01, `A online ${ra.onlineRate}`);
    assert.ok(ra.probesOk >= 2);
    assert.equal(rb.availability, 0, 'registered but no picture is not available');
    assert.ok(rb.onlineRate > 0.99);
    assert.ok(rb.probesFailed >= 1);

    // device and org levels, the `below` filter, validation
    const dev = (await t.app.inject({ method: 'GET', url: `/api/v1/availability?level=device&from=${day}&to=${day}&below=50`, headers: t.admin })).json();
    assert.deepEqual(dev.items.map((x: { id: string }) => x.id), [devB]);
    const org = (await t.app.inject({ method: 'GET', url: `/api/v1/availability?level=org&from=${day}&to=${day}`, headers: t.admin })).json();
    assert.equal(org.items.length, 1);
    assert.ok(Math.abs(org.items[0].availability - 0.375) <= 0.01, `org (no org) ${org.items[0].availability}`);
    const bad = await t.app.inject({ method: 'GET', url: `/api/v1/availability?from=${day}&to=2020-01-01`, headers: t.admin });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'RANGE_INVALID');

    // the rows the alert rule reads
    const stored = await t.platform.store.database.db.selectFrom('channel_availability').selectAll().where('channel_id', '=', a.id).execute();
    assert.equal(stored.length, 1);
    assert.equal(Number(stored[0].observed_ms), 60 * MIN);
    assert.equal(Number(stored[0].online_ms), 45 * MIN);
    assert.equal(Number(stored[0].video_ms), 45 * MIN);

    // Excel export: the channel sheet has A at 75 %
    const x = await t.app.inject({ method: 'GET', url: `/api/v1/availability/export?format=xlsx&from=${day}&to=${day}`, headers: t.admin });
    assert.equal(x.statusCode, 200);
    assert.match(String(x.headers['content-type']), /spreadsheetml/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.rawPayload as never);
    assert.deepEqual(wb.worksheets.map((w) => w.name), ['按机构 By org', '按设备 By device', '按通道 By channel', '按日明细 Daily']);
    const sheet = wb.getWorksheet('按通道 By channel')!;
    const rowA = sheet.getSheetValues().find((v) => Array.isArray(v) && v[1] === a.id) as unknown[];
    assert.equal(rowA[5], 75);

    // dashboard: today's figures, B named as the channel pulling its org below 95 %
    const o = (await t.app.inject({ method: 'GET', url: '/api/v1/ops/overview', headers: t.admin })).json();
    assert.equal(o.channels.total, 2);
    assert.equal(o.days.length, 30);
    assert.ok(Math.abs(o.availability.today - 0.375) <= 0.01);
    assert.equal(o.availability.orgs[0].belowTarget, true);
    assert.deepEqual(o.availability.orgs[0].worst.map((w: { id: string }) => w.id), [b.id, a.id]);
    assert.ok(Array.isArray(o.storage) && o.storage.length >= 1);
  });
});

describe('availability: booking across local midnight and reports on both databases', () => {
  test('splitByDay cuts at 00:00 in the zone', () => {
    // 2026-11-25 23:30 → 2026-11-26 00:45 Asia/Shanghai
    const a = Date.parse('2026-11-25T15:30:00Z');
    assert.deepEqual(splitByDay(a, a + 75 * MIN, 'Asia/Shanghai'), [
      { day: '2026-11-25', ms: 30 * MIN },
      { day: '2026-11-26', ms: 45 * MIN },
    ]);
  });

  test('presence events re-read only the channels they name; a deleted channel stops being observed', async () => {
    const t = await startTestApp('sqlite', { SHARPEYE_AVAILABILITY_PROBE_CONCURRENCY: '0' });
    try {
      const { store, archive } = t.platform;
      const db = store.database.db;
      const now = t.clock.now().toISOString();
      await archive.createDevice('35020000001180000009', { name: 'rtsp box' });
      for (const id of ['35020000001320000091', '35020000001320000092']) {
        await db.insertInto('channels').values({ id, device_id: '35020000001180000009', name: id.slice(-2), online: 1, capabilities: '{}', sensitive: 0, created_at: now, updated_at: now, source_type: 'rtsp', source_url: 'rtsp://127.0.0.1:1/x' } as never).execute();
      }
      const svc = t.platform.availability!;
      const booked = async () =>
        (await db.selectFrom('channel_availability').selectAll().orderBy('channel_id').execute()).map((r) => [r.channel_id.slice(-2), Number(r.observed_ms) / MIN, Number(r.online_ms) / MIN]);
      await svc.settle();
      t.clock.advance(10 * MIN);
      // channel 91 goes offline; only it is re-read (as a channel.offline event would ask)
      await db.updateTable('channels').set({ online: 0 }).where('id', '=', '35020000001320000091').execute();
      await svc.accountant.refresh([], ['35020000001320000091']);
      t.clock.advance(10 * MIN);
      await svc.accountant.flush();
      assert.deepEqual(await booked(), [['91', 20, 10], ['92', 20, 20]]);
      // channel 92 deleted behind the accountant's back; a refresh of its device notices
      await db.deleteFrom('channels').where('id', '=', '35020000001320000092').execute();
      await svc.accountant.refresh(['35020000001180000009'], []);
      t.clock.advance(10 * MIN);
      await svc.accountant.flush();
      assert.deepEqual(await booked(), [['91', 30, 10], ['92', 20, 20]], 'the deleted channel keeps the time booked before, nothing more');
    } finally {
      await t.close();
    }
  });

  for (const kind of DIALECTS) {
    test(`${kind}: an offline channel over midnight, rows add up, scope hides other channels`, async () => {
      const t = await startTestApp(kind, { SHARPEYE_AVAILABILITY_PROBE_CONCURRENCY: '0' });
      try {
        const { store, archive } = t.platform;
        const now = t.clock.now().toISOString();
        await archive.createDevice('35020000001180000001', { name: 'rtsp box' });
        const svc = t.platform.availability!;
        // two channels straight in the store: one online (RTSP, online by its source state), one offline
        for (const [id, online] of [['35020000001320000001', 1], ['35020000001320000002', 0]] as const) {
          await store.database.db
            .insertInto('channels')
            .values({ id, device_id: '35020000001180000001', name: id.slice(-1), online, capabilities: '{}', sensitive: 0, created_at: now, updated_at: now, source_type: 'rtsp', source_url: 'rtsp://127.0.0.1:1/x' } as never)
            .execute();
        }
        t.clock.set(new Date('2026-11-25T15:00:00Z')); // 23:00 local
        await svc.settle();
        t.clock.advance(2 * 60 * MIN); // to 01:00 the next day
        await svc.settle();
        const rows = await store.database.db.selectFrom('channel_availability').selectAll().orderBy('channel_id').orderBy('day').execute();
        assert.deepEqual(
          rows.map((r) => [r.channel_id.slice(-1), r.day, Number(r.observed_ms), Number(r.online_ms), Number(r.video_ms)]),
          [
            // online, never probed (probing off), no stream: its time is held as unknown, not counted as video
            ['1', '2026-11-25', 60 * MIN, 60 * MIN, 0],
            ['1', '2026-11-26', 60 * MIN, 60 * MIN, 0],
            ['2', '2026-11-25', 60 * MIN, 0, 0],
            ['2', '2026-11-26', 60 * MIN, 0, 0],
          ],
        );
        // a probe verdict (here recorded directly) settles the held time as video
        await svc.accountant.recordProbe('35020000001320000001', true);
        t.clock.advance(30 * MIN);
        await svc.settle();
        const day2 = await svc.report('channel', '2026-11-26', '2026-11-26', { all: true });
        assert.deepEqual(day2.items.map((r) => [r.id!.slice(-1), Math.round(r.availability * 1000) / 1000, r.observedMs]), [
          ['2', 0, 90 * MIN],
          ['1', 1, 90 * MIN],
        ]);
        // scope: a principal seeing only channel 2
        const scoped = await svc.report('channel', '2026-11-25', '2026-11-26', { all: false, orgIds: [], channelIds: ['35020000001320000002'] });
        assert.deepEqual(scoped.items.map((r) => r.id), ['35020000001320000002']);
        assert.equal(scoped.total, 1);
      } finally {
        await t.close();
      }
    });
  }
});

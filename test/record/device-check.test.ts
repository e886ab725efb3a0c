import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/core/logger.js';
import { Simulator } from '../../src/sim/simulator.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';

// The 30-day check (issue 8, R16): every GB channel's device is asked (RecordInfo, oldest window first) for its oldest
// recording of the last 31 days; channels holding fewer than 30 days are reported and get one alarm-log entry a day.
// Simulators: an IPC holding 3 days, an NVR (2 channels) holding 40 days, and a device that went offline.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Row {
  channelId: string;
  deviceId: string;
  oldest: string | null;
  daysHeld: number | null;
  ok: boolean | null;
  queries: number;
  error?: { code: string };
}

describe('30-day check of device recordings', () => {
  let t: TestApp;
  const sims: Simulator[] = [];
  const api = async (method: 'GET' | 'POST', url: string) => {
    const r = await t.app.inject({ method, url: `/api/v1${url}`, headers: t.admin });
    return { status: r.statusCode, body: r.json() };
  };

  before(async () => {
    t = await startTestApp('sqlite', {}, {}, { deviceCheck: { at: null, concurrency: 2 } });
    const common = { server: `127.0.0.1:${t.platform.sipPort}`, serverId: '35020000002000000001', domain: '3502000000', password: '12345678', devices: 1, log: createLogger('silent') };
    for (const o of [
      { idStart: 1, channelsPerDevice: 1, recordDays: 3 },
      { idStart: 2, channelsPerDevice: 2, recordDays: 40 },
      { idStart: 3, channelsPerDevice: 1, recordDays: 40 },
    ]) {
      const s = new Simulator({ ...common, ...o } as never);
      sims.push(s);
      await s.start();
    }
    let n = 0;
    for (let i = 0; i < 100 && n < 4; i++) {
      n = (await api('GET', '/channels?online=true')).body.total;
      if (n < 4) await sleep(100);
    }
    assert.equal(n, 4, 'four simulated channels online');
    await sims[2].stop(); // its channel stays in the archive, offline
    await sleep(300);
  });

  after(async () => {
    for (const s of sims) await s.stop(); // before the platform goes: unregistering against nothing waits for timeouts
    await t?.close();
  });

  test('flags the device holding 3 days, passes the one holding 40, reports the offline one as unknown; one alarm a day', async (ctx) => {
    const t0 = Date.now();
    const r = await api('POST', '/records/device-check?wait=true');
    const ms = Date.now() - t0;
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const rows = r.body.channels as Row[];
    assert.equal(rows.length, 4);
    // by device serial (the type digits differ: 132 IPC, 118 NVR)
    const [short, ...rest] = [...rows].sort((a, b) => a.deviceId.slice(-6).localeCompare(b.deviceId.slice(-6)) || a.channelId.localeCompare(b.channelId));
    const [nvr1, nvr2, gone] = rest;
    assert.equal(short.ok, false, JSON.stringify(short));
    assert.ok(short.daysHeld! >= 2.9 && short.daysHeld! <= 3.0, `daysHeld ${short.daysHeld}`);
    assert.equal(short.queries, 5, 'four empty windows before the one holding the recordings');
    for (const c of [nvr1, nvr2]) {
      assert.equal(c.ok, true, JSON.stringify(c));
      assert.ok(c.daysHeld! >= 30.9, `daysHeld ${c.daysHeld}`);
      assert.equal(c.queries, 1, 'the oldest window already holds recordings');
    }
    assert.equal(gone.ok, null);
    assert.equal(gone.error?.code, 'DEVICE_OFFLINE');
    assert.deepEqual(r.body.summary, { channels: 4, ok: 2, short: 1, unknown: 1, alarms: 1 });
    ctx.diagnostic(`30-day check of 4 channels (3 devices, 2 at once): ${r.body.durationMs} ms (${ms} ms with the API)`);

    const report = await api('GET', '/records/device-check');
    assert.equal(report.status, 200);
    assert.equal(report.body.running, false);
    assert.deepEqual(report.body.summary, r.body.summary);

    const again = await api('POST', '/records/device-check?wait=true');
    assert.equal(again.body.summary.alarms, 0, 'already alarmed today');
    const alarms = (await api('GET', '/logs/alarm?type=platform_device_retention_short')).body.items as Array<{ channelId: string; description: string }>;
    assert.equal(alarms.length, 1);
    assert.equal(alarms[0].channelId, short.channelId);
    assert.match(alarms[0].description, /不足30天/);
  });

  test('POST without wait answers 202 at once with the report being built', async () => {
    const r = await api('POST', '/records/device-check');
    assert.equal(r.status, 202);
    assert.equal(r.body.running, true);
    for (let i = 0; i < 100 && (await api('GET', '/records/device-check')).body.running; i++) await sleep(100);
    assert.equal((await api('GET', '/records/device-check')).body.summary.channels, 4);
  });
});

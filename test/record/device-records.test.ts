import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/core/logger.js';
import { Simulator } from '../../src/sim/simulator.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';
import { freeUdpPort, SIPP_DIR } from '../helpers/sipp.js';

// Device-side recording search (issue 8): GET /channels/{id}/records?source=device|all asks the device with RecordInfo
// (Type all). Against the simulator (hour-long files, 10 per MESSAGE) and against sipp as an independent NVR that
// answers in pages out of order with a repeated item, with a broken SumNum, and not at all.

const HOUR = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('device record search against the simulator', () => {
  let t: TestApp;
  let sim: Simulator;
  let channelId = '';
  const api = async (url: string) => {
    const r = await t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: t.admin });
    return { status: r.statusCode, body: r.json() };
  };

  before(async () => {
    t = await startTestApp('sqlite', {}, {}, { deviceRecords: { timeoutMs: 5000, idleMs: 1500 } });
    sim = new Simulator({ server: `127.0.0.1:${t.platform.sipPort}`, serverId: '35020000002000000001', domain: '3502000000', password: '12345678', devices: 1, channelsPerDevice: 1, recordsPerMessage: 10, log: createLogger('silent') } as never);
    await sim.start();
    for (let i = 0; i < 100 && !channelId; i++) {
      const r = await api('/channels?online=true');
      channelId = r.body.items[0]?.id ?? '';
      if (!channelId) await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(channelId, 'the simulated camera registered');
  });

  after(async () => {
    await sim?.stop();
    await t?.close();
  });

  test('source=device: hour-long device files become spans; paged answers merged by SumNum; cached for a repeat', async (ctx) => {
    const end = Date.now();
    const start = end - 3 * 24 * HOUR;
    const r = await api(`/channels/${channelId}/records?source=device&start=${iso(start)}&end=${iso(end)}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const b = r.body;
    assert.equal(b.source, 'device');
    assert.equal(b.complete, true);
    // ≈72 hour files (about 3 % of hours missing), 10 per MESSAGE
    assert.ok(b.device.received >= 65 && b.device.received <= 74, `received ${b.device.received}`);
    assert.equal(b.device.sumNum, b.device.received);
    assert.equal(b.device.messages, Math.ceil(b.device.received / 10));
    assert.ok(b.items.length >= 1 && b.items.every((s: { source: string }) => s.source === 'device'));
    const covered = b.items.reduce((n: number, s: { startMs: number; endMs: number }) => n + s.endMs - s.startMs, 0);
    assert.ok(covered >= 0.9 * (end - start) && covered <= end - start, `spans cover ${(covered / HOUR).toFixed(1)} h of 72`);
    for (const s of b.items) assert.ok(s.startMs >= Math.floor(start / 1000) * 1000 && s.endMs <= end + 1000, `span ${s.start} – ${s.end} inside the range`);
    // the device's local times (Asia/Shanghai) read back as the same instants: the newest file ends at "now"
    assert.ok(Math.abs(b.items[b.items.length - 1].endMs - end) < 5000, `last span ends ${b.items[b.items.length - 1].end}, asked until ${iso(end)}`);
    const again = await api(`/channels/${channelId}/records?source=device&start=${iso(start)}&end=${iso(end)}`);
    assert.equal(again.body.device.cached, true);
    assert.deepEqual(again.body.items, b.items);
    ctx.diagnostic(`RecordInfo 3 days: ${b.device.received} files in ${b.device.messages} MESSAGEs merged into ${b.items.length} spans in ${b.device.queryMs} ms (cached repeat ${again.body.searchMs} ms)`);
  });

  test('source=all merges platform and device spans, each with its source; gaps are time held by neither', async () => {
    const end = Date.now() - 60_000;
    const start = end - 5 * HOUR;
    const r = await api(`/channels/${channelId}/records?source=all&start=${iso(start)}&end=${iso(end)}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.source, 'all');
    assert.equal(r.body.segments, 0, 'no platform recordings of this channel');
    assert.ok(r.body.items.length >= 1 && r.body.items.every((s: { source: string }) => s.source === 'device'));
    const covered = r.body.items.reduce((n: number, s: { startMs: number; endMs: number }) => n + s.endMs - s.startMs, 0);
    const gaps = r.body.gaps.reduce((n: number, g: { start: string; end: string }) => n + Date.parse(g.end) - Date.parse(g.start), 0);
    assert.ok(Math.abs(covered + gaps - (end - start)) < 2000, `spans ${covered} + gaps ${gaps} = range ${end - start}`);
  });

  test('a device that went away: source=device answers DEVICE_OFFLINE, source=all keeps the platform part and names the device error', async () => {
    await sim.stop();
    await new Promise((r) => setTimeout(r, 300));
    const end = Date.now() - 10 * HOUR; // not cached
    const start = end - HOUR;
    const d = await api(`/channels/${channelId}/records?source=device&start=${iso(start)}&end=${iso(end)}`);
    assert.equal(d.status, 409, JSON.stringify(d.body));
    assert.equal(d.body.code, 'DEVICE_OFFLINE');
    const all = await api(`/channels/${channelId}/records?source=all&start=${iso(start)}&end=${iso(end)}`);
    assert.equal(all.status, 200);
    assert.equal(all.body.complete, false);
    assert.equal(all.body.device.error.code, 'DEVICE_OFFLINE');
  });
});

// sipp: Debian sip-tester, installed by scripts/install-test-tools.sh
const haveSipp = spawnSync('sipp', ['-v']).status !== null;

describe('device record search against sipp as an NVR (RecordInfo in pages, broken SumNum, silence)', { skip: !haveSipp && 'sipp missing (apt-get install sip-tester)' }, () => {
  let t: TestApp;
  let dir: string;
  let kill: () => void = () => undefined;
  let exited: Promise<{ code: number | null; output: string }> | undefined;
  const dev = '35020000001180000001';
  const [ch1, ch2, ch3] = ['35020000001310000101', '35020000001310000102', '35020000001310000103'];
  // 2025-06-01 in Asia/Shanghai
  const dayStart = Date.parse('2025-06-01T00:00:00+08:00');
  const dayEnd = Date.parse('2025-06-02T00:00:00+08:00');
  const api = async (url: string) => {
    const r = await t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: t.admin });
    return { status: r.statusCode, body: r.json() };
  };
  const records = (ch: string) => api(`/channels/${ch}/records?source=device&start=${iso(dayStart)}&end=${iso(dayEnd)}`);

  before(async () => {
    t = await startTestApp('sqlite', {}, {}, { deviceRecords: { timeoutMs: 3000, idleMs: 1000 } });
    dir = mkdtempSync(path.join(tmpdir(), 'sipp-records-'));
    const args = [`127.0.0.1:${t.platform.sipPort}`, '-sf', path.join(SIPP_DIR, 'records-device.xml'), '-oocsf', path.join(SIPP_DIR, 'records-device-ooc.xml'), '-m', '1', '-i', '127.0.0.1', '-p', String(await freeUdpPort())];
    args.push('-nostdin', '-timeout', '90s', '-trace_err', '-t', 'u1', '-au', dev, '-ap', '12345678');
    for (const [k, v] of Object.entries({ dev, domain: '3502000000', srv: '35020000002000000001', ch1, ch2, ch3 })) args.push('-set', k, v);
    const p = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (d) => (output += d));
    p.stderr.on('data', (d) => (output += d));
    exited = new Promise((resolve) => p.on('close', (code) => resolve({ code, output: output.slice(-3000) + readdirSync(dir).filter((f) => f.endsWith('_errors.log')).map((f) => readFileSync(path.join(dir, f), 'utf8')).join('\n').slice(-3000) })));
    kill = () => p.exitCode === null && p.kill('SIGTERM');
    let online = false;
    for (let i = 0; i < 100 && !online; i++) {
      const r = await api(`/channels?deviceId=${dev}`);
      online = r.body.total === 3 && r.body.items.every((c: { online: boolean }) => c.online);
      if (!online) await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(online, `sipp NVR's 3 channels did not come online: ${p.exitCode !== null ? (await exited).output : 'sipp still running'}`);
  });

  after(async () => {
    kill();
    await exited;
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('three pages sent out of order with a repeated item: 5 files, complete, two spans with their types', async (ctx) => {
    const t0 = Date.now();
    const r = await records(ch1);
    const ms = Date.now() - t0;
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const b = r.body;
    assert.equal(b.complete, true);
    assert.deepEqual([b.device.sumNum, b.device.received, b.device.messages], [5, 5, 3]);
    assert.deepEqual(
      b.items.map((s: { start: string; end: string; files: number; types: string[]; source: string }) => [s.start, s.end, s.files, s.types.join('+'), s.source]),
      [
        ['2025-05-31T17:00:00.000Z', '2025-05-31T20:00:00.000Z', 3, 'alarm+time', 'device'],
        ['2025-05-31T21:00:00.000Z', '2025-05-31T22:30:00.000Z', 2, 'manual+time', 'device'],
      ],
    );
    // complete on the last page, not after a quiet spell
    assert.ok(ms < 1000, `answer took ${ms} ms`);
    ctx.diagnostic(`sipp NVR: 3 pages merged in ${b.device.queryMs} ms (API ${ms} ms)`);
  });

  test('broken SumNum (6 announced, 4 sent): what came is returned after the quiet time, flagged complete:false', async () => {
    const t0 = Date.now();
    const r = await records(ch2);
    const ms = Date.now() - t0;
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.complete, false);
    assert.deepEqual([r.body.device.sumNum, r.body.device.received], [6, 4]);
    assert.equal(r.body.items.length, 2);
    assert.ok(ms >= 900 && ms < 3000, `returned after ${ms} ms (quiet time 1 s, deadline 3 s)`);
  });

  test('a device that never answers RecordInfo: DEVICE_TIMEOUT (504) at the deadline', async () => {
    const t0 = Date.now();
    const r = await records(ch3);
    const ms = Date.now() - t0;
    assert.equal(r.status, 504, JSON.stringify(r.body));
    assert.equal(r.body.code, 'DEVICE_TIMEOUT');
    assert.ok(ms >= 2900 && ms < 4500, `after ${ms} ms`);
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { StorageRoots } from '../../src/media/record/storage-roots.js';
import { segmentPath } from '../../src/media/record/segment-path.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';

// Space management (issue 7, R16): retention per channel / org / default, per-channel quota, several recording
// directories, and a directory running low (overwrite oldest with an alarm, or stop and alarm).

const DAY = 86_400_000;
const CH1 = '35020000001320000001';
const CH2 = '35020000001320000002';

async function seedChannels(t: TestApp, orgId?: string) {
  const dev = await t.app.inject({ method: 'POST', url: '/api/v1/devices', headers: t.admin, payload: { id: '35020000001110000001', name: 'NVR' } });
  assert.ok(dev.statusCode < 300, dev.body);
  for (const id of [CH1, CH2]) {
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/channels', headers: t.admin, payload: { id, deviceId: '35020000001110000001', name: id.slice(-3), ...(orgId ? { orgId } : {}) } });
    assert.ok(r.statusCode < 300, r.body);
  }
}

/** A fake closed segment: a file of `bytes` under the root and its index row. */
async function segment(t: TestApp, root: string, channelId: string, startMs: number, bytes: number) {
  const file = segmentPath(root, channelId, startMs);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, Buffer.alloc(bytes, 7));
  await t.platform.store.segments.insert({ channelId, startMs, endMs: startMs + 300_000, size: bytes, path: file, nodeId: t.platform.media!.id, codec: 'h264', checksum: null, state: 'closed' });
  return file;
}

describe('retention and quota', () => {
  let t: TestApp;
  const root = mkdtempSync(path.join(tmpdir(), 'sharpeye-space-'));
  after(async () => {
    await t?.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('segments beyond retention go (plan days, then org days, then the 30-day default); quota deletes oldest first', async () => {
    t = await startTestApp('sqlite', { SHARPEYE_RECORD_DIRS: root, SHARPEYE_RECORD_MIN_FREE_MB: '0' });
    const org = await t.app.inject({ method: 'POST', url: '/api/v1/orgs', headers: t.admin, payload: { id: '35020000002160000001', name: '商铺', type: 'virtual_org' } });
    assert.ok(org.statusCode < 300, org.body);
    await seedChannels(t, org.json().id);
    const now = Date.now();
    const f40 = await segment(t, root, CH1, now - 40 * DAY, 1000); // beyond the 30-day default
    const f20 = await segment(t, root, CH1, now - 20 * DAY, 1000);
    const g20 = await segment(t, root, CH2, now - 20 * DAY, 1000);
    const g5 = await segment(t, root, CH2, now - 5 * DAY, 1000);
    let r = await t.app.inject({ method: 'POST', url: '/api/v1/records/cleanup', headers: t.admin });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().expired, 1);
    assert.ok(!existsSync(f40) && existsSync(f20));

    // the org keeps 10 days: both 20-day-old segments go; a channel plan of 25 days overrides the org for CH1
    assert.equal((await t.app.inject({ method: 'PUT', url: `/api/v1/orgs/${org.json().id}/record-retention`, headers: t.admin, payload: { days: 10 } })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'PUT', url: `/api/v1/channels/${CH1}/record-plan`, headers: t.admin, payload: { mode: 'off', retentionDays: 25 } })).statusCode, 200);
    r = await t.app.inject({ method: 'POST', url: '/api/v1/records/cleanup', headers: t.admin });
    assert.equal(r.json().expired, 1);
    assert.ok(existsSync(f20), 'CH1 keeps 25 days by its plan');
    assert.ok(!existsSync(g20) && existsSync(g5), 'CH2 keeps 10 days by its org');
    const plan = (await t.app.inject({ method: 'GET', url: `/api/v1/channels/${CH2}/record-plan`, headers: t.admin })).json();
    assert.equal(plan.retentionDaysEffective, 10);

    // quota: 1 MiB for CH2 holding 3 × 600 KiB → the two oldest go
    const q = [0, 1, 2].map((i) => now - (3 - i) * 3600_000);
    const files = [];
    for (const s of q) files.push(await segment(t, root, CH2, s, 600 * 1024));
    assert.equal((await t.app.inject({ method: 'PUT', url: `/api/v1/channels/${CH2}/record-plan`, headers: t.admin, payload: { mode: 'off', quotaMb: 1 } })).statusCode, 200);
    r = await t.app.inject({ method: 'POST', url: '/api/v1/records/cleanup', headers: t.admin });
    assert.ok(r.json().overQuota >= 2, r.body);
    assert.ok(!existsSync(g5) && !existsSync(files[0]) && existsSync(files[2]), 'oldest first, newest kept');
    const usage = (await t.app.inject({ method: 'GET', url: '/api/v1/records/storage', headers: t.admin })).json();
    const ch2 = usage.channels.find((c: { channelId: string }) => c.channelId === CH2);
    assert.ok(ch2.bytes <= 1024 * 1024, `CH2 holds ${ch2.bytes} bytes`);
  });
});

test('new segments go to the recording directory with the most free space; a broken directory is skipped', () => {
  const free: Record<string, number> = { '/a': 5e9, '/b': 9e9, '/c': 1e12 };
  const roots = new StorageRoots(['/a', '/b', '/c'], Date.now, (p) => {
    if (p === '/c') throw new Error('EIO');
    return { total: 2e12, free: free[p] };
  });
  assert.equal(roots.pick(1e9)?.path, '/b');
  free['/b'] = 1e8;
  assert.equal(roots.list(true).find((r) => r.path === '/c')?.ok, false);
  assert.equal(roots.pick(1e9)?.path, '/a');
  free['/a'] = 1e8;
  roots.list(true);
  assert.equal(roots.pick(1e9), undefined, 'no directory with room: recording stops (STORAGE_FULL)');
});

const canMount = process.getuid?.() === 0;
describe('a recording directory running low', { skip: !canMount && 'needs root to mount a small tmpfs' }, () => {
  const mnt = mkdtempSync(path.join(tmpdir(), 'sharpeye-low-'));
  let t: TestApp | undefined;
  after(async () => {
    await t?.close();
    spawnSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });

  for (const overwrite of [true, false]) {
    test(`overwrite=${overwrite}: ${overwrite ? 'the oldest recordings are overwritten' : 'nothing within retention is deleted'} and an alarm is raised`, async (tt) => {
      spawnSync('umount', [mnt]);
      const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]);
      if (m.status !== 0) return tt.skip(`mount refused: ${m.stderr}`);
      await t?.close();
      t = await startTestApp('sqlite', { SHARPEYE_RECORD_DIRS: mnt, SHARPEYE_RECORD_MIN_FREE_MB: '1', SHARPEYE_RECORD_OVERWRITE: String(overwrite) });
      await seedChannels(t);
      const now = Date.now();
      const files = [];
      for (let i = 0; i < 7; i++) files.push(await segment(t, mnt, CH1, now - (10 - i) * 3600_000, 480 * 1024));
      const r = await t.app.inject({ method: 'POST', url: '/api/v1/records/cleanup', headers: t.admin });
      assert.equal(r.statusCode, 200, r.body);
      const rep = r.json();
      assert.equal(rep.lowSpace.length, 1);
      if (overwrite) {
        assert.ok(rep.overwritten >= 2, r.body);
        assert.ok(!existsSync(files[0]) && existsSync(files[6]), 'oldest first');
      } else {
        assert.equal(rep.overwritten, 0);
        assert.ok(files.every((f) => existsSync(f)));
      }
      const alarms = (await t.app.inject({ method: 'GET', url: '/api/v1/logs/alarm?pageSize=20', headers: t.admin })).json().items as Array<{ alarmType: string }>;
      assert.ok(alarms.some((a) => a.alarmType === 'platform_storage_low'), JSON.stringify(alarms));
    });
  }
});

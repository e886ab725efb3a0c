/**
 * Catalog of N shared channels delivered to an upper platform (issue 11 goal: 20,000 in < 30 s). Two sharpeye
 * platforms in this process: the lower holds N channels (one org node shared), the upper is a second sharpeye whose
 * registrar admits us like a device and whose catalog sync stores what we send. Measured: from enabling the upper
 * link to the upper holding all N channels; plus the lower's time to build the catalog pages.
 *   npx tsx bench/cascade-catalog.ts [--channels 20000] [--page 20]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/index.js';
import { ManualClock } from '../src/core/clock.js';
import { createLogger } from '../src/core/logger.js';
import { createPlatform } from '../src/platform.js';

const { values: a } = parseArgs({ options: { channels: { type: 'string', default: '20000' }, page: { type: 'string', default: '20' } } });
const N = Number(a.channels);

async function platform(env: Record<string, string>) {
  const dir = mkdtempSync(path.join(tmpdir(), 'sharpeye-bench-cascade-'));
  const config = loadConfig({ SHARPEYE_DATA_DIR: dir, SHARPEYE_WEB_DIR: path.join(dir, 'no-web'), SHARPEYE_SIP_PORT: '0', SHARPEYE_RTSP_PORT: '0', SHARPEYE_RTMP_PORT: '0', SHARPEYE_HOST: '127.0.0.1', SHARPEYE_RECORD_MIN_FREE_MB: '0', ...env });
  const p = await createPlatform(config, createLogger('silent'), new ManualClock(Date.now()));
  return { p, dir };
}

async function main() {
  const upper = await platform({ SHARPEYE_SIP_ID: '35010000002000000001', SHARPEYE_SIP_DOMAIN: '3501000000' });
  const lower = await platform({});
  const db = lower.p.store.database.db;
  const now = new Date().toISOString();
  await db.insertInto('orgs').values({ id: '35020000002160000001', name: '三类视频', parent_id: null, type: 'virtual_org', sort: 0, created_at: now, updated_at: now }).execute();
  const devices = Math.ceil(N / 100);
  for (let d = 0; d < devices; d++) {
    const dev = `3502000000111${String(d).padStart(7, '0')}`;
    await db.insertInto('devices').values({ id: dev, name: `NVR ${d}`, type_code: '111', created_at: now, updated_at: now } as never).execute();
    const rows = [];
    for (let c = 0; c < 100 && d * 100 + c < N; c++) {
      const i = d * 100 + c;
      rows.push({ id: `3502000000131${String(i).padStart(7, '0')}`, device_id: dev, name: `商铺 ${i} 号门口`, org_id: '35020000002160000001', online: 1, capabilities: '{}', sensitive: 0, created_at: now, updated_at: now });
    }
    await db.insertInto('channels').values(rows as never).execute();
  }
  const u = await lower.p.cascade!.create({
    name: 'bench upper',
    serverId: '35010000002000000001',
    domain: '3501000000',
    host: '127.0.0.1',
    port: upper.p.sipPort,
    transport: 'udp',
    localId: '35020000002000000001',
    username: null,
    password: '12345678',
    expires: 3600,
    keepaliveInterval: 60,
    keepaliveMisses: 3,
    charset: 'GB2312',
    catalogMode: 'org',
    catalogPageSize: Number(a.page),
    ptzAllowed: true,
    recordSource: 'platform',
    timeSync: false,
    enabled: false,
  });
  await lower.p.cascade!.setShares(u.id, [], ['35020000002160000001']);
  const t0 = performance.now();
  const built = await lower.p.cascade!.catalog(u.id);
  const buildMs = performance.now() - t0;
  const t1 = performance.now();
  await lower.p.cascade!.update(u.id, { enabled: true });
  let have = 0;
  for (;;) {
    const r = await upper.p.store.database.db.selectFrom('channels').select((eb) => eb.fn.countAll().as('n')).where('device_id', '=', '35020000002000000001').executeTakeFirst();
    have = Number(r?.n ?? 0);
    if (have >= N || performance.now() - t1 > 120_000) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const totalS = (performance.now() - t1) / 1000;
  console.log(`catalog of ${N} shared channels (+${built.length - N} org items), ${a.page} per MESSAGE: built in ${buildMs.toFixed(0)} ms; upper holds ${have} after ${totalS.toFixed(1)} s (goal < 30 s → ${(totalS / 30).toFixed(2)} of the budget)`);
  console.log(JSON.stringify({ bench: 'cascade-catalog', channels: N, page: Number(a.page), buildMs: Math.round(buildMs), upperHasAll: have >= N, seconds: Number(totalS.toFixed(2)) }));
  await lower.p.close();
  await upper.p.close();
  rmSync(lower.dir, { recursive: true, force: true });
  rmSync(upper.dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

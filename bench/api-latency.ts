/**
 * API latency with 100 concurrent users over 20,000 channels (issue 3 goal: p99 < 100 ms on 2 cores).
 * Seeds a fresh store, starts the real server as a child process, drives it over HTTP from this process, and
 * prints percentiles per endpoint plus the ratio against a no-database reference endpoint (/health) measured
 * in the same run. Usage: npm run bench:api [-- --db postgres] [--seconds 20] [--users 100] [--think 1000]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { AuthService } from '../src/auth/auth-service.js';
import { AccessService } from '../src/auth/access.js';
import { systemClock } from '../src/core/clock.js';
import { EventBus } from '../src/core/events.js';
import { createLogger } from '../src/core/logger.js';
import { hashPassword } from '../src/auth/password.js';
import { openDatabase } from '../src/store/db.js';
import { createStore } from '../src/store/index.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { freshDatabase } from '../test/helpers/databases.js';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    seconds: { type: 'string', default: '20' },
    users: { type: 'string', default: '100' },
    channels: { type: 'string', default: '20000' },
    think: { type: 'string', default: '1000' },
  },
});
const USERS = Number(args.users);
const CHANNELS = Number(args.channels);
const PER_DEVICE = 10;
const PASSWORD = 'Bench@12345';

async function seed(url: string): Promise<void> {
  const database = openDatabase(url);
  await migrateToLatest(database);
  const store = createStore(database);
  const now = new Date().toISOString();
  const auth = new AuthService(store, new AccessService(store), systemClock, new EventBus(), createLogger('silent'));
  await auth.bootstrap(PASSWORD);
  // 10 districts; each restricted user sees one district (~2,000 channels), a quarter see everything.
  const districts = Array.from({ length: 10 }, (_, i) => `3502${String(i + 1).padStart(2, '0')}`);
  await store.orgs.create({ id: '3502', name: '厦门市', parentId: null, type: 'region', sort: 0 }, now);
  for (const d of districts) await store.orgs.create({ id: d, name: `区${d}`, parentId: '3502', type: 'region', sort: 0 }, now);
  const db = database.db;
  const devices = CHANNELS / PER_DEVICE;
  const batch: Record<string, unknown>[] = [];
  const chBatch: Record<string, unknown>[] = [];
  const flush = async () => {
    if (batch.length) await db.insertInto('devices').values(batch.splice(0) as never).execute();
    if (chBatch.length) await db.insertInto('channels').values(chBatch.splice(0) as never).execute();
  };
  for (let i = 0; i < devices; i++) {
    const id = `35020000001180${String(i).padStart(6, '0')}`;
    const org = districts[i % districts.length];
    batch.push({ id, name: `NVR-${i} 沿街商铺`, type_code: '118', transport: 'udp', online: i % 3 ? 1 : 0, org_id: org, capabilities: '{}', source: 'gb', created_at: now, updated_at: now, install_address: `思明区某路${i}号` });
    for (let c = 0; c < PER_DEVICE; c++) {
      chBatch.push({ id: `35020000001310${String(i * PER_DEVICE + c).padStart(6, '0')}`, device_id: id, name: `通道${c + 1}-${i}`, org_id: org, online: i % 3 ? 1 : 0, capabilities: '{}', sensitive: 0, created_at: now, updated_at: now });
    }
    if (chBatch.length >= 400) await flush();
  }
  await flush();
  await store.roles.create('bench-district', { name: 'district viewer', permissions: ['device.view', 'live.view'], orgIds: [districts[0]] }, false, now);
  const hash = await hashPassword(PASSWORD);
  for (let u = 0; u < USERS; u++) {
    await store.users.create(
      { id: `bench-${u}`, username: `user${u}`, display_name: `user${u}`, password_hash: hash, enabled: 1, must_change_password: 0, failed_count: 0, locked_until: null, phone: null, email: null, password_changed_at: now, last_login_at: null, created_at: now, updated_at: now },
      [u % 4 === 0 ? 'role-operator' : 'bench-district', ...(u % 4 === 0 ? ['role-sysadmin'] : [])],
    );
  }
  await database.close();
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main() {
  const tdb = await freshDatabase(args.db as 'sqlite' | 'postgres');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sharpeye-bench-'));
  const url = tdb.name === 'sqlite' ? `sqlite://${path.join(dataDir, 'bench.db')}` : tdb.url;
  const t0 = Date.now();
  await seed(url);
  console.log(`seeded ${CHANNELS} channels, ${CHANNELS / PER_DEVICE} devices, ${USERS} users on ${tdb.name} in ${Date.now() - t0} ms`);

  const port = 20000 + Math.floor(Math.random() * 10000);
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const server = spawn(process.execPath, [...prof, '--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, SHARPEYE_DATA_DIR: dataDir, SHARPEYE_DATABASE_URL: url, SHARPEYE_HTTP_PORT: String(port), SHARPEYE_HOST: '127.0.0.1', SHARPEYE_LOG_LEVEL: 'warn', SHARPEYE_WEB_DIR: path.join(dataDir, 'none') },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const agent = new Agent({ connections: USERS + 10, keepAliveTimeout: 30_000 });
  for (let i = 0; ; i++) {
    try {
      const r = await request(`${base}/api/v1/health`, { dispatcher: agent });
      await r.body.dump();
      if (r.statusCode === 200) break;
    } catch {
      if (i > 100) throw new Error('server did not start');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const tokens: string[] = [];
  for (let u = 0; u < USERS; u++) {
    const r = await request(`${base}/api/v1/auth/login`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: `user${u}`, password: PASSWORD }) });
    const j = (await r.body.json()) as { token: string };
    tokens.push(j.token);
  }

  const endpoints: { name: string; url: (u: number, i: number) => string }[] = [
    { name: 'health (reference, no DB)', url: () => '/api/v1/health' },
    { name: 'GET /devices page', url: (_u, i) => `/api/v1/devices?page=${1 + (i % 50)}&pageSize=20` },
    { name: 'GET /devices?online=true', url: (_u, i) => `/api/v1/devices?online=true&page=${1 + (i % 20)}&pageSize=50` },
    { name: 'GET /channels page', url: (_u, i) => `/api/v1/channels?page=${1 + (i % 100)}&pageSize=20` },
    { name: 'GET /channels?q=text', url: (_u, i) => `/api/v1/channels?q=${encodeURIComponent(`通道${1 + (i % 10)}-1`)}&pageSize=20` },
    { name: 'GET /channels?deviceId', url: (u, i) => `/api/v1/channels?deviceId=35020000001180${String((u * 7 + i) % (CHANNELS / PER_DEVICE)).padStart(6, '0')}` },
  ];
  /** Closed loop: each user sends a request, waits for it, then thinks `thinkMs` (±50 %) before the next. */
  async function phase(title: string, thinkMs: number, seconds: number) {
    const lat = new Map<string, number[]>(endpoints.map((e) => [e.name, []]));
    let errors = 0;
    const until = Date.now() + seconds * 1000;
    await Promise.all(
      tokens.map(async (tok, u) => {
        await new Promise((r) => setTimeout(r, Math.random() * thinkMs));
        for (let i = 0; Date.now() < until; i++) {
          const e = endpoints[(u + i) % endpoints.length];
          const s = performance.now();
          const r = await request(base + e.url(u, i), { dispatcher: agent, headers: { authorization: `Bearer ${tok}` } });
          await r.body.dump();
          const ms = performance.now() - s;
          if (r.statusCode !== 200) errors++;
          lat.get(e.name)!.push(ms);
          if (thinkMs) await new Promise((r) => setTimeout(r, thinkMs * (0.5 + Math.random())));
        }
      }),
    );
    const ref = lat.get(endpoints[0].name)!.sort((a, b) => a - b);
    const refP99 = pct(ref, 99);
    console.log(`\n${title}: ${USERS} users, think ${thinkMs} ms, ${seconds} s, ${tdb.name}, ${CHANNELS} channels; non-200 answers: ${errors}`);
    console.log('endpoint'.padEnd(30), 'n'.padStart(6), 'p50 ms'.padStart(8), 'p95 ms'.padStart(8), 'p99 ms'.padStart(8), 'p99/ref'.padStart(8));
    let all: number[] = [];
    for (const e of endpoints) {
      const s = lat.get(e.name)!.sort((a, b) => a - b);
      if (e !== endpoints[0]) all = all.concat(s);
      console.log(e.name.padEnd(30), String(s.length).padStart(6), pct(s, 50).toFixed(1).padStart(8), pct(s, 95).toFixed(1).padStart(8), pct(s, 99).toFixed(1).padStart(8), (pct(s, 99) / refP99).toFixed(2).padStart(8));
    }
    all.sort((a, b) => a - b);
    console.log(`list endpoints: p50 ${pct(all, 50).toFixed(1)} ms, p99 ${pct(all, 99).toFixed(1)} ms, ${(all.length / seconds).toFixed(0)} req/s; reference (/health) p99 ${refP99.toFixed(1)} ms`);
  }

  const seconds = Number(args.seconds);
  await phase('warm-up (JIT, caches; discard)', Number(args.think), 5);
  await phase('active operators', Number(args.think), seconds);
  await phase('saturation (no think time)', 0, Math.max(5, Math.round(seconds / 2)));
  server.kill('SIGTERM');
  await agent.close();
  await tdb.drop();
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

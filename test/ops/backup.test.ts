import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { buildApp } from '../../src/api/app.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { ManualClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import { runAuditVerify } from '../../src/ops/audit-verify.js';
import { createBackup, restoreBackup } from '../../src/ops/backup/backup.js';
import { readTarGz, writeTarGz } from '../../src/ops/backup/tar.js';
import { createPlatform } from '../../src/platform.js';
import { openDatabase } from '../../src/store/db.js';
import { DIALECTS, freshDatabase } from '../helpers/databases.js';

const ADMIN = 'Admin@12345';
const SECRET_DEVICE_PASSWORD = 'dev-Secret-77';
const root = mkdtempSync(path.join(tmpdir(), 'sharpeye-backup-'));
after(() => rmSync(root, { recursive: true, force: true }));

function configFor(dir: string, url: string): Readonly<Config> {
  return loadConfig({ SHARPEYE_DATA_DIR: dir, SHARPEYE_DATABASE_URL: url, SHARPEYE_WEB_DIR: path.join(dir, 'no-web'), SHARPEYE_SIP_PORT: '0', SHARPEYE_RTSP_PORT: '0', SHARPEYE_RTMP_PORT: '0', SHARPEYE_HOST: '127.0.0.1' });
}

/** Runs the real platform once: devices (with sealed passwords), a user, and log rows from the API. */
async function populate(config: Readonly<Config>): Promise<void> {
  const platform = await createPlatform(config, createLogger('silent'), new ManualClock(Date.parse('2026-11-25T02:00:00Z')));
  await platform.auth.bootstrap(ADMIN);
  const app = await buildApp(platform);
  try {
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: ADMIN } });
    const h = { authorization: `Bearer ${login.json().token}` };
    for (let i = 1; i <= 3; i++) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/devices', headers: h, payload: { id: `3502000000132000000${i}`, name: `门口 ${i}`, password: SECRET_DEVICE_PASSWORD } });
      assert.equal(r.statusCode, 201, r.body);
    }
    const u = await app.inject({ method: 'POST', url: '/api/v1/users', headers: h, payload: { username: 'op1', password: 'Watch@pass-word9', roleIds: ['role-operator'] } });
    assert.equal(u.statusCode, 201, u.body);
  } finally {
    await app.close();
    await platform.close();
  }
}

/** Rows that must survive: devices, channels, users, roles of users, the user log (with its hash chain). */
async function rows(url: string) {
  const d = openDatabase(url);
  try {
    const db = d.db;
    return {
      devices: await db.selectFrom('devices').selectAll().orderBy('id').execute(),
      channels: await db.selectFrom('channels').selectAll().orderBy('id').execute(),
      users: await db.selectFrom('users').selectAll().orderBy('id').execute(),
      userRoles: await db.selectFrom('user_roles').selectAll().orderBy('user_id').orderBy('role_id').execute(),
      userLogs: (await db.selectFrom('user_logs').selectAll().orderBy('id').execute()).map((r) => ({ ...r, id: Number(r.id) })),
    };
  } finally {
    await d.close();
  }
}

async function wipe(kind: 'sqlite' | 'postgres', url: string): Promise<void> {
  if (kind === 'sqlite') {
    const f = url.replace(/^sqlite:\/\//, '');
    for (const s of ['', '-wal', '-shm']) rmSync(f + s, { force: true });
    return;
  }
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  await c.end();
}

/** the SQLite round trip's backup, reused by the bad-input tests */
let good = '';
const cliEnv = (dir: string, url: string) => ({ ...process.env, SHARPEYE_DATA_DIR: dir, SHARPEYE_DATABASE_URL: url, SHARPEYE_TZ: 'Asia/Shanghai' });
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

for (const kind of DIALECTS) {
  describe(`backup and restore (${kind})`, () => {
    it('backup → wipe → restore gives the same devices, users and logs; the platform starts on it with an intact chain', async () => {
      const dir = path.join(root, kind);
      mkdirSync(dir);
      const db = kind === 'postgres' ? await freshDatabase('postgres') : { url: `sqlite://${path.join(dir, 'sharpeye.db')}`, drop: async () => undefined };
      try {
        const config = configFor(dir, db.url);
        await populate(config);
        const before = await rows(db.url);
        assert.equal(before.devices.length, 3);
        assert.ok(before.userLogs.length >= 4, 'log rows written by the API');
        assert.ok(before.devices.every((r) => r.password_sealed && !r.password_sealed.includes(SECRET_DEVICE_PASSWORD)), 'device passwords sealed at rest');

        let b: { file: string; manifest: { counts: Record<string, number> } };
        if (kind === 'sqlite') {
          // through the CLI (npm run backup), as an operator runs it
          const out = path.join(dir, 'backups', 'good.tar.gz');
          mkdirSync(path.dirname(out));
          const cli = spawnSync(process.execPath, ['--import', 'tsx', 'src/ops/backup-cli.ts', 'backup', '--out', out], { encoding: 'utf8', env: cliEnv(dir, db.url) });
          assert.equal(cli.status, 0, cli.stderr);
          assert.match(cli.stdout, /backup written: .*good\.tar\.gz[\s\S]*devices 3/);
          assert.match(cli.stdout, /secret key is NOT inside/);
          let manifest: { counts: Record<string, number> } = { counts: {} };
          await readTarGz(out, (n) => (n === 'manifest.json' ? 'memory' : path.join(dir, `x-${n}`)), (_n, bytes) => {
            manifest = JSON.parse(bytes.toString('utf8'));
          });
          b = { file: out, manifest };
          good = out;
        } else {
          b = await createBackup(config, { out: path.join(dir, 'backups'), env: { SHARPEYE_DATABASE_URL: db.url, SHARPEYE_SECRET_KEY: 'f'.repeat(64), SHARPEYE_TZ: 'Asia/Shanghai' } });
        }
        assert.ok(existsSync(b.file) && statSync(b.file).size > 0);
        assert.equal(b.manifest.counts.devices, 3);
        const listing = spawnSync('tar', ['tzf', b.file], { encoding: 'utf8' });
        assert.equal(listing.status, 0, listing.stderr);
        assert.deepEqual(listing.stdout.trim().split('\n'), ['manifest.json', kind === 'sqlite' ? 'database.sqlite' : 'database.pgdump', 'config.json']);

        await wipe(kind, db.url);
        if (kind === 'postgres') assert.equal((await rows(db.url).catch(() => null)), null, 'wiped: the tables are gone');

        const r = await restoreBackup(config, { file: b.file });
        assert.deepEqual(await rows(db.url), before);
        const restoredConfig = JSON.parse(readFileSync(r.configFile, 'utf8'));
        assert.equal(restoredConfig.SHARPEYE_TZ, 'Asia/Shanghai');
        assert.equal(restoredConfig.SHARPEYE_SECRET_KEY, undefined, 'no secret in the configuration part');

        if (kind === 'postgres') return;
        // the platform starts on the restored database (same key) and the audit chain is intact
        const platform = await createPlatform(config, createLogger('silent'));
        try {
          assert.deepEqual((await platform.store.logs.verifyUserChain()).ok, true);
        } finally {
          await platform.close();
        }
      } finally {
        await db.drop();
      }
    });
  });
}

describe('restore refuses bad backups and changes nothing', () => {
  const dir = path.join(root, 'bad');
  const url = `sqlite://${path.join(dir, 'sharpeye.db')}`;
  const dbFile = path.join(dir, 'sharpeye.db');

  async function rewrite(out: string, edit: (m: Record<string, unknown>) => void) {
    const stage = mkdtempSync(path.join(root, 'stage-'));
    let manifest: Record<string, unknown> = {};
    const entries = await readTarGz(good, (name) => (name === 'manifest.json' ? 'memory' : path.join(stage, name)), (_n, b) => {
      manifest = JSON.parse(b.toString('utf8'));
    });
    edit(manifest);
    const m = Buffer.from(JSON.stringify(manifest));
    await writeTarGz(out, [{ name: 'manifest.json', data: m, size: m.length }, ...entries.filter((e) => e.name !== 'manifest.json').map((e) => ({ name: e.name, file: path.join(stage, e.name), size: e.size }))]);
  }

  it('prepares a database from the round trip\'s backup', async () => {
    assert.ok(good, 'the SQLite round trip ran first');
    mkdirSync(dir);
    copyFileSync(path.join(root, 'sqlite', 'secret.key'), path.join(dir, 'secret.key'));
    await restoreBackup(configFor(dir, url), { file: good });
    assert.ok(existsSync(dbFile));
  });

  it('a corrupt file: BACKUP_INVALID (also from the CLI, exit 1), the database untouched', async () => {
    const before = sha(dbFile);
    const buf = readFileSync(good);
    const corrupt = path.join(dir, 'corrupt.tar.gz');
    const c = Buffer.from(buf);
    for (let i = Math.floor(c.length / 2); i < Math.floor(c.length / 2) + 64; i++) c[i] ^= 0x5a;
    writeFileSync(corrupt, c);
    await assert.rejects(restoreBackup(configFor(dir, url), { file: corrupt }), (e: { code?: string; message: string }) => e.code === 'BACKUP_INVALID' && /Nothing was changed/.test(e.message));
    const truncated = path.join(dir, 'truncated.tar.gz');
    writeFileSync(truncated, buf.subarray(0, Math.floor(buf.length * 0.7)));
    await assert.rejects(restoreBackup(configFor(dir, url), { file: truncated }), { code: 'BACKUP_INVALID' });
    const notGzip = path.join(dir, 'notes.txt');
    writeFileSync(notGzip, 'hello');
    await assert.rejects(restoreBackup(configFor(dir, url), { file: notGzip }), { code: 'BACKUP_INVALID' });
    const cli = spawnSync(process.execPath, ['--import', 'tsx', 'src/ops/backup-cli.ts', 'restore', corrupt], { encoding: 'utf8', env: cliEnv(dir, url) });
    assert.equal(cli.status, 1);
    assert.match(cli.stderr, /BACKUP_INVALID: .*damaged/);
    assert.equal(sha(dbFile), before, 'nothing overwritten');
  });

  it('a part whose bytes do not match the manifest checksum: BACKUP_INVALID', async () => {
    const out = path.join(dir, 'badsum.tar.gz');
    await rewrite(out, (m) => {
      (m.parts as { name: string; sha256: string }[])[0].sha256 = '0'.repeat(64);
    });
    const before = sha(dbFile);
    await assert.rejects(restoreBackup(configFor(dir, url), { file: out }), (e: { code?: string; message: string }) => e.code === 'BACKUP_INVALID' && /SHA-256/.test(e.message));
    assert.equal(sha(dbFile), before);
  });

  it('a backup from a newer version (format or migrations): BACKUP_TOO_NEW, nothing overwritten', async () => {
    const before = sha(dbFile);
    const newer = path.join(dir, 'newer.tar.gz');
    await rewrite(newer, (m) => {
      m.formatVersion = 2;
      m.app = { name: 'sharpeye', version: '9.0.0' };
    });
    await assert.rejects(restoreBackup(configFor(dir, url), { file: newer }), (e: { code?: string; message: string }) => e.code === 'BACKUP_TOO_NEW' && /format version 2.*upgrade sharpeye/.test(e.message));
    const future = path.join(dir, 'future.tar.gz');
    await rewrite(future, (m) => {
      (m.migrations as string[]).push('099_future');
    });
    await assert.rejects(restoreBackup(configFor(dir, url), { file: future }), (e: { code?: string; message: string }) => e.code === 'BACKUP_TOO_NEW' && /099_future/.test(e.message));
    assert.equal(sha(dbFile), before);
    // and the good one still restores, keeping the old files aside
    const r = await restoreBackup(configFor(dir, url), { file: good });
    assert.ok(r.previous.some((p) => p.includes('.pre-restore-')));
    assert.equal((await rows(url)).devices.length, 3);
  });

  it('audit:verify: intact after the restore; a changed row is named (exit 1 from the CLI)', async () => {
    const config = configFor(dir, url);
    assert.equal((await runAuditVerify(config)).exitCode, 0);
    const d = openDatabase(url);
    const victim = await d.db.selectFrom('user_logs').select('id').orderBy('id').offset(2).limit(1).executeTakeFirstOrThrow();
    await d.db.updateTable('user_logs').set({ detail: 'nothing happened here' }).where('id', '=', victim.id).execute();
    await d.close();
    const r = await runAuditVerify(config);
    assert.equal(r.exitCode, 1);
    assert.equal(r.brokenAt, Number(victim.id));
    const cli = spawnSync(process.execPath, ['--import', 'tsx', 'src/ops/audit-verify-cli.ts'], { encoding: 'utf8', env: cliEnv(dir, url) });
    assert.equal(cli.status, 1, cli.stdout + cli.stderr);
    assert.match(cli.stderr, new RegExp(`BROKEN at row ${victim.id} `));
  });
});

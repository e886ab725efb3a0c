import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, closeSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import type { Config } from '../../config/index.js';
import { unknownEnvKeys } from '../../config/index.js';
import { AppError, isAppError } from '../../core/errors.js';
import { knownMigrations } from '../../store/migrate.js';
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, MANIFEST_NAME, checkManifest, type BackupManifest, type BackupPart } from './manifest.js';
import { pgTarget, runTool } from './processes.js';
import { readTarGz, sha256File, writeTarGz, type TarSource } from './tar.js';

/** Tables counted in the manifest. */
const COUNTED = ['devices', 'channels', 'users', 'roles', 'orgs', 'user_logs', 'device_logs', 'alarm_logs'];
/**
 * Configuration values that are secrets, never written into a backup (the key only with --include-key, as its own
 * part): SHARPEYE_SECRET_KEY, the SIP/admin/image passwords, S3 keys, tokens (metrics) and any later key named so.
 */
export const isSecretConfigKey = (k: string): boolean => /PASSWORD|SECRET|TOKEN|ACCESS_KEY/.test(k);
const DB_PART = { sqlite: 'database.sqlite', postgres: 'database.pgdump' } as const;

function appVersion(): string {
  try {
    return JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version ?? '0';
  } catch {
    return '0';
  }
}

function sqliteFile(config: Readonly<Config>): string {
  if (config.databaseUrl === 'sqlite::memory:') throw new AppError('FEATURE_UNAVAILABLE', 'An in-memory database cannot be backed up or restored');
  return path.resolve(config.databaseUrl.replace(/^sqlite:(\/\/)?/, ''));
}

function dialectOf(config: Readonly<Config>): 'sqlite' | 'postgres' {
  return config.databaseUrl.startsWith('postgres') ? 'postgres' : 'sqlite';
}

/** The non-secret configuration (SHARPEYE_* from the environment and SHARPEYE_CONFIG), as a SHARPEYE_CONFIG file. */
export function publicConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Record<string, string> {
  const out: Record<string, string> = {};
  if (env.SHARPEYE_CONFIG) {
    try {
      Object.assign(out, JSON.parse(readFileSync(path.resolve(cwd, env.SHARPEYE_CONFIG), 'utf8')));
    } catch {
      /* loadConfig already refused a bad file; nothing to add */
    }
  }
  const unknown = new Set(unknownEnvKeys(env));
  for (const [k, v] of Object.entries(env)) if (k.startsWith('SHARPEYE_') && k !== 'SHARPEYE_CONFIG' && !unknown.has(k) && v !== undefined && v !== '') out[k] = v;
  for (const k of Object.keys(out)) if (isSecretConfigKey(k)) delete out[k];
  if (out.SHARPEYE_DATABASE_URL?.startsWith('postgres')) {
    const u = new URL(out.SHARPEYE_DATABASE_URL);
    u.password = '';
    out.SHARPEYE_DATABASE_URL = u.toString();
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, String(v)]));
}

export interface BackupOptions {
  /** where to write; a directory gets `sharpeye-backup-<time>.tar.gz` */
  out: string;
  /** put secret.key (or SHARPEYE_SECRET_KEY) into the backup: then the file itself is a secret */
  includeKey?: boolean;
  env?: NodeJS.ProcessEnv;
  now?: Date;
}

export interface BackupResult {
  file: string;
  bytes: number;
  manifest: BackupManifest;
  ms: number;
}

/**
 * One file holding the database and the non-secret configuration (issue 14 §5): SQLite through the online backup
 * API (the server may keep running), PostgreSQL through `pg_dump --format=custom`. Parts are staged in a temporary
 * directory next to the output, hashed, then written as a .tar.gz with the manifest first.
 */
export async function createBackup(config: Readonly<Config>, o: BackupOptions): Promise<BackupResult> {
  const t0 = performance.now();
  const now = o.now ?? new Date();
  const dialect = dialectOf(config);
  let file = path.resolve(o.out);
  // an existing directory, or a name that is not an archive's: a directory to write into
  if ((existsSync(file) && statSync(file).isDirectory()) || !/\.(tar\.gz|tgz)$/.test(file)) file = path.join(file, `sharpeye-backup-${now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}.tar.gz`);
  mkdirSync(path.dirname(file), { recursive: true });
  const stage = path.join(path.dirname(file), `.sharpeye-backup-${randomBytes(6).toString('hex')}`);
  mkdirSync(stage, { mode: 0o700 });
  try {
    const dbPart = path.join(stage, DB_PART[dialect]);
    let migrations: string[];
    const counts: Record<string, number> = {};
    if (dialect === 'sqlite') {
      const src = new SQLite(sqliteFile(config), { readonly: true, fileMustExist: true });
      try {
        await src.backup(dbPart);
      } finally {
        src.close();
      }
      const copy = new SQLite(dbPart, { readonly: true });
      try {
        migrations = (copy.prepare('SELECT name FROM kysely_migration ORDER BY timestamp, name').all() as { name: string }[]).map((r) => r.name);
        for (const t of COUNTED) counts[t] = (copy.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
      } finally {
        copy.close();
      }
    } else {
      const t = pgTarget(config.databaseUrl);
      const c = new pg.Client({ connectionString: config.databaseUrl });
      await c.connect();
      try {
        migrations = (await c.query<{ name: string }>('SELECT name FROM kysely_migration ORDER BY timestamp, name')).rows.map((r) => r.name);
        for (const tb of COUNTED) counts[tb] = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${tb}`)).rows[0].n);
      } finally {
        await c.end();
      }
      await runTool('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--file=${dbPart}`, `--dbname=${t.dbname}`], t.env);
    }
    const configBytes = Buffer.from(JSON.stringify(publicConfig(o.env), null, 2) + '\n');
    const sources: TarSource[] = [{ name: DB_PART[dialect], file: dbPart, size: statSync(dbPart).size }, { name: 'config.json', data: configBytes, size: configBytes.length }];
    if (o.includeKey) {
      const keyHex = config.secretKey ?? (existsSync(path.join(config.dataDir, 'secret.key')) ? readFileSync(path.join(config.dataDir, 'secret.key'), 'utf8').trim() : undefined);
      if (!keyHex) throw new AppError('NOT_FOUND', 'No secret key to include: SHARPEYE_SECRET_KEY is unset and the data dir has no secret.key');
      sources.push({ name: 'secret.key', data: Buffer.from(keyHex), size: keyHex.length });
    }
    const parts: BackupPart[] = [];
    for (const s of sources) {
      const sha256 = s.file ? await sha256File(s.file) : (await import('node:crypto')).createHash('sha256').update(s.data!).digest('hex');
      parts.push({ name: s.name, size: s.size, sha256 });
    }
    const manifest: BackupManifest = { format: BACKUP_FORMAT, formatVersion: BACKUP_FORMAT_VERSION, createdAt: now.toISOString(), app: { name: 'sharpeye', version: appVersion() }, dialect, migrations, counts, parts, includesKey: !!o.includeKey };
    const mbytes = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
    const tmpOut = `${file}.partial`;
    await writeTarGz(tmpOut, [{ name: MANIFEST_NAME, data: mbytes, size: mbytes.length }, ...sources], now);
    renameSync(tmpOut, file);
    return { file, bytes: statSync(file).size, manifest, ms: Math.round(performance.now() - t0) };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

export interface RestoreOptions {
  file: string;
  env?: NodeJS.ProcessEnv;
  now?: Date;
}

export interface RestoreResult {
  manifest: BackupManifest;
  /** where the previous SQLite files were moved (kept until the operator removes them) */
  previous: string[];
  configFile: string;
  keyRestored: boolean;
  ms: number;
}

const invalid = (why: string) => new AppError('BACKUP_INVALID', `The backup file is damaged or not a sharpeye backup: ${why} (备份文件损坏). Nothing was changed.`);

/**
 * Restores a backup into the configured database (stop sharpeye first). Everything is checked before anything is
 * touched: container, manifest (format version, migrations this version knows, same database kind), each part's
 * size and SHA-256, and for SQLite the database's own integrity check. Then SQLite is swapped in by rename (the old
 * files are kept aside) and PostgreSQL is restored by pg_restore's script run in one transaction.
 */
export async function restoreBackup(config: Readonly<Config>, o: RestoreOptions): Promise<RestoreResult> {
  const t0 = performance.now();
  const file = path.resolve(o.file);
  if (!existsSync(file) || !statSync(file).isFile()) throw new AppError('NOT_FOUND', `No backup file at ${file}`);
  const dialect = dialectOf(config);
  mkdirSync(config.dataDir, { recursive: true });
  const stage = path.join(config.dataDir, `.restore-${randomBytes(6).toString('hex')}`);
  mkdirSync(stage, { mode: 0o700 });
  try {
    // 1. read and check everything into the staging directory
    let manifest: BackupManifest | undefined;
    let entries;
    try {
      entries = await readTarGz(
        file,
        (name) => {
          if (!manifest && name !== MANIFEST_NAME) throw invalid('the manifest is not the first entry');
          if (name === MANIFEST_NAME) return 'memory';
          if (!manifest!.parts.some((p) => p.name === name)) throw invalid(`unexpected entry ${name}`);
          return path.join(stage, name);
        },
        (_name, bytes) => {
          let raw: unknown;
          try {
            raw = JSON.parse(bytes.toString('utf8'));
          } catch {
            throw invalid('the manifest is not JSON');
          }
          manifest = checkManifest(raw, knownMigrations(dialect));
        },
      );
    } catch (e) {
      if (isAppError(e)) throw e;
      throw invalid((e as Error).message);
    }
    if (!manifest) throw invalid('no manifest');
    if (manifest.dialect !== dialect) throw new AppError('BACKUP_INVALID', `The backup holds a ${manifest.dialect} database; the configured database is ${dialect}. Restore into the same kind. Nothing was changed.`);
    for (const p of manifest.parts) {
      const got = entries.find((e) => e.name === p.name);
      if (!got) throw invalid(`part ${p.name} is missing`);
      if (got.size !== p.size || got.sha256 !== p.sha256) throw invalid(`part ${p.name} does not match its SHA-256 in the manifest`);
    }
    const dbPart = path.join(stage, DB_PART[dialect]);
    if (!existsSync(dbPart)) throw invalid(`part ${DB_PART[dialect]} is missing`);

    // the key: only written where none is, never over a different one
    let keyHex: string | undefined;
    const keyFile = path.join(config.dataDir, 'secret.key');
    if (manifest.includesKey) {
      keyHex = readFileSync(path.join(stage, 'secret.key'), 'utf8').trim();
      const current = config.secretKey ?? (existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : undefined);
      if (current && current.toLowerCase() !== keyHex.toLowerCase()) {
        throw new AppError('CONFLICT', `The backup's secret key differs from the one in use (${config.secretKey ? 'SHARPEYE_SECRET_KEY' : keyFile}); move that key away or restore with the same key. Nothing was changed.`);
      }
    }

    // 2. apply
    const previous: string[] = [];
    if (dialect === 'sqlite') {
      const check = new SQLite(dbPart, { readonly: true });
      try {
        const ok = check.pragma('integrity_check', { simple: true });
        if (ok !== 'ok') throw invalid(`SQLite integrity check: ${String(ok)}`);
        const names = (check.prepare('SELECT name FROM kysely_migration ORDER BY timestamp, name').all() as { name: string }[]).map((r) => r.name);
        if (names.join() !== manifest.migrations.join()) throw invalid('the database migrations differ from the manifest');
      } catch (e) {
        if (isAppError(e)) throw e;
        throw invalid(`SQLite: ${(e as Error).message}`);
      } finally {
        check.close();
      }
      const target = sqliteFile(config);
      mkdirSync(path.dirname(target), { recursive: true });
      const incoming = `${target}.restoring`;
      copyFileSync(dbPart, incoming);
      const fd = openSync(incoming, 'r+');
      fsyncSync(fd);
      closeSync(fd);
      const stamp = (o.now ?? new Date()).toISOString().slice(0, 19).replace(/[-:]/g, '');
      for (const suffix of ['', '-wal', '-shm']) {
        if (existsSync(target + suffix)) {
          const aside = `${target}.pre-restore-${stamp}${suffix}`;
          renameSync(target + suffix, aside);
          previous.push(aside);
        }
      }
      renameSync(incoming, target);
    } else {
      await restorePostgres(config.databaseUrl, dbPart, stage);
    }
    if (keyHex && !config.secretKey && !existsSync(keyFile)) writeFileSync(keyFile, keyHex, { mode: 0o600 });
    const configFile = path.join(config.dataDir, 'config.restored.json');
    copyFileSync(path.join(stage, 'config.json'), configFile);
    return { manifest, previous, configFile, keyRestored: !!keyHex, ms: Math.round(performance.now() - t0) };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/**
 * PostgreSQL: pg_restore turns the dump into a SQL script (--clean --if-exists: drop what the dump creates); tables
 * of the current database that the dump does not hold (a newer version's) are dropped first; psql runs it all in one
 * transaction with ON_ERROR_STOP, so a failure leaves the database as it was.
 */
async function restorePostgres(url: string, dump: string, stage: string): Promise<void> {
  const t = pgTarget(url);
  let toc = '';
  try {
    await runTool('pg_restore', ['--list', dump], t.env, (b) => {
      toc += b.toString('utf8');
    });
  } catch (e) {
    if (isAppError(e)) throw e;
    throw invalid(`pg_restore cannot read the dump: ${(e as Error).message}`);
  }
  const dumped = new Set([...toc.matchAll(/^\d+; \d+ \d+ TABLE (\S+) (\S+) /gm)].map((m) => `${m[1]}.${m[2]}`));
  if (!dumped.has('public.kysely_migration')) throw invalid('the dump holds no sharpeye database');
  const script = path.join(stage, 'restore.sql');
  await runTool('pg_restore', ['--clean', '--if-exists', '--no-owner', '--no-privileges', `--file=${script}`, dump], t.env);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  let extra: string[];
  try {
    extra = (await c.query<{ s: string; t: string }>("SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")).rows
      .map((r) => `${r.s}.${r.t}`)
      .filter((n) => !dumped.has(n));
  } finally {
    await c.end();
  }
  const prelude = path.join(stage, 'prelude.sql');
  writeFileSync(prelude, extra.map((n) => `DROP TABLE IF EXISTS ${n.split('.').map((x) => `"${x.replace(/"/g, '""')}"`).join('.')} CASCADE;\n`).join(''));
  await runTool('psql', ['--no-psqlrc', '--quiet', '--single-transaction', '--set=ON_ERROR_STOP=1', `--dbname=${t.dbname}`, '-f', prelude, '-f', script], t.env);
}

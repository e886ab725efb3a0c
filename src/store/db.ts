import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Database {
  db: Kysely<DB>;
  dialect: Dialect;
  close(): Promise<void>;
}

/** Opens the store named by `SHARPEYE_DATABASE_URL`: `sqlite://<file>`, `sqlite::memory:` or `postgres://...`. */
export function openDatabase(url: string): Database {
  if (url.startsWith('postgres')) {
    const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000 });
    // An idle pooled connection that the server closes (PostgreSQL restarted, failover, an administrator) emits
    // 'error' on the pool; unhandled, that would take the whole process down. The pool drops that client and the
    // next query opens a new connection, so noting it is enough.
    // A connection lost while checked out (between the queries of a transaction) emits 'error' on its client, where
    // the pool no longer listens: handled here, the transaction's next query fails and nothing else is affected.
    pool.on('connect', (client) => {
      client.on('error', (err) => process.emitWarning(`PostgreSQL connection lost: ${err.message}`, { code: 'SHARPEYE_PG_LOST' }));
    });
    pool.on('error', (err) => {
      process.emitWarning(`PostgreSQL connection lost while idle: ${err.message}`, { code: 'SHARPEYE_PG_IDLE' });
    });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', close: () => db.destroy() };
  }
  const file = url === 'sqlite::memory:' ? ':memory:' : url.replace(/^sqlite:(\/\/)?/, '');
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  // WAL: readers never wait for the writer; NORMAL sync is crash-safe with WAL (loses at most the last commit on power loss).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // Kysely prepares every statement anew; better-sqlite3 statements are reusable, so cache them by SQL text
  // (the storm bench spent more time preparing than executing).
  const cache = new Map<string, SQLite.Statement>();
  const database = {
    close: () => sqlite.close(),
    prepare(sql: string): SQLite.Statement {
      let st = cache.get(sql);
      if (!st) {
        if (cache.size >= 1000) cache.clear();
        st = sqlite.prepare(sql);
        cache.set(sql, st);
      }
      return st;
    },
  };
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

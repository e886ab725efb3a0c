import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL every dev and CI machine runs (trust auth); override with SHARPEYE_TEST_PG_URL. */
export const PG_ADMIN_URL = process.env.SHARPEYE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database of each kind; PostgreSQL gets a throw-away database per call. */
export async function freshDatabase(kind: 'sqlite' | 'postgres'): Promise<TestDatabase> {
  if (kind === 'sqlite') return { name: 'sqlite', url: 'sqlite::memory:', drop: async () => undefined };
  const dbName = `sharpeye_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${dbName}`;
  return {
    name: 'postgres',
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await c.end();
    },
  };
}

export const DIALECTS = ['sqlite', 'postgres'] as const;

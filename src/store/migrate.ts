import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Database } from './db.js';
import { foundation } from './migrations/001_foundation.js';
import { gb28181 } from './migrations/002_gb28181.js';
import { media } from './migrations/003_media.js';
import { records } from './migrations/004_records.js';
import { cascade } from './migrations/005_cascade.js';
import { patrol } from './migrations/006_patrol.js';
import { images } from './migrations/007_images.js';
import { recordStorage } from './migrations/008_record_storage.js';
import { cluster } from './migrations/009_cluster.js';
import { availability } from './migrations/010_availability.js';
import { alerts } from './migrations/011_alerts.js';

/** Migrations are code, listed here in order; names never change once released. */
function migrationsFor(dialect: Database['dialect']): Record<string, Migration> {
  return {
    '001_foundation': foundation(dialect),
    '002_gb28181': gb28181(),
    '003_media': media(),
    '004_records': records(dialect),
    '005_cascade': cascade(),
    '006_patrol': patrol(dialect),
    '007_images': images(dialect),
    '008_record_storage': recordStorage(),
    '009_cluster': cluster(),
    '010_availability': availability(dialect),
    '011_alerts': alerts(dialect),
  };
}

export async function migrateToLatest(database: Database): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrationsFor(database.dialect) };
  const migrator = new Migrator({ db: database.db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of the migrations this version knows (a backup naming others comes from a newer version). */
export function knownMigrations(dialect: Database['dialect']): string[] {
  return Object.keys(migrationsFor(dialect));
}

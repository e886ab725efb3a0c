import type { Kysely, Migration } from 'kysely';

/**
 * Cascade (issue 11, R1): upper platforms we register to as a GB/T 28181 lower platform, and what each may see:
 * shared channels (with the GB ID the upper assigned, when it did) and shared org nodes (every channel under them).
 */
export function cascade(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('upper_platforms')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('server_id', 'text', (c) => c.notNull())
        .addColumn('domain', 'text', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        .addColumn('transport', 'text', (c) => c.notNull())
        .addColumn('local_id', 'text', (c) => c.notNull())
        .addColumn('username', 'text')
        .addColumn('password_sealed', 'text')
        .addColumn('expires', 'integer', (c) => c.notNull())
        .addColumn('keepalive_interval', 'integer', (c) => c.notNull())
        .addColumn('keepalive_misses', 'integer', (c) => c.notNull())
        .addColumn('charset', 'text', (c) => c.notNull())
        .addColumn('catalog_mode', 'text', (c) => c.notNull())
        .addColumn('catalog_page_size', 'integer', (c) => c.notNull())
        .addColumn('ptz_allowed', 'integer', (c) => c.notNull())
        .addColumn('record_source', 'text', (c) => c.notNull())
        .addColumn('time_sync', 'integer', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('upper_channels')
        .addColumn('upper_id', 'text', (c) => c.notNull())
        .addColumn('channel_id', 'text', (c) => c.notNull())
        .addColumn('custom_id', 'text')
        .addPrimaryKeyConstraint('upper_channels_pk', ['upper_id', 'channel_id'])
        .execute();
      await db.schema.createIndex('upper_channels_custom').on('upper_channels').columns(['upper_id', 'custom_id']).execute();
      await db.schema
        .createTable('upper_orgs')
        .addColumn('upper_id', 'text', (c) => c.notNull())
        .addColumn('org_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('upper_orgs_pk', ['upper_id', 'org_id'])
        .execute();
    },
    async down() {
      // forward-only
    },
  };
}

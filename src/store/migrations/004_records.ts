import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * Platform recording (issue 7, R5/R16): a recording plan per channel, the segment index, and a retention default per
 * org. Segment times are Unix milliseconds (bigint) so a month of 5-minute segments is one indexed range scan.
 */
export function records(dialect: Dialect): Migration {
  const idCol = (t: any) =>
    dialect === 'postgres' ? t.addColumn('id', 'bigserial', (c: any) => c.primaryKey()) : t.addColumn('id', 'integer', (c: any) => c.primaryKey().autoIncrement());
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('record_plans')
        .addColumn('channel_id', 'text', (c) => c.primaryKey())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('schedule', 'text') // JSON [{days:[1..7], from:'HH:MM', to:'HH:MM'}]
        .addColumn('pre_seconds', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('post_seconds', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('stream', 'text', (c) => c.notNull().defaultTo('main'))
        .addColumn('retention_days', 'integer')
        .addColumn('quota_mb', 'integer')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'text')
        .execute();
      await idCol(db.schema.createTable('record_segments'))
        .addColumn('channel_id', 'text', (c: any) => c.notNull())
        .addColumn('start_ms', 'bigint', (c: any) => c.notNull())
        .addColumn('end_ms', 'bigint', (c: any) => c.notNull())
        .addColumn('size', 'bigint', (c: any) => c.notNull().defaultTo(0))
        .addColumn('path', 'text', (c: any) => c.notNull().unique())
        .addColumn('node_id', 'text', (c: any) => c.notNull())
        .addColumn('codec', 'text')
        .addColumn('checksum', 'text')
        .addColumn('state', 'text', (c: any) => c.notNull()) // open | closed | corrupt | missing
        .addColumn('error', 'text')
        .addColumn('verified_at', 'text')
        .execute();
      await db.schema.createIndex('record_segments_channel_start').on('record_segments').columns(['channel_id', 'start_ms']).execute();
      await db.schema.createIndex('record_segments_start').on('record_segments').column('start_ms').execute();
      await db.schema.createIndex('record_segments_state').on('record_segments').column('state').execute();
      await db.schema.alterTable('orgs').addColumn('record_retention_days', 'integer').execute();
    },
    async down() {
      // forward-only
    },
  };
}

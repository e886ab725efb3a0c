import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * Availability (完好率, R15) and video quality diagnosis (R12), issue 14.
 *
 * `channel_availability`: one row per channel and local day (SHARPEYE_TZ): how long the platform watched it
 * (`observed_ms`), how long it was online (`online_ms`) and how long it was online *and* delivering video
 * (`video_ms`); probe counts. Availability of a day = video_ms / observed_ms. The alert rule "availability below
 * target" reads this table: keep the column names.
 *
 * `channels.gop`: frames per GOP as measured by the hub (keyframe to keyframe), next to codec/size/fps/bitrate.
 * `channel_quality_checks`: picture checks (ffmpeg blackdetect / freezedetect / signalstats / blurdetect), history.
 */
export function availability(dialect: Dialect): Migration {
  const idCol = (t: any) =>
    dialect === 'postgres' ? t.addColumn('id', 'bigserial', (c: any) => c.primaryKey()) : t.addColumn('id', 'integer', (c: any) => c.primaryKey().autoIncrement());
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('channel_availability')
        .addColumn('channel_id', 'text', (c) => c.notNull())
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text')
        .addColumn('org_id', 'text')
        .addColumn('online_ms', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('video_ms', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('observed_ms', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('probes_ok', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('probes_failed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('channel_availability_pk', ['channel_id', 'day'])
        .execute();
      await db.schema.createIndex('channel_availability_day').on('channel_availability').columns(['day', 'org_id']).execute();
      await db.schema.alterTable('channels').addColumn('gop', 'integer').execute();
      await idCol(db.schema.createTable('channel_quality_checks'))
        .addColumn('channel_id', 'text', (c: any) => c.notNull())
        .addColumn('at', 'text', (c: any) => c.notNull())
        .addColumn('by_user', 'text')
        .addColumn('ok', 'integer', (c: any) => c.notNull())
        .addColumn('flags', 'text', (c: any) => c.notNull()) // JSON string[]
        .addColumn('result', 'text', (c: any) => c.notNull()) // JSON PictureCheck
        .execute();
      await db.schema.createIndex('channel_quality_checks_channel').on('channel_quality_checks').columns(['channel_id', 'at']).execute();
    },
    async down() {
      // forward-only
    },
  };
}

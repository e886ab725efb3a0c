import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * Electronic patrol (issue 10, R4): tasks (ordered channels or an org node's channels, dwell, layout), plans (a task
 * in time windows on a wall) and the run state the server-side scheduler keeps so a patrol survives a restart.
 * Mobile-position tracks for the map, and an index for the per-channel alarm list of the console.
 */
export function patrol(dialect: Dialect): Migration {
  const real = dialect === 'postgres' ? 'double precision' : 'real';
  const idCol = (t: any) =>
    dialect === 'postgres' ? t.addColumn('id', 'bigserial', (c: any) => c.primaryKey()) : t.addColumn('id', 'integer', (c: any) => c.primaryKey().autoIncrement());
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('patrol_tasks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('layout', 'integer', (c) => c.notNull())
        .addColumn('dwell_seconds', 'integer', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull()) // 'channels' | 'org'
        .addColumn('org_id', 'text')
        .addColumn('include_children', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('items', 'text', (c) => c.notNull()) // JSON [{channelId, dwellSeconds?}]
        .addColumn('preload', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_by', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('patrol_plans')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('task_id', 'text', (c) => c.notNull())
        .addColumn('wall', 'text', (c) => c.notNull())
        .addColumn('windows', 'text', (c) => c.notNull()) // JSON [{days?, dates?, from, to}]
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('created_by', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('patrol_plans_task').on('patrol_plans').column('task_id').execute();
      await db.schema
        .createTable('patrol_runs')
        .addColumn('key', 'text', (c) => c.primaryKey()) // 'task:<id>' | 'plan:<id>'
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('ref_id', 'text', (c) => c.notNull())
        .addColumn('running', 'integer', (c) => c.notNull())
        .addColumn('paused', 'integer', (c) => c.notNull())
        .addColumn('page', 'integer', (c) => c.notNull())
        .addColumn('page_started_at', 'text')
        .addColumn('remaining_ms', 'integer')
        .addColumn('manual', 'integer', (c) => c.notNull())
        .addColumn('suppressed_until', 'text')
        .addColumn('run_as', 'text')
        .addColumn('cycle', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('started_at', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await idCol(db.schema.createTable('channel_tracks'))
        .addColumn('channel_id', 'text', (c: any) => c.notNull())
        .addColumn('at', 'text', (c: any) => c.notNull())
        .addColumn('longitude', real, (c: any) => c.notNull())
        .addColumn('latitude', real, (c: any) => c.notNull())
        .addColumn('speed', real)
        .addColumn('direction', real)
        .execute();
      await db.schema.createIndex('channel_tracks_channel_at').on('channel_tracks').columns(['channel_id', 'at']).execute();
      await db.schema.createIndex('alarm_logs_channel').on('alarm_logs').columns(['channel_id', 'id']).execute();
    },
    async down() {
      // forward-only
    },
  };
}

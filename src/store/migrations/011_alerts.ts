import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * Alert rules, alerts and fault tickets (issue 14 §4, R17). Tables are declared in `ops/alerts/alert-tables.ts`.
 *
 * - `alert_rules`: what to watch (kind, threshold, for how long, scope org, webhooks as JSON text).
 * - `alerts`: one row per (rule, subject) episode: `pending` while the condition holds for less than the rule's
 *   `for_minutes`, `firing` once it held long enough, `cleared` when it stopped (kept as history).
 * - `fault_tickets`: opened by a firing alert (one per alert) or by hand; response (acknowledged) and recovery times
 *   are measured against the 2 h / 24 h promise.
 */
export function alerts(dialect: Dialect): Migration {
  const idCol = (t: any) =>
    dialect === 'postgres' ? t.addColumn('id', 'bigserial', (c: any) => c.primaryKey()) : t.addColumn('id', 'integer', (c: any) => c.primaryKey().autoIncrement());
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('alert_rules')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('threshold', 'double precision', (c) => c.notNull())
        .addColumn('for_minutes', 'integer', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('org_id', 'text')
        .addColumn('webhooks', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'text')
        .execute();
      await idCol(db.schema.createTable('alerts'))
        .addColumn('rule_id', 'text', (c: any) => c.notNull())
        .addColumn('kind', 'text', (c: any) => c.notNull())
        .addColumn('subject', 'text', (c: any) => c.notNull())
        .addColumn('subject_name', 'text')
        .addColumn('device_id', 'text')
        .addColumn('channel_id', 'text')
        .addColumn('message', 'text', (c: any) => c.notNull())
        .addColumn('value', 'double precision')
        .addColumn('state', 'text', (c: any) => c.notNull())
        .addColumn('since', 'text', (c: any) => c.notNull())
        .addColumn('fired_at', 'text')
        .addColumn('cleared_at', 'text')
        .addColumn('ticket_id', 'bigint')
        .execute();
      await db.schema.createIndex('alerts_rule_subject').on('alerts').columns(['rule_id', 'subject', 'state']).execute();
      await db.schema.createIndex('alerts_state').on('alerts').columns(['state', 'fired_at']).execute();
      await idCol(db.schema.createTable('fault_tickets'))
        .addColumn('title', 'text', (c: any) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('source', 'text', (c: any) => c.notNull())
        .addColumn('alert_id', 'bigint')
        .addColumn('kind', 'text')
        .addColumn('state', 'text', (c: any) => c.notNull())
        .addColumn('opened_at', 'text', (c: any) => c.notNull())
        .addColumn('opened_by', 'text')
        .addColumn('responded_at', 'text')
        .addColumn('responded_by', 'text')
        .addColumn('response_note', 'text')
        .addColumn('recovered_at', 'text')
        .addColumn('recovered_by', 'text')
        .addColumn('recovery_note', 'text')
        .execute();
      await db.schema.createIndex('fault_tickets_opened').on('fault_tickets').column('opened_at').execute();
      await db.schema.createIndex('fault_tickets_state').on('fault_tickets').column('state').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('fault_tickets').execute();
      await db.schema.dropTable('alerts').execute();
      await db.schema.dropTable('alert_rules').execute();
    },
  };
}

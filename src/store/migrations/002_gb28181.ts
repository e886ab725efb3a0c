import type { Kysely, Migration } from 'kysely';

/** GB/T 28181 registration state on devices, catalog fields on channels. */
export function gb28181(): Migration {
  return {
    async up(db: Kysely<any>) {
      const dev: [string, string][] = [
        ['expires_at', 'text'],
        ['keepalive_interval', 'integer'],
        ['charset', 'text'],
        ['catalog_at', 'text'],
        ['user_agent', 'text'],
      ];
      for (const [c, t] of dev) await db.schema.alterTable('devices').addColumn(c, t as 'text').execute();
      const ch: [string, string][] = [
        ['parent_id', 'text'],
        ['civil_code', 'text'],
        ['business_group_id', 'text'],
        ['owner', 'text'],
        ['block', 'text'],
        ['parental', 'integer'],
        ['secrecy', 'integer'],
        ['ip', 'text'],
        ['port', 'integer'],
        ['status', 'text'],
        ['position_at', 'text'],
        ['speed', 'text'],
        ['direction', 'text'],
      ];
      for (const [c, t] of ch) await db.schema.alterTable('channels').addColumn(c, t as 'text').execute();
    },
    async down() {
      // Column drops are not portable across SQLite versions; this migration is forward-only.
    },
  };
}

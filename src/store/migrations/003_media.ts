import type { Kysely, Migration } from 'kysely';

/** Media settings per device (RTP transport, sub-stream SDP dialect) and measured stream quality per channel (R12). */
export function media(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('devices').addColumn('media_transport', 'text').execute();
      await db.schema.alterTable('devices').addColumn('stream_profile', 'text').execute();
      await db.schema.alterTable('channels').addColumn('bitrate_kbps', 'integer').execute();
      await db.schema.alterTable('channels').addColumn('media_at', 'text').execute();
    },
    async down() {
      // forward-only, like 002
    },
  };
}

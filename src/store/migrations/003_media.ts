import type { Kysely, Migration } from 'kysely';

/**
 * Media settings per device (RTP transport, sub-stream SDP dialect), measured stream quality per channel (R12), and
 * non-GB sources: RTSP pull / RTMP push / ONVIF per channel with their live state.
 */
export function media(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('devices').addColumn('media_transport', 'text').execute();
      await db.schema.alterTable('devices').addColumn('stream_profile', 'text').execute();
      await db.schema.alterTable('channels').addColumn('bitrate_kbps', 'integer').execute();
      await db.schema.alterTable('channels').addColumn('media_at', 'text').execute();
      // non-GB sources (issue: RTSP pull, RTMP push, ONVIF)
      await db.schema.alterTable('channels').addColumn('source_type', 'text').execute();
      await db.schema.alterTable('channels').addColumn('pull_mode', 'text').execute();
      await db.schema.alterTable('channels').addColumn('pull_transport', 'text').execute();
      await db.schema.alterTable('channels').addColumn('sub_source_url', 'text').execute();
      await db.schema.alterTable('channels').addColumn('onvif_profile', 'text').execute();
      await db.schema.alterTable('channels').addColumn('source_state', 'text').execute();
      await db.schema.alterTable('devices').addColumn('onvif_xaddr', 'text').execute();
      await db.schema.alterTable('devices').addColumn('onvif_username', 'text').execute();
    },
    async down() {
      // forward-only, like 002
    },
  };
}

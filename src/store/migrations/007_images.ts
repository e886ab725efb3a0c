import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * Face and vehicle images (issue 12, R13/R14): stored captures (the image files live under `<data dir>/images`),
 * the appIdentityKey values we issued, the bureau targets we forward to and the durable forwarding queue.
 */
export function images(dialect: Dialect): Migration {
  const idCol = (t: any) =>
    dialect === 'postgres' ? t.addColumn('id', 'bigserial', (c: any) => c.primaryKey()) : t.addColumn('id', 'integer', (c: any) => c.primaryKey().autoIncrement());
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('face_captures')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('gate_id', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('channel_id', 'text')
        .addColumn('node_id', 'text')
        .addColumn('captured_at', 'text', (c) => c.notNull())
        .addColumn('received_at', 'text', (c) => c.notNull())
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('location_name', 'text')
        .addColumn('resolution', 'text')
        .addColumn('longitude', 'double precision')
        .addColumn('latitude', 'double precision')
        .addColumn('quality', 'text')
        .addColumn('face_count', 'integer', (c) => c.notNull())
        .addColumn('faces', 'text', (c) => c.notNull())
        .addColumn('background', 'text')
        .addColumn('meta', 'text', (c) => c.notNull())
        .addColumn('bytes', 'bigint', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('face_captures_digest').on('face_captures').columns(['gate_id', 'digest']).unique().execute();
      await db.schema.createIndex('face_captures_time').on('face_captures').column('captured_at').execute();
      await db.schema.createIndex('face_captures_device_time').on('face_captures').columns(['device_id', 'captured_at']).execute();
      await db.schema.createIndex('face_captures_channel_time').on('face_captures').columns(['channel_id', 'captured_at']).execute();
      await db.schema.createIndex('face_captures_received').on('face_captures').column('received_at').execute();
      await db.schema.createIndex('face_captures_day').on('face_captures').columns(['day', 'gate_id']).execute();

      await db.schema
        .createTable('vehicle_passes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('gate_id', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('channel_id', 'text')
        .addColumn('gcjlid', 'text', (c) => c.notNull())
        .addColumn('passed_at', 'text', (c) => c.notNull())
        .addColumn('received_at', 'text', (c) => c.notNull())
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('plate', 'text')
        .addColumn('plate_color', 'text')
        .addColumn('plate_type', 'text')
        .addColumn('vehicle_color', 'text')
        .addColumn('vehicle_brand', 'text')
        .addColumn('vehicle_model', 'text')
        .addColumn('vehicle_type', 'text')
        .addColumn('direction', 'text')
        .addColumn('device_name', 'text')
        .addColumn('longitude', 'double precision')
        .addColumn('latitude', 'double precision')
        .addColumn('images', 'text', (c) => c.notNull())
        .addColumn('meta', 'text', (c) => c.notNull())
        .addColumn('bytes', 'bigint', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('vehicle_passes_gcjlid').on('vehicle_passes').columns(['gate_id', 'gcjlid']).unique().execute();
      await db.schema.createIndex('vehicle_passes_time').on('vehicle_passes').column('passed_at').execute();
      await db.schema.createIndex('vehicle_passes_device_time').on('vehicle_passes').columns(['device_id', 'passed_at']).execute();
      await db.schema.createIndex('vehicle_passes_channel_time').on('vehicle_passes').columns(['channel_id', 'passed_at']).execute();
      await db.schema.createIndex('vehicle_passes_plate').on('vehicle_passes').columns(['plate', 'passed_at']).execute();
      await db.schema.createIndex('vehicle_passes_received').on('vehicle_passes').column('received_at').execute();
      await db.schema.createIndex('vehicle_passes_day').on('vehicle_passes').columns(['day', 'gate_id']).execute();

      await db.schema
        .createTable('image_keys')
        .addColumn('key_hash', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('subject_type', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('issued_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('remote', 'text')
        .execute();
      await db.schema.createIndex('image_keys_subject').on('image_keys').columns(['kind', 'subject']).execute();
      await db.schema.createIndex('image_keys_expires').on('image_keys').column('expires_at').execute();

      await db.schema
        .createTable('image_targets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('password_sealed', 'text')
        .addColumn('auth_mode', 'text', (c) => c.notNull())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('encoding', 'text', (c) => c.notNull())
        .addColumn('keepalive_seconds', 'integer', (c) => c.notNull())
        .addColumn('timeout_seconds', 'integer', (c) => c.notNull())
        .addColumn('retry_max_seconds', 'integer', (c) => c.notNull())
        .addColumn('concurrency', 'integer', (c) => c.notNull())
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('delivered', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('resent', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('last_delivered_at', 'text')
        .addColumn('last_error', 'text')
        .addColumn('last_error_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await idCol(db.schema.createTable('image_queue'))
        .addColumn('target_id', 'text', (c: any) => c.notNull())
        .addColumn('kind', 'text', (c: any) => c.notNull())
        .addColumn('capture_id', 'text', (c: any) => c.notNull())
        .addColumn('device_id', 'text', (c: any) => c.notNull())
        .addColumn('enqueued_at', 'text', (c: any) => c.notNull())
        .addColumn('attempts', 'integer', (c: any) => c.notNull().defaultTo(0))
        .addColumn('next_at', 'bigint', (c: any) => c.notNull().defaultTo(0))
        .addColumn('state', 'text', (c: any) => c.notNull())
        .addColumn('unanswered', 'integer', (c: any) => c.notNull().defaultTo(0))
        .addColumn('last_error', 'text')
        .execute();
      await db.schema.createIndex('image_queue_device').on('image_queue').columns(['target_id', 'state', 'device_id', 'id']).execute();
      await db.schema.createIndex('image_queue_capture').on('image_queue').column('capture_id').execute();
      await db.schema.createIndex('image_queue_order').on('image_queue').columns(['target_id', 'state', 'id']).execute();
    },
    async down() {
      // forward-only
    },
  };
}

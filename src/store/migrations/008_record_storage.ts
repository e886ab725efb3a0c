import type { Kysely, Migration } from 'kysely';

/**
 * Recording storage and watermarks (issue 8, items 5 and 6).
 *
 * S3: where each segment lives. `storage` is the upload queue's state (`local` → `uploading` → `s3`); `object_key` and
 * `etag` name the object once uploaded; `local_copy` is 0 after the local file was removed (keep-local time passed, or
 * low space); a failed upload waits until `upload_after` (back-off) with the attempts and the last error kept.
 *
 * Watermarks: one policy row per channel or per role (`kind` channel|role); a download or server snapshot is
 * watermarked when its channel's policy or any role of the user asks for it.
 */
export function recordStorage(): Migration {
  return {
    async up(db: Kysely<any>) {
      // SQLite takes one column per ALTER TABLE
      const add = (name: string, type: 'text' | 'integer', build?: (c: any) => any) => db.schema.alterTable('record_segments').addColumn(name, type, build ?? ((c) => c)).execute();
      await add('storage', 'text', (c) => c.notNull().defaultTo('local'));
      await add('object_key', 'text');
      await add('etag', 'text');
      await add('uploaded_at', 'text');
      await add('local_copy', 'integer', (c) => c.notNull().defaultTo(1));
      await add('upload_attempts', 'integer', (c) => c.notNull().defaultTo(0));
      await add('upload_after', 'text');
      await add('upload_error', 'text');
      await db.schema.createIndex('record_segments_storage').on('record_segments').columns(['storage', 'local_copy', 'node_id']).execute();
      await db.schema
        .createTable('watermark_policies')
        .addColumn('kind', 'text', (c) => c.notNull()) // channel | role
        .addColumn('target_id', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('text', 'text') // an extra line burnt in under user and time (e.g. 内部资料 禁止外传)
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'text')
        .addPrimaryKeyConstraint('watermark_policies_pk', ['kind', 'target_id'])
        .execute();
    },
    async down() {
      // forward-only
    },
  };
}

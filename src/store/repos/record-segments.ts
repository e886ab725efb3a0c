import { sql, type Kysely } from 'kysely';
import type { DB } from '../schema.js';

export type SegmentState = 'open' | 'closed' | 'corrupt' | 'missing';
/** Where a closed segment is (S3 storage, issue 8): on the node's disk only, being uploaded, or in the bucket. */
export type SegmentStorage = 'local' | 'uploading' | 's3';

export interface SegmentRow {
  id: number;
  channelId: string;
  startMs: number;
  endMs: number;
  size: number;
  path: string;
  nodeId: string;
  codec: string | null;
  checksum: string | null;
  state: SegmentState;
  error: string | null;
  verifiedAt: string | null;
  storage: SegmentStorage;
  /** the S3 object once uploaded */
  objectKey: string | null;
  etag: string | null;
  uploadedAt: string | null;
  /** the file is still on the node's disk (false once removed after upload) */
  localCopy: boolean;
  uploadAttempts: number;
  /** a failed upload is retried after this (ISO) */
  uploadAfter: string | null;
  uploadError: string | null;
}

/** Columns with defaults that a new segment does not name. */
type StorageFields = 'storage' | 'objectKey' | 'etag' | 'uploadedAt' | 'localCopy' | 'uploadAttempts' | 'uploadAfter' | 'uploadError';

export interface StorageSummary {
  /** closed segments waiting for upload (count, bytes), being uploaded, and in S3 */
  local: { segments: number; bytes: number };
  uploading: { segments: number; bytes: number };
  s3: { segments: number; bytes: number; localCopies: number };
  /** waiting segments that failed at least once: the latest error and when the next try is */
  failing: number;
  lastError: string | null;
  nextRetry: string | null;
}

export interface ChannelUsage {
  channelId: string;
  bytes: number;
  segments: number;
  oldestMs: number | null;
  newestMs: number | null;
}

/** The segment index (issue 7): one row per recorded file; the open segment is a row too, so search finds it. */
export class RecordSegmentRepo {
  constructor(private readonly db: Kysely<DB>) {}

  async insert(s: Omit<SegmentRow, 'id' | 'error' | 'verifiedAt' | StorageFields>): Promise<number> {
    const r = await this.db
      .insertInto('record_segments')
      .values({ channel_id: s.channelId, start_ms: s.startMs, end_ms: s.endMs, size: s.size, path: s.path, node_id: s.nodeId, codec: s.codec, checksum: s.checksum, state: s.state })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(r.id);
  }

  async update(id: number, u: Partial<Pick<SegmentRow, 'endMs' | 'size' | 'checksum' | 'state' | 'error' | 'verifiedAt' | 'codec' | 'storage' | 'objectKey' | 'etag'>>): Promise<void> {
    const set: Record<string, unknown> = {};
    if (u.endMs !== undefined) set.end_ms = u.endMs;
    if (u.size !== undefined) set.size = u.size;
    if (u.checksum !== undefined) set.checksum = u.checksum;
    if (u.state !== undefined) set.state = u.state;
    if (u.error !== undefined) set.error = u.error;
    if (u.verifiedAt !== undefined) set.verified_at = u.verifiedAt;
    if (u.codec !== undefined) set.codec = u.codec;
    if (u.storage !== undefined) set.storage = u.storage;
    if (u.objectKey !== undefined) set.object_key = u.objectKey;
    if (u.etag !== undefined) set.etag = u.etag;
    if (!Object.keys(set).length) return;
    await this.db.updateTable('record_segments').set(set).where('id', '=', id).execute();
  }

  async get(id: number): Promise<SegmentRow | undefined> {
    const r = await this.db.selectFrom('record_segments').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toRow(r) : undefined;
  }

  async byPath(path: string): Promise<SegmentRow | undefined> {
    const r = await this.db.selectFrom('record_segments').selectAll().where('path', '=', path).executeTakeFirst();
    return r ? toRow(r) : undefined;
  }

  /** Segments of a channel overlapping [startMs, endMs), in time order (uses the (channel_id, start_ms) index). */
  async range(channelId: string, startMs: number, endMs: number, states: SegmentState[] = ['open', 'closed']): Promise<SegmentRow[]> {
    const rows = await this.db
      .selectFrom('record_segments')
      .selectAll()
      .where('channel_id', '=', channelId)
      .where('start_ms', '<', endMs)
      .where('end_ms', '>', startMs)
      .where('state', 'in', states)
      .orderBy('start_ms')
      .execute();
    return rows.map(toRow);
  }

  /** Narrow projection for search: only what span merging needs. */
  async spans(channelId: string, startMs: number, endMs: number): Promise<Array<{ startMs: number; endMs: number; state: SegmentState; size: number }>> {
    // segments are at most a few hours long, so bounding start_ms from below keeps the index range tight
    const rows = await this.db
      .selectFrom('record_segments')
      .select(['start_ms', 'end_ms', 'state', 'size'])
      .where('channel_id', '=', channelId)
      .where('start_ms', '<', endMs)
      .where('start_ms', '>', startMs - 6 * 3600_000)
      .where('end_ms', '>', startMs)
      .orderBy('start_ms')
      .execute();
    return rows.map((r) => ({ startMs: Number(r.start_ms), endMs: Number(r.end_ms), state: r.state as SegmentState, size: Number(r.size) }));
  }

  async open(nodeId?: string): Promise<SegmentRow[]> {
    let q = this.db.selectFrom('record_segments').selectAll().where('state', '=', 'open');
    if (nodeId) q = q.where('node_id', '=', nodeId);
    return (await q.execute()).map(toRow);
  }

  /** Oldest closed or damaged segments first (retention, quota and low-space cleanup; `localOnly`: those with a local file). */
  async oldest(o: { channelId?: string; beforeMs?: number; limit: number; nodeId?: string; localOnly?: boolean }): Promise<SegmentRow[]> {
    let q = this.db.selectFrom('record_segments').selectAll().where('state', '!=', 'open');
    if (o.localOnly) q = q.where('local_copy', '=', 1);
    if (o.channelId) q = q.where('channel_id', '=', o.channelId);
    if (o.beforeMs !== undefined) q = q.where('end_ms', '<=', o.beforeMs);
    if (o.nodeId) q = q.where('node_id', '=', o.nodeId);
    return (await q.orderBy('start_ms').limit(o.limit).execute()).map(toRow);
  }

  /** Closed segments in id order, for the verifier to walk in batches. */
  async closedAfter(afterId: number, limit: number, nodeId?: string, channelId?: string): Promise<SegmentRow[]> {
    let q = this.db.selectFrom('record_segments').selectAll().where('id', '>', afterId).where('state', 'in', ['closed', 'corrupt', 'missing']);
    if (nodeId) q = q.where('node_id', '=', nodeId);
    if (channelId) q = q.where('channel_id', '=', channelId);
    return (await q.orderBy('id').limit(limit).execute()).map(toRow);
  }

  async delete(ids: number[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) await this.db.deleteFrom('record_segments').where('id', 'in', ids.slice(i, i + 500)).execute();
  }

  /** Bytes, segment count and the span held per channel (all channels, or one). */
  async usage(channelId?: string): Promise<ChannelUsage[]> {
    let q = this.db
      .selectFrom('record_segments')
      .select(['channel_id', sql<string>`sum(size)`.as('bytes'), sql<string>`count(*)`.as('n'), sql<string>`min(start_ms)`.as('oldest'), sql<string>`max(end_ms)`.as('newest')])
      .where('state', 'in', ['open', 'closed'])
      .groupBy('channel_id');
    if (channelId) q = q.where('channel_id', '=', channelId);
    const rows = await q.execute();
    return rows.map((r) => ({ channelId: r.channel_id, bytes: Number(r.bytes ?? 0), segments: Number(r.n), oldestMs: r.oldest === null ? null : Number(r.oldest), newestMs: r.newest === null ? null : Number(r.newest) }));
  }

  // S3 upload queue (issue 8) ------------------------------------------------------------------------------------

  /** Closed segments of a node waiting for upload whose back-off has passed, oldest first. */
  async uploadDue(nodeId: string, nowIso: string, limit: number): Promise<SegmentRow[]> {
    const rows = await this.db
      .selectFrom('record_segments')
      .selectAll()
      .where('storage', '=', 'local')
      .where('state', '=', 'closed')
      .where('node_id', '=', nodeId)
      .where((eb) => eb.or([eb('upload_after', 'is', null), eb('upload_after', '<=', nowIso)]))
      .orderBy('start_ms')
      .limit(limit)
      .execute();
    return rows.map(toRow);
  }

  /** local → uploading; false when another pass (or retention) got there first. */
  async claimUpload(id: number): Promise<boolean> {
    const r = await this.db.updateTable('record_segments').set({ storage: 'uploading' }).where('id', '=', id).where('storage', '=', 'local').executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** uploading → s3; false when the row went away meanwhile (retention): the caller deletes the orphan object. */
  async finishUpload(id: number, u: { objectKey: string; etag: string; uploadedAt: string }): Promise<boolean> {
    const r = await this.db
      .updateTable('record_segments')
      .set({ storage: 's3', object_key: u.objectKey, etag: u.etag, uploaded_at: u.uploadedAt, upload_error: null, upload_after: null })
      .where('id', '=', id)
      .where('storage', '=', 'uploading')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** uploading → local with the attempt counted, the error kept and the next try after `after`. */
  async failUpload(id: number, f: { attempts: number; after: string; error: string }): Promise<void> {
    await this.db
      .updateTable('record_segments')
      .set({ storage: 'local', upload_attempts: f.attempts, upload_after: f.after, upload_error: f.error.slice(0, 500) })
      .where('id', '=', id)
      .where('storage', '=', 'uploading')
      .execute();
  }

  /** After a crash: uploads that were under way start again (a PUT of the same key is idempotent). */
  async resetUploading(nodeId: string): Promise<number> {
    const r = await this.db.updateTable('record_segments').set({ storage: 'local' }).where('storage', '=', 'uploading').where('node_id', '=', nodeId).executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Uploaded segments of a node still on its disk, uploaded at or before `uploadedBefore`, oldest first. */
  async localCopies(nodeId: string, uploadedBefore: string, limit: number): Promise<SegmentRow[]> {
    const rows = await this.db
      .selectFrom('record_segments')
      .selectAll()
      .where('storage', '=', 's3')
      .where('local_copy', '=', 1)
      .where('node_id', '=', nodeId)
      .where('uploaded_at', '<=', uploadedBefore)
      .orderBy('start_ms')
      .limit(limit)
      .execute();
    return rows.map(toRow);
  }

  async markLocalGone(ids: number[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) await this.db.updateTable('record_segments').set({ local_copy: 0 }).where('id', 'in', ids.slice(i, i + 500)).execute();
  }

  /** The upload queue at a glance (all nodes, or one). */
  async storageSummary(nodeId?: string): Promise<StorageSummary> {
    let q = this.db
      .selectFrom('record_segments')
      .select(['storage', 'local_copy', sql<string>`count(*)`.as('n'), sql<string>`sum(size)`.as('bytes')])
      .where('state', '!=', 'open')
      .groupBy(['storage', 'local_copy']);
    if (nodeId) q = q.where('node_id', '=', nodeId);
    const out: StorageSummary = { local: { segments: 0, bytes: 0 }, uploading: { segments: 0, bytes: 0 }, s3: { segments: 0, bytes: 0, localCopies: 0 }, failing: 0, lastError: null, nextRetry: null };
    for (const r of await q.execute()) {
      const n = Number(r.n);
      const bytes = Number(r.bytes ?? 0);
      const slot = r.storage === 's3' ? out.s3 : r.storage === 'uploading' ? out.uploading : out.local;
      slot.segments += n;
      slot.bytes += bytes;
      if (r.storage === 's3' && Number(r.local_copy) === 1) out.s3.localCopies += n;
    }
    let f = this.db
      .selectFrom('record_segments')
      .select(['upload_error', 'upload_after'])
      .where('storage', '=', 'local')
      .where('upload_error', 'is not', null);
    if (nodeId) f = f.where('node_id', '=', nodeId);
    const failing = await f.orderBy('upload_after', 'desc').execute();
    out.failing = failing.length;
    out.lastError = failing[0]?.upload_error ?? null;
    out.nextRetry = failing.length ? failing.map((x) => x.upload_after ?? '').sort()[0] || null : null;
    return out;
  }

  /** Damaged segments (missing or corrupt) of a channel, for the gap list. */
  async damaged(channelId?: string, limit = 1000): Promise<SegmentRow[]> {
    let q = this.db.selectFrom('record_segments').selectAll().where('state', 'in', ['corrupt', 'missing']);
    if (channelId) q = q.where('channel_id', '=', channelId);
    return (await q.orderBy('start_ms', 'desc').limit(limit).execute()).map(toRow);
  }
}

type RawRow = { id: number; channel_id: string; start_ms: number | string; end_ms: number | string; size: number | string; path: string; node_id: string; codec: string | null; checksum: string | null; state: string; error: string | null; verified_at: string | null };
type RawStorage = { storage: string; object_key: string | null; etag: string | null; uploaded_at: string | null; local_copy: number | string; upload_attempts: number | string; upload_after: string | null; upload_error: string | null };

function toRow(r: RawRow & RawStorage): SegmentRow {
  return {
    id: Number(r.id),
    channelId: r.channel_id,
    startMs: Number(r.start_ms),
    endMs: Number(r.end_ms),
    size: Number(r.size),
    path: r.path,
    nodeId: r.node_id,
    codec: r.codec,
    checksum: r.checksum,
    state: r.state as SegmentState,
    error: r.error,
    verifiedAt: r.verified_at,
    storage: (r.storage ?? 'local') as SegmentStorage,
    objectKey: r.object_key,
    etag: r.etag,
    uploadedAt: r.uploaded_at,
    localCopy: Number(r.local_copy ?? 1) === 1,
    uploadAttempts: Number(r.upload_attempts ?? 0),
    uploadAfter: r.upload_after,
    uploadError: r.upload_error,
  };
}

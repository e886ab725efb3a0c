import { sql, type Kysely } from 'kysely';
import type { DB } from '../schema.js';

export type SegmentState = 'open' | 'closed' | 'corrupt' | 'missing';

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

  async insert(s: Omit<SegmentRow, 'id' | 'error' | 'verifiedAt'>): Promise<number> {
    const r = await this.db
      .insertInto('record_segments')
      .values({ channel_id: s.channelId, start_ms: s.startMs, end_ms: s.endMs, size: s.size, path: s.path, node_id: s.nodeId, codec: s.codec, checksum: s.checksum, state: s.state })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(r.id);
  }

  async update(id: number, u: Partial<Pick<SegmentRow, 'endMs' | 'size' | 'checksum' | 'state' | 'error' | 'verifiedAt' | 'codec'>>): Promise<void> {
    const set: Record<string, unknown> = {};
    if (u.endMs !== undefined) set.end_ms = u.endMs;
    if (u.size !== undefined) set.size = u.size;
    if (u.checksum !== undefined) set.checksum = u.checksum;
    if (u.state !== undefined) set.state = u.state;
    if (u.error !== undefined) set.error = u.error;
    if (u.verifiedAt !== undefined) set.verified_at = u.verifiedAt;
    if (u.codec !== undefined) set.codec = u.codec;
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

  /** Oldest closed or damaged segments first (retention, quota and low-space cleanup). */
  async oldest(o: { channelId?: string; beforeMs?: number; limit: number; nodeId?: string }): Promise<SegmentRow[]> {
    let q = this.db.selectFrom('record_segments').selectAll().where('state', '!=', 'open');
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

  /** Damaged segments (missing or corrupt) of a channel, for the gap list. */
  async damaged(channelId?: string, limit = 1000): Promise<SegmentRow[]> {
    let q = this.db.selectFrom('record_segments').selectAll().where('state', 'in', ['corrupt', 'missing']);
    if (channelId) q = q.where('channel_id', '=', channelId);
    return (await q.orderBy('start_ms', 'desc').limit(limit).execute()).map(toRow);
  }
}

function toRow(r: { id: number; channel_id: string; start_ms: number | string; end_ms: number | string; size: number | string; path: string; node_id: string; codec: string | null; checksum: string | null; state: string; error: string | null; verified_at: string | null }): SegmentRow {
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
  };
}

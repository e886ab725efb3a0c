import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { DB } from '../../store/schema.js';
import { channelInScope, type ChannelScope } from '../../store/scope.js';
import { likePattern, pageBounds, parseJson, toCount, type Page } from '../../store/paging.js';
import { qualityFlags, STANDARD, type MeasuredQuality, type QualityFlag } from './standard.js';
import type { PictureCheck } from './picture-check.js';

/** `channel_quality_checks` (migration 010_availability): picture checks with their time and who asked. */
export interface ChannelQualityChecksTable {
  id: import('kysely').Generated<number>;
  channel_id: string;
  at: string;
  by_user: string | null;
  ok: number;
  flags: string;
  result: string;
}

declare module '../../store/schema.js' {
  interface DB {
    channel_quality_checks: ChannelQualityChecksTable;
  }
}

export interface StoredCheck {
  id: number;
  channelId: string;
  at: string;
  byUser: string | null;
  ok: boolean;
  flags: string[];
  result: PictureCheck;
}

export interface QualityRow extends MeasuredQuality {
  channelId: string;
  name: string;
  deviceId: string;
  orgId: string | null;
  online: boolean;
  flags: QualityFlag[];
  lastCheck: Omit<StoredCheck, 'result' | 'channelId'> | null;
}

/** Codec names stored by the media core that meet the standard (`hevc` is how some paths spell H.265). */
const GOOD_CODECS = [...STANDARD.codecs, 'hevc', 'avc'];
const minFps = STANDARD.minFps - STANDARD.fpsTolerance;

type Cb = ExpressionBuilder<DB, 'channels'>;
const measured = (eb: Cb) => eb.and([eb('channels.media_at', 'is not', null), eb('channels.codec', 'is not', null)]);
const below1080 = () => sql<SqlBool>`coalesce(channels.width, 0) * coalesce(channels.height, 0) < ${STANDARD.minPixels}`;
const belowFps = () => sql<SqlBool>`coalesce(channels.fps, 0) < ${minFps}`;
const badCodec = (eb: Cb) => eb(sql`lower(channels.codec)`, 'not in', GOOD_CODECS);

export class QualityStore {
  constructor(private readonly db: Kysely<DB>) {}

  /** Channels with their measured video and flags; `flagged`: only those below the standard (measured ones). */
  async list(scope: ChannelScope, q: { page?: number; pageSize?: number; flagged?: boolean; q?: string; orgId?: string }): Promise<Page<QualityRow>> {
    const { page, pageSize, offset } = pageBounds(q);
    let base = this.db.selectFrom('channels').where((eb) => channelInScope(eb, scope));
    if (q.orgId) base = base.where('channels.org_id', '=', q.orgId);
    if (q.q) {
      const p = likePattern(q.q);
      base = base.where((eb) => eb.or([sql<boolean>`lower(channels.id) like ${p} escape '\\'`, sql<boolean>`lower(channels.name) like ${p} escape '\\'`]));
    }
    if (q.flagged) base = base.where((eb) => eb.and([measured(eb), eb.or([below1080(), belowFps(), badCodec(eb)])]));
    const [{ n }] = await base.select((eb) => eb.fn.countAll().as('n')).execute();
    const rows = await base
      .select(['channels.id', 'channels.name', 'channels.device_id', 'channels.org_id', 'channels.online', 'channels.codec', 'channels.width', 'channels.height', 'channels.fps', 'channels.bitrate_kbps', 'channels.gop', 'channels.media_at'])
      .orderBy('channels.id')
      .limit(pageSize)
      .offset(offset)
      .execute();
    const last = await this.latest(rows.map((r) => r.id));
    return {
      items: rows.map((r) => {
        const m: MeasuredQuality = { codec: r.codec, width: r.width, height: r.height, fps: r.fps === null ? null : Number(r.fps), bitrateKbps: r.bitrate_kbps, gop: r.gop ?? null, mediaAt: r.media_at };
        const c = last.get(r.id);
        return { channelId: r.id, name: r.name, deviceId: r.device_id, orgId: r.org_id, online: Boolean(r.online), ...m, flags: qualityFlags(m), lastCheck: c ? { id: c.id, at: c.at, byUser: c.byUser, ok: c.ok, flags: c.flags } : null };
      }),
      total: toCount(n),
      page,
      pageSize,
    };
  }

  /** Counts for the dashboard: measured channels, and those below 1080P / 25 fps / with a codec outside the list. */
  async summary(scope: ChannelScope): Promise<{ channels: number; measured: number; below1080p: number; below25fps: number; codecNotStandard: number; belowStandard: number }> {
    const base = this.db.selectFrom('channels').where((eb) => channelInScope(eb, scope));
    const count = async (f?: (eb: Cb) => Expression<SqlBool>) => {
      const [{ n }] = await (f ? base.where((eb) => eb.and([measured(eb), f(eb)])) : base).select((eb) => eb.fn.countAll().as('n')).execute();
      return toCount(n);
    };
    const [channels, measuredN, b1080, bFps, bCodec, below] = await Promise.all([
      count(),
      count((eb) => measured(eb)),
      count(() => below1080()),
      count(() => belowFps()),
      count((eb) => badCodec(eb)),
      count((eb) => eb.or([below1080(), belowFps(), badCodec(eb)])),
    ]);
    return { channels, measured: measuredN, below1080p: b1080, below25fps: bFps, codecNotStandard: bCodec, belowStandard: below };
  }

  async addCheck(channelId: string, at: string, byUser: string | null, r: PictureCheck): Promise<StoredCheck> {
    const ok = r.flags.length === 0;
    const row = await this.db
      .insertInto('channel_quality_checks')
      .values({ channel_id: channelId, at, by_user: byUser, ok: ok ? 1 : 0, flags: JSON.stringify(r.flags), result: JSON.stringify(r) })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: Number(row.id), channelId, at, byUser, ok, flags: r.flags, result: r };
  }

  async checks(channelId: string, limit = 20): Promise<StoredCheck[]> {
    const rows = await this.db.selectFrom('channel_quality_checks').selectAll().where('channel_id', '=', channelId).orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toCheck);
  }

  private async latest(ids: string[]): Promise<Map<string, StoredCheck>> {
    const out = new Map<string, StoredCheck>();
    if (!ids.length) return out;
    const rows = await this.db.selectFrom('channel_quality_checks').selectAll().where('channel_id', 'in', ids).orderBy('at', 'desc').orderBy('id', 'desc').execute();
    for (const r of rows) if (!out.has(r.channel_id)) out.set(r.channel_id, toCheck(r));
    return out;
  }
}

function toCheck(r: { id: number; channel_id: string; at: string; by_user: string | null; ok: number; flags: string; result: string }): StoredCheck {
  return { id: Number(r.id), channelId: r.channel_id, at: r.at, byUser: r.by_user, ok: Boolean(r.ok), flags: parseJson(r.flags, []), result: parseJson(r.result, {} as PictureCheck) };
}

import { sql, type Kysely } from 'kysely';
import type { DB } from '../../store/schema.js';
import { channelInScope, type ChannelScope } from '../../store/scope.js';
import { pageBounds, toCount, type Page } from '../../store/paging.js';
import { yieldToLoop } from '../../core/wait.js';

/**
 * `channel_availability` (migration 010_availability): one row per channel and local day. Declared here and merged
 * into the shared `DB` interface so availability keeps its store in its own files. The alert rule "availability
 * below target" reads these columns; keep their names.
 */
export interface ChannelAvailabilityTable {
  channel_id: string;
  /** `YYYY-MM-DD` in SHARPEYE_TZ */
  day: string;
  /** the channel's device and org when the time was booked (reports use the current ones) */
  device_id: string | null;
  org_id: string | null;
  /** PostgreSQL returns bigint as text */
  online_ms: number | string;
  video_ms: number | string;
  observed_ms: number | string;
  probes_ok: number;
  probes_failed: number;
  updated_at: string;
}

declare module '../../store/schema.js' {
  interface DB {
    channel_availability: ChannelAvailabilityTable;
  }
}

/** Time booked to one channel and day since the last write; added to the row (never overwrites). */
export interface AvailabilityDelta {
  channelId: string;
  day: string;
  deviceId: string | null;
  orgId: string | null;
  onlineMs: number;
  videoMs: number;
  observedMs: number;
  probesOk: number;
  probesFailed: number;
}

export type AvailabilityLevel = 'channel' | 'device' | 'org';

export interface AvailabilityRow {
  /** channel, device or org id (`null` org: channels without an org) */
  id: string | null;
  name: string | null;
  /** channel level: its device and org; device level: its org */
  deviceId?: string | null;
  orgId?: string | null;
  channels: number;
  observedMs: number;
  onlineMs: number;
  videoMs: number;
  /** online_ms / observed_ms, 0–1 */
  onlineRate: number;
  /** video_ms / observed_ms, 0–1: 完好率 */
  availability: number;
  probesOk: number;
  probesFailed: number;
}

export interface DayFigure {
  day: string;
  orgId: string | null;
  observedMs: number;
  onlineMs: number;
  videoMs: number;
  availability: number;
}

const num = (v: unknown) => Number(v ?? 0);
const ratio = (a: number, b: number) => (b > 0 ? Math.min(1, a / b) : 0);

export class AvailabilityStore {
  constructor(private readonly db: Kysely<DB>) {}

  /** Adds booked time (one statement per 500 rows; portable `ON CONFLICT … DO UPDATE` on both dialects). */
  async add(deltas: AvailabilityDelta[], now: string): Promise<void> {
    for (let i = 0; i < deltas.length; i += 500) {
      const rows = deltas.slice(i, i + 500).map((d) => ({
        channel_id: d.channelId,
        day: d.day,
        device_id: d.deviceId,
        org_id: d.orgId,
        online_ms: Math.round(d.onlineMs),
        video_ms: Math.round(d.videoMs),
        observed_ms: Math.round(d.observedMs),
        probes_ok: d.probesOk,
        probes_failed: d.probesFailed,
        updated_at: now,
      }));
      await this.db
        .insertInto('channel_availability')
        .values(rows)
        .onConflict((oc) =>
          oc.columns(['channel_id', 'day']).doUpdateSet({
            online_ms: sql`channel_availability.online_ms + excluded.online_ms`,
            video_ms: sql`channel_availability.video_ms + excluded.video_ms`,
            observed_ms: sql`channel_availability.observed_ms + excluded.observed_ms`,
            probes_ok: sql`channel_availability.probes_ok + excluded.probes_ok`,
            probes_failed: sql`channel_availability.probes_failed + excluded.probes_failed`,
            device_id: sql`excluded.device_id`,
            org_id: sql`excluded.org_id`,
            updated_at: sql`excluded.updated_at`,
          }),
        )
        .execute();
      // let SIP and HTTP in between batches: 100,000 channels are 200 statements
      await yieldToLoop();
    }
  }

  /** Days [from, to] summed per channel, device or org, worst availability first; only channels the scope shows. */
  async report(level: AvailabilityLevel, from: string, to: string, scope: ChannelScope, q: { page?: number; pageSize?: number; orgId?: string; below?: number } = {}): Promise<Page<AvailabilityRow>> {
    const { page, pageSize, offset } = pageBounds(q);
    const key = level === 'channel' ? sql.ref('channels.id') : level === 'device' ? sql.ref('channels.device_id') : sql.ref('channels.org_id');
    const avail = sql<number>`cast(sum(a.video_ms) as double precision) / nullif(sum(a.observed_ms), 0)`;
    let base = this.db
      .selectFrom('channel_availability as a')
      .innerJoin('channels', 'channels.id', 'a.channel_id')
      .where('a.day', '>=', from)
      .where('a.day', '<=', to)
      .where((eb) => channelInScope(eb as never, scope));
    if (q.orgId) base = base.where('channels.org_id', '=', q.orgId);
    let grouped = base
      .select([
        key.as('id'),
        sql<number>`count(distinct channels.id)`.as('channels'),
        sql<number>`sum(a.observed_ms)`.as('observed_ms'),
        sql<number>`sum(a.online_ms)`.as('online_ms'),
        sql<number>`sum(a.video_ms)`.as('video_ms'),
        sql<number>`sum(a.probes_ok)`.as('probes_ok'),
        sql<number>`sum(a.probes_failed)`.as('probes_failed'),
        avail.as('ratio'),
      ])
      .groupBy(key)
      .having(sql<number>`sum(a.observed_ms)`, '>', 0);
    if (q.below !== undefined) grouped = grouped.having(avail, '<', q.below);
    const [{ n }] = await this.db
      .selectFrom(grouped.as('g'))
      .select((eb) => eb.fn.countAll().as('n'))
      .execute();
    const rows = await grouped
      .orderBy(sql`ratio`, 'asc')
      .orderBy(key)
      .limit(pageSize)
      .offset(offset)
      .execute();
    const ids = rows.map((r) => r.id as string | null).filter((x): x is string => x !== null);
    const names = new Map<string, { name: string; deviceId?: string | null; orgId?: string | null }>();
    if (ids.length) {
      if (level === 'channel') for (const r of await this.db.selectFrom('channels').select(['id', 'name', 'device_id', 'org_id']).where('id', 'in', ids).execute()) names.set(r.id, { name: r.name, deviceId: r.device_id, orgId: r.org_id });
      else if (level === 'device') for (const r of await this.db.selectFrom('devices').select(['id', 'name', 'org_id']).where('id', 'in', ids).execute()) names.set(r.id, { name: r.name, orgId: r.org_id });
      else for (const r of await this.db.selectFrom('orgs').select(['id', 'name']).where('id', 'in', ids).execute()) names.set(r.id, { name: r.name });
    }
    return {
      items: rows.map((r) => {
        const id = r.id as string | null;
        const observedMs = num(r.observed_ms);
        const onlineMs = num(r.online_ms);
        const videoMs = num(r.video_ms);
        const n = id !== null ? names.get(id) : undefined;
        return {
          id,
          name: n?.name ?? null,
          ...(level === 'channel' ? { deviceId: n?.deviceId ?? null, orgId: n?.orgId ?? null } : level === 'device' ? { orgId: n?.orgId ?? null } : {}),
          channels: num(r.channels),
          observedMs,
          onlineMs,
          videoMs,
          onlineRate: ratio(onlineMs, observedMs),
          availability: ratio(videoMs, observedMs),
          probesOk: num(r.probes_ok),
          probesFailed: num(r.probes_failed),
        };
      }),
      total: toCount(n),
      page,
      pageSize,
    };
  }

  /** Per day and org (current org of each channel), for trends; `orgId: null` rows are channels without an org. */
  async daily(from: string, to: string, scope: ChannelScope): Promise<DayFigure[]> {
    const rows = await this.db
      .selectFrom('channel_availability as a')
      .innerJoin('channels', 'channels.id', 'a.channel_id')
      .where('a.day', '>=', from)
      .where('a.day', '<=', to)
      .where((eb) => channelInScope(eb as never, scope))
      .select(['a.day', 'channels.org_id', sql<number>`sum(a.observed_ms)`.as('observed_ms'), sql<number>`sum(a.online_ms)`.as('online_ms'), sql<number>`sum(a.video_ms)`.as('video_ms')])
      .groupBy(['a.day', 'channels.org_id'])
      .orderBy('a.day')
      .execute();
    return rows.map((r) => {
      const observedMs = num(r.observed_ms);
      const videoMs = num(r.video_ms);
      return { day: r.day, orgId: r.org_id, observedMs, onlineMs: num(r.online_ms), videoMs, availability: ratio(videoMs, observedMs) };
    });
  }

  /** Channel × day rows for the Excel export (bounded by the caller's range and `limit`). */
  async channelDays(from: string, to: string, scope: ChannelScope, limit: number) {
    const rows = await this.db
      .selectFrom('channel_availability as a')
      .innerJoin('channels', 'channels.id', 'a.channel_id')
      .leftJoin('orgs', 'orgs.id', 'channels.org_id')
      .where('a.day', '>=', from)
      .where('a.day', '<=', to)
      .where((eb) => channelInScope(eb as never, scope))
      .select(['a.day', 'a.channel_id', 'channels.name as channel_name', 'channels.device_id', 'channels.org_id', 'orgs.name as org_name', 'a.observed_ms', 'a.online_ms', 'a.video_ms', 'a.probes_ok', 'a.probes_failed'])
      .orderBy('a.day')
      .orderBy('a.channel_id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      day: r.day,
      channelId: r.channel_id,
      channelName: r.channel_name,
      deviceId: r.device_id,
      orgId: r.org_id,
      orgName: r.org_name,
      observedMs: num(r.observed_ms),
      onlineMs: num(r.online_ms),
      videoMs: num(r.video_ms),
      probesOk: r.probes_ok,
      probesFailed: r.probes_failed,
    }));
  }
}

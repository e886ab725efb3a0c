import type { MediaNode, StorageInfo } from '../../media/node.js';
import type { Store } from '../../store/index.js';
import { channelInScope, type ChannelScope } from '../../store/scope.js';
import { toCount } from '../../store/paging.js';
import type { QualityStore } from '../quality/quality-store.js';
import type { AvailabilityService } from './availability-service.js';
import { addDays, daysBetween } from './days.js';

export interface OrgOverview {
  orgId: string | null;
  name: string | null;
  /** today's availability 0–1 (null: not observed today) */
  today: number | null;
  /** one value per day of the trend window, oldest first (null: not observed) */
  trend: Array<number | null>;
  belowTarget: boolean;
  /** the channels pulling the org below target today, worst first (at most 5) */
  worst: Array<{ id: string; name: string | null; availability: number }>;
}

/**
 * The operations dashboard in one answer (R15 console): online rate, availability today and the 30-day trend per
 * org with the channels that pull an org below target, channels below 1080P / 25 fps, streams running, storage.
 */
export async function buildOverview(d: { store: Store; availability: AvailabilityService; quality: QualityStore; media?: MediaNode }, scope: ChannelScope, days = 30) {
  const { availability } = d;
  await availability.settle();
  const today = availability.today();
  const from = addDays(today, -(days - 1));
  const target = availability.settings.targetPercent / 100;
  const dayList = daysBetween(from, today);

  const db = d.store.database.db;
  const counts = await db
    .selectFrom('channels')
    .where((eb) => channelInScope(eb, scope))
    .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum<number>('channels.online').as('online')])
    .executeTakeFirstOrThrow();
  const total = toCount(counts.n);
  const online = toCount(counts.online);

  const daily = await availability.repo.daily(from, today, scope);
  const orgIds = [...new Set(daily.map((r) => r.orgId))];
  const names = new Map<string, string>();
  const named = orgIds.filter((x): x is string => x !== null);
  if (named.length) for (const r of await db.selectFrom('orgs').select(['id', 'name']).where('id', 'in', named).execute()) names.set(r.id, r.name);

  const orgs: OrgOverview[] = [];
  for (const orgId of orgIds) {
    const byDay = new Map(daily.filter((r) => r.orgId === orgId).map((r) => [r.day, r]));
    const t = byDay.get(today);
    const todayAv = t && t.observedMs > 0 ? t.availability : null;
    const below = todayAv !== null && todayAv < target;
    const worst = below
      ? (await availability.repo.report('channel', today, today, scope, { orgId: orgId ?? undefined, below: target, pageSize: 5 })).items
          .filter((r) => orgId !== null || r.orgId === null)
          .map((r) => ({ id: r.id!, name: r.name, availability: r.availability }))
      : [];
    orgs.push({ orgId, name: orgId ? (names.get(orgId) ?? orgId) : null, today: todayAv, trend: dayList.map((day) => byDay.get(day)?.availability ?? null), belowTarget: below, worst });
  }
  orgs.sort((a, b) => (a.today ?? 2) - (b.today ?? 2));

  const sum = (f: (r: (typeof daily)[number]) => number, day?: string) => daily.filter((r) => !day || r.day === day).reduce((s, r) => s + f(r), 0);
  const obsToday = sum((r) => r.observedMs, today);
  const totals = dayList.map((day) => {
    const o = sum((r) => r.observedMs, day);
    return o > 0 ? sum((r) => r.videoMs, day) / o : null;
  });

  let streams = { running: 0, live: 0, readers: 0, bitrateKbps: 0 };
  let storage: StorageInfo[] = [];
  if (d.media) {
    const all = await d.media.streams().catch(() => []);
    streams = {
      running: all.length,
      live: all.filter((s) => s.kind === 'live' && s.state === 'live').length,
      readers: all.reduce((s, x) => s + x.readers, 0),
      bitrateKbps: all.reduce((s, x) => s + (x.bitrateKbps || 0), 0),
    };
    storage = await d.media.storage().catch(() => []);
  }

  return {
    at: availability.now().toISOString(),
    tz: availability.tz,
    today,
    days: dayList,
    targetPercent: availability.settings.targetPercent,
    channels: { total, online, onlineRate: total ? online / total : 0 },
    availability: {
      today: obsToday > 0 ? sum((r) => r.videoMs, today) / obsToday : null,
      onlineToday: obsToday > 0 ? sum((r) => r.onlineMs, today) / obsToday : null,
      trend: totals,
      orgs,
    },
    quality: await d.quality.summary(scope),
    streams,
    storage,
    probe: { concurrency: availability.settings.concurrency, intervalMin: availability.settings.intervalMs / 60_000, active: availability.prober?.active ?? 0 },
  };
}

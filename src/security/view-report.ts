import type { Kysely } from 'kysely';
import type { DB } from '../store/schema.js';

/**
 * "Who watched what" (R11): every live view, playback, download and snapshot of a channel, from the tamper-evident
 * user log, summed per channel and user. The log rows are written where each thing happens: `live.start`,
 * `playback.start`, `record.download`, `snapshot*` by the API, `media.view.start/stop` (with the seconds watched) by
 * the media wiring for every player connection, `sensitive.access` by the sensitive-channel guard.
 */
export const VIEW_ACTIONS = {
  live: ['live.start'],
  playback: ['playback.start'],
  download: ['record.download'],
  snapshot: ['snapshot', 'snapshot.continuous', 'snapshot.session'],
  connections: ['media.view.start'],
  sensitive: ['sensitive.access'],
} as const;
const ALL_ACTIONS = Object.values(VIEW_ACTIONS).flat() as string[];
const STOP = 'media.view.stop';

export interface ViewFilter {
  from?: string;
  to?: string;
  channelId?: string;
  username?: string;
}

export interface ViewRow {
  channelId: string;
  channelName: string | null;
  username: string;
  live: number;
  playback: number;
  download: number;
  snapshot: number;
  /** player connections (FLV/WS-FLV/HLS/RTSP readers) and the seconds they stayed */
  connections: number;
  watchedSeconds: number;
  /** sensitive-channel openings with a reason */
  sensitive: number;
  /** refused or failed attempts of any of these */
  refused: number;
  first: string;
  last: string;
}

type Kind = keyof typeof VIEW_ACTIONS;
const kindOf = new Map<string, Kind>(Object.entries(VIEW_ACTIONS).flatMap(([k, list]) => list.map((a) => [a, k as Kind] as const)));

/** Seconds from a `media.view.stop` detail: `flv main 12 s 345 KiB (closed)`. */
export function secondsOf(detail: string | null): number {
  const m = detail ? / (\d+) s /.exec(detail) : null;
  return m ? Number(m[1]) : 0;
}

/** Sums per (channel, user), sorted by channel or by user. */
export async function viewReport(db: Kysely<DB>, f: ViewFilter, by: 'channel' | 'user' = 'channel'): Promise<ViewRow[]> {
  let q = db.selectFrom('user_logs').where('target_type', '=', 'channel').where('target_id', 'is not', null);
  if (f.from) q = q.where('at', '>=', f.from);
  if (f.to) q = q.where('at', '<=', f.to);
  if (f.channelId) q = q.where('target_id', '=', f.channelId);
  if (f.username) q = q.where('username', '=', f.username);
  const groups = await q
    .where('action', 'in', ALL_ACTIONS)
    .select(['target_id', 'username', 'action', 'result', (eb) => eb.fn.countAll().as('n'), (eb) => eb.fn.min('at').as('first'), (eb) => eb.fn.max('at').as('last')])
    .groupBy(['target_id', 'username', 'action', 'result'])
    .execute();
  const rows = new Map<string, ViewRow>();
  const rowOf = (channelId: string, username: string) => {
    const k = `${channelId}\u0000${username}`;
    let r = rows.get(k);
    if (!r) rows.set(k, (r = { channelId, channelName: null, username, live: 0, playback: 0, download: 0, snapshot: 0, connections: 0, watchedSeconds: 0, sensitive: 0, refused: 0, first: '', last: '' }));
    return r;
  };
  for (const g of groups) {
    const r = rowOf(g.target_id!, g.username ?? '');
    const n = Number(g.n);
    if (g.result !== 'ok') r.refused += n;
    else r[kindOf.get(g.action)!] += n;
    if (!r.first || String(g.first) < r.first) r.first = String(g.first);
    if (String(g.last) > r.last) r.last = String(g.last);
  }
  // seconds watched: from the stop rows, read in id order a page at a time
  let lastId = 0;
  for (;;) {
    const page = await q.where('action', '=', STOP).where('id', '>', lastId).select(['id', 'target_id', 'username', 'detail']).orderBy('id').limit(5000).execute();
    if (!page.length) break;
    for (const s of page) rowOf(s.target_id!, s.username ?? '').watchedSeconds += secondsOf(s.detail);
    lastId = Number(page[page.length - 1].id);
  }
  const out = [...rows.values()].filter((r) => r.first); // stop rows alone (start before the range) still need a start row
  const ids = [...new Set(out.map((r) => r.channelId))];
  for (let i = 0; i < ids.length; i += 500) {
    const names = await db.selectFrom('channels').select(['id', 'name']).where('id', 'in', ids.slice(i, i + 500)).execute();
    const byId = new Map(names.map((n) => [n.id, n.name]));
    for (const r of out) if (byId.has(r.channelId)) r.channelName = byId.get(r.channelId)!;
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return out.sort((a, b) => (by === 'user' ? cmp(a.username, b.username) || cmp(a.channelId, b.channelId) : cmp(a.channelId, b.channelId) || cmp(a.username, b.username)));
}


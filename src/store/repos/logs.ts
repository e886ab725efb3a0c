import { createHash } from 'node:crypto';
import { sql, type ExpressionBuilder, type Kysely, type Selectable } from 'kysely';
import { likePattern, pageBounds, toCount, type Page, type PageQuery } from '../paging.js';
import type { AlarmLogsTable, DB, DeviceLogsTable, UserLogsTable } from '../schema.js';

export interface UserLogEntry {
  at: string;
  userId: string | null;
  username: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  detail?: string | null;
  ip?: string | null;
  result: 'ok' | 'fail';
}
export interface UserLog extends Required<UserLogEntry> {
  id: number;
}
export interface DeviceLogEntry {
  at: string;
  deviceId: string | null;
  channelId?: string | null;
  event: string;
  level: 'info' | 'warn' | 'error';
  detail?: string | null;
}
export interface DeviceLog extends Required<DeviceLogEntry> {
  id: number;
}
export interface AlarmLogEntry {
  at: string;
  deviceId: string | null;
  channelId?: string | null;
  alarmType: string;
  priority?: number | null;
  method?: string | null;
  description?: string | null;
  longitude?: number | null;
  latitude?: number | null;
}
export interface AlarmLog extends Required<AlarmLogEntry> {
  id: number;
  ackedBy: string | null;
  ackedAt: string | null;
  ackComment: string | null;
}

export interface LogFilter extends PageQuery {
  from?: string;
  to?: string;
  q?: string;
  userId?: string;
  username?: string;
  action?: string;
  result?: string;
  deviceId?: string;
  event?: string;
  level?: string;
  type?: string;
}

/** `lower(coalesce(col, '')) LIKE %text%` over several columns, OR-ed (search box of the log pages). */
function textMatch(columns: string[], text: string) {
  const p = likePattern(text);
  return (eb: ExpressionBuilder<DB, keyof DB>) => eb.or(columns.map((c) => sql<boolean>`lower(coalesce(${sql.ref(c)}, '')) like ${p} escape '\\'`));
}

/** Count, then the page (newest first) or everything (exports). */
async function fetchPage<R>(q: { select: any; selectAll: any }, f: LogFilter, limitAll: boolean): Promise<{ rows: R[]; total: number; page: number; pageSize: number }> {
  const { page, pageSize, offset } = pageBounds(f);
  const [{ n }] = await q.select((eb: ExpressionBuilder<DB, keyof DB>) => eb.fn.countAll().as('n')).execute();
  let rows = q.selectAll().orderBy('id', 'desc');
  if (!limitAll) rows = rows.limit(pageSize).offset(offset);
  return { rows: (await rows.execute()) as R[], total: toCount(n), page, pageSize };
}

const GENESIS = '0'.repeat(64);

/** Hash of one user-log row chained to the previous one (R11 tamper-evident audit log). */
export function userLogHash(prev: string, e: UserLogEntry): string {
  const canonical = JSON.stringify([e.at, e.userId, e.username, e.action, e.targetType ?? null, e.targetId ?? null, e.detail ?? null, e.ip ?? null, e.result]);
  return createHash('sha256').update(prev).update('\n').update(canonical).digest('hex');
}

export class LogRepo {
  private chain: Promise<unknown> = Promise.resolve();
  private lastHash: string | undefined;

  constructor(private readonly db: Kysely<DB>) {}

  /** Appends to the user log; appends are serialised so each row chains to the one before it. */
  appendUser(e: UserLogEntry): Promise<number> {
    const run = async (): Promise<number> => {
      if (this.lastHash === undefined) {
        const last = await this.db.selectFrom('user_logs').select('hash').orderBy('id', 'desc').limit(1).executeTakeFirst();
        this.lastHash = last?.hash ?? GENESIS;
      }
      const prev = this.lastHash;
      const hash = userLogHash(prev, e);
      const r = await this.db
        .insertInto('user_logs')
        .values({
          at: e.at,
          user_id: e.userId,
          username: e.username,
          action: e.action,
          target_type: e.targetType ?? null,
          target_id: e.targetId ?? null,
          detail: e.detail ?? null,
          ip: e.ip ?? null,
          result: e.result,
          prev_hash: prev,
          hash,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      this.lastHash = hash;
      return Number(r.id);
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => {
      this.lastHash = undefined; // re-read the tail after a failed write
    });
    return p;
  }

  async appendDevice(e: DeviceLogEntry): Promise<void> {
    await this.db
      .insertInto('device_logs')
      .values({ at: e.at, device_id: e.deviceId, channel_id: e.channelId ?? null, event: e.event, level: e.level, detail: e.detail ?? null })
      .execute();
  }

  async appendDevices(entries: DeviceLogEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += 100) {
      await this.db
        .insertInto('device_logs')
        .values(entries.slice(i, i + 100).map((e) => ({ at: e.at, device_id: e.deviceId, channel_id: e.channelId ?? null, event: e.event, level: e.level, detail: e.detail ?? null })))
        .execute();
    }
  }

  async appendAlarm(e: AlarmLogEntry): Promise<void> {
    await this.db
      .insertInto('alarm_logs')
      .values({
        at: e.at,
        device_id: e.deviceId,
        channel_id: e.channelId ?? null,
        alarm_type: e.alarmType,
        priority: e.priority ?? null,
        method: e.method ?? null,
        description: e.description ?? null,
        longitude: e.longitude ?? null,
        latitude: e.latitude ?? null,
      })
      .execute();
  }

  async queryUser(f: LogFilter, limitAll = false): Promise<Page<UserLog>> {
    let q = this.db.selectFrom('user_logs');
    if (f.from) q = q.where('at', '>=', f.from);
    if (f.to) q = q.where('at', '<=', f.to);
    if (f.userId) q = q.where('user_id', '=', f.userId);
    if (f.username) q = q.where('username', '=', f.username);
    if (f.action) q = q.where('action', '=', f.action);
    if (f.result) q = q.where('result', '=', f.result);
    if (f.q) q = q.where(textMatch(['detail', 'target_id', 'username', 'ip'], f.q));
    const { rows, ...rest } = await fetchPage<Selectable<UserLogsTable>>(q, f, limitAll);
    const items = rows.map((r) => ({
      id: Number(r.id),
      at: r.at,
      userId: r.user_id,
      username: r.username,
      action: r.action,
      targetType: r.target_type,
      targetId: r.target_id,
      detail: r.detail,
      ip: r.ip,
      result: r.result as 'ok' | 'fail',
    }));
    return { items, ...rest };
  }

  async queryDevice(f: LogFilter, limitAll = false): Promise<Page<DeviceLog>> {
    let q = this.db.selectFrom('device_logs');
    if (f.from) q = q.where('at', '>=', f.from);
    if (f.to) q = q.where('at', '<=', f.to);
    if (f.deviceId) q = q.where('device_id', '=', f.deviceId);
    if (f.event) q = q.where('event', '=', f.event);
    if (f.level) q = q.where('level', '=', f.level);
    if (f.q) q = q.where(textMatch(['detail', 'device_id'], f.q));
    const { rows, ...rest } = await fetchPage<Selectable<DeviceLogsTable>>(q, f, limitAll);
    const items = rows.map((r) => ({
      id: Number(r.id),
      at: r.at,
      deviceId: r.device_id,
      channelId: r.channel_id,
      event: r.event,
      level: r.level as DeviceLog['level'],
      detail: r.detail,
    }));
    return { items, ...rest };
  }

  async queryAlarm(f: LogFilter, limitAll = false): Promise<Page<AlarmLog>> {
    let q = this.db.selectFrom('alarm_logs');
    if (f.from) q = q.where('at', '>=', f.from);
    if (f.to) q = q.where('at', '<=', f.to);
    if (f.deviceId) q = q.where('device_id', '=', f.deviceId);
    if (f.type) q = q.where('alarm_type', '=', f.type);
    if (f.q) q = q.where(textMatch(['description', 'device_id'], f.q));
    const { rows, ...rest } = await fetchPage<Selectable<AlarmLogsTable>>(q, f, limitAll);
    const items = rows.map((r) => ({
      id: Number(r.id),
      at: r.at,
      deviceId: r.device_id,
      channelId: r.channel_id,
      alarmType: r.alarm_type,
      priority: r.priority,
      method: r.method,
      description: r.description,
      longitude: r.longitude === null ? null : Number(r.longitude),
      latitude: r.latitude === null ? null : Number(r.latitude),
      ackedBy: r.acked_by,
      ackedAt: r.acked_at,
      ackComment: r.ack_comment,
    }));
    return { items, ...rest };
  }

  /** Walks the user-log chain; the first kept row may follow rows removed by retention. */
  async verifyUserChain(): Promise<{ ok: boolean; checked: number; brokenAt?: number }> {
    let prev: string | undefined;
    let checked = 0;
    let lastId = 0;
    for (;;) {
      const rows = await this.db.selectFrom('user_logs').selectAll().where('id', '>', lastId).orderBy('id').limit(2000).execute();
      if (!rows.length) break;
      for (const r of rows) {
        const expectPrev = prev ?? r.prev_hash;
        const e: UserLogEntry = {
          at: r.at,
          userId: r.user_id,
          username: r.username,
          action: r.action,
          targetType: r.target_type,
          targetId: r.target_id,
          detail: r.detail,
          ip: r.ip,
          result: r.result as 'ok' | 'fail',
        };
        if (r.prev_hash !== expectPrev || userLogHash(expectPrev, e) !== r.hash) return { ok: false, checked, brokenAt: Number(r.id) };
        prev = r.hash;
        checked++;
        lastId = Number(r.id);
      }
    }
    return { ok: true, checked };
  }

  /** Retention: removes rows older than the cut-off from all three logs; returns rows removed. */
  async purgeBefore(cutoff: string): Promise<number> {
    let n = 0;
    for (const t of ['user_logs', 'device_logs', 'alarm_logs'] as const) {
      const r = await this.db.deleteFrom(t).where('at', '<', cutoff).executeTakeFirst();
      n += Number(r.numDeletedRows);
    }
    return n;
  }
}

import { sql, type Kysely } from 'kysely';
import { likePattern, pageBounds, toCount, type Page, type PageQuery } from '../paging.js';
import type { DB } from '../schema.js';
import { channelInScope, type ChannelScope } from '../scope.js';

/** An alarm-log row as the console shows it: with the channel's name and org (for visibility) and the device's name. */
export interface AlarmItem {
  id: number;
  at: string;
  deviceId: string | null;
  deviceName: string | null;
  channelId: string | null;
  channelName: string | null;
  orgId: string | null;
  alarmType: string;
  priority: number | null;
  method: string | null;
  description: string | null;
  longitude: number | null;
  latitude: number | null;
  ackedBy: string | null;
  ackedAt: string | null;
  ackComment: string | null;
}

export interface AlarmFilter extends PageQuery {
  /** true: acknowledged only; false: open only */
  acked?: boolean;
  from?: string;
  to?: string;
  type?: string;
  channelId?: string;
  q?: string;
}

/**
 * The alarm log as the real-time alarm console reads it (R8): new rows by id (the feed), a channel-scoped list, and
 * acknowledgement. Writers keep using `LogRepo.appendAlarm`; the feed picks their rows up by id.
 */
export class AlarmRepo {
  constructor(private readonly db: Kysely<DB>) {}

  private base() {
    return this.db
      .selectFrom('alarm_logs as a')
      .leftJoin('channels as c', 'c.id', 'a.channel_id')
      .leftJoin('devices as d', 'd.id', 'a.device_id')
      .select([
        'a.id',
        'a.at',
        'a.device_id',
        'a.channel_id',
        'a.alarm_type',
        'a.priority',
        'a.method',
        'a.description',
        'a.longitude',
        'a.latitude',
        'a.acked_by',
        'a.acked_at',
        'a.ack_comment',
        'c.name as channel_name',
        'c.org_id as org_id',
        'd.name as device_name',
      ]);
  }

  private static item(r: any): AlarmItem {
    return {
      id: Number(r.id),
      at: r.at,
      deviceId: r.device_id,
      deviceName: r.device_name ?? null,
      channelId: r.channel_id,
      channelName: r.channel_name ?? null,
      orgId: r.org_id ?? null,
      alarmType: r.alarm_type,
      priority: r.priority === null ? null : Number(r.priority),
      method: r.method,
      description: r.description,
      longitude: r.longitude === null ? null : Number(r.longitude),
      latitude: r.latitude === null ? null : Number(r.latitude),
      ackedBy: r.acked_by,
      ackedAt: r.acked_at,
      ackComment: r.ack_comment,
    };
  }

  async maxId(): Promise<number> {
    const r = await this.db.selectFrom('alarm_logs').select((eb) => eb.fn.max('id').as('m')).executeTakeFirst();
    return Number(r?.m ?? 0);
  }

  /** Rows written after `afterId`, oldest first. */
  async since(afterId: number, limit = 500): Promise<AlarmItem[]> {
    const rows = await this.base().where('a.id', '>', afterId).orderBy('a.id').limit(limit).execute();
    return rows.map(AlarmRepo.item);
  }

  /**
   * Alarms the scope may see, newest first: channel alarms of visible channels; alarms without a channel (device
   * offline, platform storage) only for a scope of all channels.
   */
  async list(scope: ChannelScope, f: AlarmFilter): Promise<Page<AlarmItem>> {
    const { page, pageSize, offset } = pageBounds(f);
    let q = this.base();
    if (!scope.all) {
      q = q.where('a.channel_id', 'in', (eb) =>
        eb
          .selectFrom('channels')
          .select('channels.id')
          .where((ceb) => channelInScope(ceb as never, scope)),
      );
    }
    if (f.acked === true) q = q.where('a.acked_at', 'is not', null);
    if (f.acked === false) q = q.where('a.acked_at', 'is', null);
    if (f.from) q = q.where('a.at', '>=', f.from);
    if (f.to) q = q.where('a.at', '<=', f.to);
    if (f.type) q = q.where('a.alarm_type', '=', f.type);
    if (f.channelId) q = q.where('a.channel_id', '=', f.channelId);
    if (f.q) {
      const p = likePattern(f.q);
      q = q.where((eb) =>
        eb.or([
          sql<boolean>`lower(coalesce(a.description, '')) like ${p} escape '\\'`,
          sql<boolean>`lower(coalesce(a.device_id, '')) like ${p} escape '\\'`,
          sql<boolean>`lower(coalesce(a.channel_id, '')) like ${p} escape '\\'`,
          sql<boolean>`lower(coalesce(c.name, '')) like ${p} escape '\\'`,
        ]),
      );
    }
    const [{ n }] = await q.clearSelect().select((eb) => eb.fn.countAll().as('n')).execute();
    const rows = await q.orderBy('a.id', 'desc').limit(pageSize).offset(offset).execute();
    return { items: rows.map(AlarmRepo.item), total: toCount(n), page, pageSize };
  }

  async get(id: number): Promise<AlarmItem | undefined> {
    const r = await this.base().where('a.id', '=', id).executeTakeFirst();
    return r ? AlarmRepo.item(r) : undefined;
  }

  /** Acknowledges an open alarm; false when it was already acknowledged (or does not exist). */
  async ack(id: number, by: string, at: string, comment: string | null): Promise<boolean> {
    const r = await this.db
      .updateTable('alarm_logs')
      .set({ acked_by: by, acked_at: at, ack_comment: comment })
      .where('id', '=', id)
      .where('acked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}

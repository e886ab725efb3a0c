import { channelVisible, type Principal } from '../auth/access.js';
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../store/index.js';
import type { AlarmFilter, AlarmItem } from '../store/repos/alarms.js';
import type { Page } from '../store/paging.js';

/** Ids looked at again on every read (PostgreSQL sequences may commit out of order). */
const LOOKBACK = 20;

export interface AlarmFeedSettings {
  /** how often the alarm log is read for new rows */
  pollMs: number;
}

/**
 * Real-time alarms for the console (R8). Every alarm source writes the alarm log (GB/T 28181 alarms, device offline,
 * video loss, the platform's own storage and recording alerts); this feed reads new rows by id a few times a second
 * and pushes each as `alarm.raised` to the consoles of users with `alarm.handle` who may see the alarm's channel
 * (alarms without a channel — a device offline, a platform alert — go to users who see all channels). Reading the
 * log rather than hooking each writer catches every source, and works the same with several control nodes sharing
 * one database. Acknowledgement (who, when, comment) is written to the same row and pushed as `alarm.acked`.
 */
export class AlarmFeed {
  private lastId = 0;
  private readonly seen = new Set<number>();
  private timer?: NodeJS.Timeout;
  private polling = false;
  readonly settings: AlarmFeedSettings;

  constructor(private readonly d: { store: Store; bus: EventBus; clock: Clock; log: Logger; settings?: Partial<AlarmFeedSettings> }) {
    this.settings = { pollMs: 300, ...d.settings };
  }

  async start(): Promise<void> {
    this.lastId = await this.d.store.alarms.maxId();
    // rows already written are not news: remember the look-back window's ids so the first read skips them
    for (const a of await this.d.store.alarms.since(Math.max(0, this.lastId - LOOKBACK), LOOKBACK)) this.seen.add(a.id);
    this.timer = setInterval(() => void this.poll(), this.settings.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private target(a: AlarmItem) {
    return { channel: a.channelId ? { id: a.channelId, orgId: a.orgId } : undefined, deviceId: a.deviceId ?? 'platform' };
  }

  /** Pushes rows written since the last look. */
  async poll(): Promise<number> {
    if (this.polling) return 0;
    this.polling = true;
    try {
      // PostgreSQL may commit ids out of order: look back a little and skip what was already pushed
      const rows = await this.d.store.alarms.since(Math.max(0, this.lastId - LOOKBACK), 1000);
      let n = 0;
      for (const a of rows) {
        if (this.seen.has(a.id) || a.id <= this.lastId - LOOKBACK) continue;
        this.seen.add(a.id);
        this.lastId = Math.max(this.lastId, a.id);
        this.d.bus.emit('event', { type: 'alarm.raised', at: a.at, permission: 'alarm.handle', ...this.target(a), data: a });
        n++;
      }
      for (const id of this.seen) if (id <= this.lastId - LOOKBACK) this.seen.delete(id);
      return n;
    } catch (e) {
      this.d.log.warn({ err: (e as Error).message }, 'alarm feed read failed');
      return 0;
    } finally {
      this.polling = false;
    }
  }

  private visible(p: Principal, a: AlarmItem): boolean {
    return a.channelId ? channelVisible(p, { id: a.channelId, orgId: a.orgId }) : p.scope.all;
  }

  list(p: Principal, f: AlarmFilter): Promise<Page<AlarmItem>> {
    return this.d.store.alarms.list(p.scope, f);
  }

  async get(p: Principal, id: number): Promise<AlarmItem> {
    const a = await this.d.store.alarms.get(id);
    if (!a || !this.visible(p, a)) throw new AppError('NOT_FOUND', `alarm ${id} not found (报警不存在或无权限)`);
    return a;
  }

  /** Acknowledges (处理) an alarm with a comment; a second acknowledgement is refused. */
  async ack(p: Principal, id: number, comment: string | null): Promise<AlarmItem> {
    const a = await this.get(p, id);
    const at = this.d.clock.now().toISOString();
    if (!(await this.d.store.alarms.ack(id, p.username, at, comment))) {
      throw new AppError('ALARM_ALREADY_ACKED', `alarm ${id} was acknowledged by ${a.ackedBy ?? '?'} at ${a.ackedAt ?? '?'} (报警已处理)`, { ackedBy: a.ackedBy, ackedAt: a.ackedAt });
    }
    const done = (await this.d.store.alarms.get(id))!;
    this.d.bus.emit('event', { type: 'alarm.acked', at, permission: 'alarm.handle', ...this.target(done), data: { id, ackedBy: done.ackedBy, ackedAt: done.ackedAt, ackComment: done.ackComment } });
    return done;
  }
}

import { isAppError } from '../core/errors.js';
import { Limiter } from '../core/limiter.js';
import type { Logger } from '../core/logger.js';
import { formatLocalDateTime, parseLocalTime, zonedParts } from '../core/time.js';
import type { GbService } from '../gb28181/service.js';
import type { Store } from '../store/index.js';
import { ALL_CHANNELS } from '../store/scope.js';
import type { DeviceRecords } from './device-records.js';

const DAY = 86_400_000;
export const RETENTION_ALARM = 'platform_device_retention_short';

export interface RetentionRow {
  channelId: string;
  deviceId: string;
  name: string;
  /** the oldest recording the device reported within the look-back window */
  oldest: string | null;
  /** days from the oldest recording to the check, one decimal */
  daysHeld: number | null;
  /** true: holds the required days; false: fewer; null: not known (device offline, no answer) */
  ok: boolean | null;
  error?: { code: string; message: string };
  /** RecordInfo queries this channel took (windows asked until recordings were found) */
  queries: number;
  checkedAt: string;
}

export interface RetentionReport {
  running: boolean;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  requiredDays: number;
  lookbackDays: number;
  /** the next scheduled run (null when the daily run is off) */
  nextRunAt: string | null;
  summary: { channels: number; ok: number; short: number; unknown: number; alarms: number };
  channels: RetentionRow[];
}

export interface RetentionSettings {
  tz: string;
  /** days every channel must hold on its device (R16: 30) */
  requiredDays: number;
  /** how far back the devices are asked (31: a device holding exactly 30 days shows its oldest file) */
  lookbackDays: number;
  /** devices asked at once; the channels of one device are asked one after another */
  concurrency: number;
  /** daily run at this local time (`HH:MM` in SHARPEYE_TZ); null = only on demand */
  at: string | null;
  /** a channel is still ok when its oldest recording is this much younger than requiredDays (devices roll files hourly) */
  graceMs: number;
}

/** Windows asked oldest first, in days before now: the first one with recordings holds the oldest (few, small answers). */
function windows(lookbackDays: number): Array<[number, number]> {
  const edges = [lookbackDays, lookbackDays - 1, lookbackDays - 3, lookbackDays - 7, lookbackDays - 15, 0].filter((d, i, a) => d >= 0 && (i === 0 || d < a[i - 1]));
  const out: Array<[number, number]> = [];
  for (let i = 0; i + 1 < edges.length; i++) out.push([edges[i], edges[i + 1]]);
  return out;
}

/**
 * The 30-day check (R16, issue 8): each GB channel's device is asked (RecordInfo, rate-limited) for its recordings of
 * the last `lookbackDays`, oldest window first, and the oldest recording gives the days held. Channels below
 * `requiredDays` are reported and get one alarm-log entry (`platform_device_retention_short`) per local day. Runs
 * daily at `at` and on demand; the last report is kept in memory (a restart runs it again at the next schedule).
 */
export class DeviceRetentionCheck {
  private last?: RetentionReport;
  private running?: Promise<RetentionReport>;
  private timer?: NodeJS.Timeout;
  private nextAt?: number;
  private progress?: RetentionRow[];

  constructor(private readonly d: { store: Store; gb?: GbService; records: DeviceRecords; log: Logger; settings: RetentionSettings }) {}

  start(): void {
    this.arm();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    clearTimeout(this.timer);
    const at = this.d.settings.at;
    if (!at) return;
    const now = Date.now();
    const p = zonedParts(new Date(now), this.d.settings.tz);
    let next = parseLocalTime(`${p.y}-${p.mo}-${p.da}T${at}:00`, this.d.settings.tz);
    // the next local day at the same wall time (never assume 24 h days of the machine's zone)
    for (let i = 0; next <= now + 1000 && i < 3; i++) {
      const q = zonedParts(new Date(next + DAY / 2 + i * DAY), this.d.settings.tz);
      next = parseLocalTime(`${q.y}-${q.mo}-${q.da}T${at}:00`, this.d.settings.tz);
    }
    this.nextAt = next;
    // timers are capped at 2^31 ms; a day fits
    this.timer = setTimeout(() => {
      void this.run()
        .catch((e) => this.d.log.error({ err: e }, 'device retention check failed'))
        .finally(() => this.arm());
    }, Math.max(1000, next - now));
    this.timer.unref?.();
  }

  report(): RetentionReport {
    if (this.running && this.progress) return { ...this.base(), running: true, channels: [...this.progress], summary: summarise(this.progress, 0) };
    return this.last ? { ...this.last, running: !!this.running, nextRunAt: this.nextAt ? new Date(this.nextAt).toISOString() : null } : { ...this.base(), running: !!this.running, channels: [], summary: summarise([], 0) };
  }

  private base(): Omit<RetentionReport, 'running' | 'channels' | 'summary'> {
    return { startedAt: null, finishedAt: null, durationMs: null, requiredDays: this.d.settings.requiredDays, lookbackDays: this.d.settings.lookbackDays, nextRunAt: this.nextAt ? new Date(this.nextAt).toISOString() : null };
  }

  /** Runs the check now (a run already going is joined). */
  run(): Promise<RetentionReport> {
    this.running ??= this.check().finally(() => {
      this.running = undefined;
      this.progress = undefined;
    });
    return this.running;
  }

  private async check(): Promise<RetentionReport> {
    const s = this.d.settings;
    const t0 = Date.now();
    const startedAt = new Date(t0).toISOString();
    const channels = await this.gbChannels();
    const byDevice = new Map<string, typeof channels>();
    for (const c of channels) byDevice.set(c.deviceId, [...(byDevice.get(c.deviceId) ?? []), c]);
    const rows: RetentionRow[] = [];
    this.progress = rows;
    const limiter = new Limiter(Math.max(1, s.concurrency));
    await Promise.all(
      [...byDevice.entries()].map(([deviceId, chans]) =>
        limiter.run(async () => {
          for (const c of chans) rows.push(await this.checkChannel(deviceId, c.id, c.name, t0));
        }),
      ),
    );
    rows.sort((a, b) => a.channelId.localeCompare(b.channelId));
    const alarms = await this.alarm(rows.filter((r) => r.ok === false));
    const report: RetentionReport = {
      running: false,
      startedAt,
      finishedAt: new Date().toISOString(),
      durationMs: Date.now() - t0,
      requiredDays: s.requiredDays,
      lookbackDays: s.lookbackDays,
      nextRunAt: this.nextAt ? new Date(this.nextAt).toISOString() : null,
      summary: summarise(rows, alarms),
      channels: rows,
    };
    this.last = report;
    this.d.log.info({ ...report.summary, durationMs: report.durationMs }, 'device retention check done');
    return report;
  }

  private async gbChannels(): Promise<Array<{ id: string; deviceId: string; name: string }>> {
    const out: Array<{ id: string; deviceId: string; name: string }> = [];
    for (let page = 1; ; page++) {
      const p = await this.d.store.channels.list(ALL_CHANNELS, { page, pageSize: 1000 });
      for (const c of p.items) if (c.sourceType === 'gb') out.push({ id: c.id, deviceId: c.deviceId, name: c.name });
      if (page * 1000 >= p.total || !p.items.length) break;
    }
    return out;
  }

  private async checkChannel(deviceId: string, channelId: string, name: string, now: number): Promise<RetentionRow> {
    const s = this.d.settings;
    const row: RetentionRow = { channelId, deviceId, name, oldest: null, daysHeld: null, ok: null, queries: 0, checkedAt: new Date().toISOString() };
    try {
      if (!this.d.gb) throw Object.assign(new Error('GB/T 28181 signalling is not running on this node'), { code: 'FEATURE_UNAVAILABLE' });
      this.d.gb.outbound.session(deviceId);
      let oldest: number | undefined;
      for (const [fromDays, toDays] of windows(s.lookbackDays)) {
        row.queries++;
        const r = await this.d.records.search(deviceId, channelId, now - fromDays * DAY, now - toDays * DAY, { fresh: true });
        if (r.items.length) {
          oldest = r.items[0].startMs;
          break;
        }
      }
      row.checkedAt = new Date().toISOString();
      if (oldest === undefined) {
        row.daysHeld = 0;
        row.ok = false;
      } else {
        row.oldest = new Date(oldest).toISOString();
        row.daysHeld = Math.floor(((now - oldest) / DAY) * 10) / 10;
        row.ok = oldest <= now - s.requiredDays * DAY + s.graceMs;
      }
    } catch (e) {
      row.error = { code: isAppError(e) ? e.code : ((e as { code?: string }).code ?? 'INTERNAL'), message: (e as Error).message };
    }
    return row;
  }

  /** One alarm-log entry per short channel per local day (restart-safe: today's entries are read back first). */
  private async alarm(short: RetentionRow[]): Promise<number> {
    if (!short.length) return 0;
    const { tz, requiredDays } = this.d.settings;
    const p = zonedParts(new Date(), tz);
    const dayStart = new Date(parseLocalTime(`${p.y}-${p.mo}-${p.da}T00:00:00`, tz)).toISOString();
    const today = await this.d.store.logs.queryAlarm({ type: RETENTION_ALARM, from: dayStart }, true);
    const done = new Set(today.items.map((a) => a.channelId));
    let n = 0;
    for (const r of short) {
      if (done.has(r.channelId)) continue;
      const oldest = r.oldest ? formatLocalDateTime(new Date(r.oldest), tz) : '无';
      await this.d.store.logs.appendAlarm({
        at: new Date().toISOString(),
        deviceId: r.deviceId,
        channelId: r.channelId,
        alarmType: RETENTION_ALARM,
        priority: 3,
        method: 'platform',
        description: `设备录像不足${requiredDays}天: ${r.name} 最早录像 ${oldest}, 保存 ${r.daysHeld ?? 0} 天 (device holds ${r.daysHeld ?? 0} days of recordings, fewer than ${requiredDays})`,
      });
      n++;
    }
    return n;
  }
}

function summarise(rows: RetentionRow[], alarms: number): RetentionReport['summary'] {
  return { channels: rows.length, ok: rows.filter((r) => r.ok === true).length, short: rows.filter((r) => r.ok === false).length, unknown: rows.filter((r) => r.ok === null).length, alarms };
}

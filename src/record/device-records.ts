import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { formatLocalTime, parseLocalTime } from '../core/time.js';
import type { GbService } from '../gb28181/service.js';
import type { RecordItem } from '../lib/manscdp/index.js';
import type { RecordSpan } from './spans.js';

/** A device recording span: neighbouring device files merged, with what kinds of recording they are. */
export interface DeviceSpan extends RecordSpan {
  source: 'device';
  /** RecordInfo Type of the files in the span: time / alarm / manual … */
  types: string[];
  files: number;
}

export interface DeviceSearch {
  channelId: string;
  items: DeviceSpan[];
  /** false: the device sent fewer items than its SumNum (paged answer cut short; waited for a quiet spell) */
  complete: boolean;
  /** SumNum the device announced */
  sumNum: number | null;
  /** items received (duplicates across pages counted once) */
  received: number;
  /** items left out: unparsable times, end before start, outside the range */
  dropped: number;
  /** MESSAGEs the answer came in */
  messages: number;
  /** ms from the query to the last page (0 from the cache) */
  queryMs: number;
  /** served from the short cache */
  cached: boolean;
  /** when the device was asked */
  at: string;
}

export interface DeviceRecordSettings {
  /** SHARPEYE_TZ: device times are local times without offset */
  tz: string;
  /** how long an answer is reused for the same channel and range (default 30 s; incomplete answers 5 s) */
  cacheMs?: number;
  /** no answer at all within this → DEVICE_TIMEOUT (default 15 s) */
  timeoutMs?: number;
  /** a paged answer that stops short of SumNum is returned after this quiet time (default 3 s) */
  idleMs?: number;
  /** device files closer than this are one span (default 2 s: files of a continuous recording roll over) */
  joinMs?: number;
}

const MAX_CACHE = 1000;

/**
 * Device-side recording search (R5, issue 8): RecordInfo (GB/T 28181-2016 §9.7, A.2.4.5, Type `all`) to the channel,
 * paged answers merged by the pending-query layer (same SN, SumNum; duplicates and out-of-order pages handled; a
 * broken SumNum ends after a quiet spell with `complete: false`), device local times read in SHARPEYE_TZ, files
 * merged into spans. Answers are cached briefly per channel and range, and identical searches in flight share one
 * query, so a console refreshing a timeline does not flood a device.
 */
export class DeviceRecords {
  private readonly cache = new Map<string, { until: number; value: DeviceSearch }>();
  private readonly inflight = new Map<string, Promise<DeviceSearch>>();
  private readonly cacheMs: number;
  private readonly timeoutMs: number;
  private readonly idleMs: number;
  private readonly joinMs: number;

  constructor(private readonly d: { gb: GbService; log: Logger; settings: DeviceRecordSettings }) {
    this.cacheMs = d.settings.cacheMs ?? 30_000;
    this.timeoutMs = d.settings.timeoutMs ?? 15_000;
    this.idleMs = d.settings.idleMs ?? 3000;
    this.joinMs = d.settings.joinMs ?? 2000;
  }

  /** Spans of the device's own recordings of `channelId` (on device `deviceId`) in [startMs, endMs). */
  async search(deviceId: string, channelId: string, startMs: number, endMs: number, opts: { fresh?: boolean } = {}): Promise<DeviceSearch> {
    // the device speaks whole seconds: a range is asked and cached by its seconds
    const from = Math.floor(startMs / 1000) * 1000;
    const to = Math.ceil(endMs / 1000) * 1000;
    const key = `${deviceId}/${channelId}/${from}/${to}`;
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now && !opts.fresh) return { ...hit.value, cached: true, queryMs: 0 };
    const running = this.inflight.get(key);
    if (running) return running;
    const p = this.ask(deviceId, channelId, from, to)
      .then((v) => {
        this.cache.set(key, { until: Date.now() + (v.complete ? this.cacheMs : Math.min(this.cacheMs, 5000)), value: v });
        if (this.cache.size > MAX_CACHE) this.prune();
        return v;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private prune(): void {
    const now = Date.now();
    for (const [k, v] of this.cache) if (v.until <= now || this.cache.size > MAX_CACHE) this.cache.delete(k);
  }

  private async ask(deviceId: string, channelId: string, startMs: number, endMs: number): Promise<DeviceSearch> {
    const { tz } = this.d.settings;
    const t0 = performance.now();
    const at = new Date().toISOString();
    const r = await this.d.gb.query(
      deviceId,
      'RecordInfo',
      { StartTime: formatLocalTime(new Date(startMs), tz), EndTime: formatLocalTime(new Date(endMs), tz), Secrecy: 0, Type: 'all' },
      { target: channelId, timeoutMs: this.timeoutMs, idleMs: this.idleMs },
    );
    const items = r.items as RecordItem[];
    const files: Array<{ startMs: number; endMs: number; type: string; size: number | null }> = [];
    let dropped = 0;
    for (const it of items) {
      const a = parseLocalTime(it.startTime, tz);
      const b = parseLocalTime(it.endTime, tz);
      if (!Number.isFinite(a) || !Number.isFinite(b) || b <= a) {
        dropped++;
        continue;
      }
      const s = Math.max(a, startMs);
      const e = Math.min(b, endMs);
      if (e <= s) {
        dropped++;
        continue;
      }
      files.push({ startMs: s, endMs: e, type: (it.type ?? 'time').trim() || 'time', size: it.fileSize });
    }
    if (dropped) this.d.log.debug({ deviceId, channelId, dropped }, 'RecordInfo items left out (bad times or outside the range)');
    return {
      channelId,
      items: mergeDeviceFiles(files, this.joinMs),
      complete: r.complete,
      sumNum: r.sumNum ?? null,
      received: items.length,
      dropped,
      messages: r.parts.length,
      queryMs: Math.round(performance.now() - t0),
      cached: false,
      at,
    };
  }
}

/** Files (any order, overlapping or not) → spans; files at most `joinMs` apart are one span. */
export function mergeDeviceFiles(files: Array<{ startMs: number; endMs: number; type: string; size: number | null }>, joinMs: number): DeviceSpan[] {
  const sorted = [...files].sort((x, y) => x.startMs - y.startMs || x.endMs - y.endMs);
  const out: Array<DeviceSpan & { typeSet: Set<string> }> = [];
  let cur: (DeviceSpan & { typeSet: Set<string> }) | undefined;
  for (const f of sorted) {
    if (cur && f.startMs <= cur.endMs + joinMs) {
      cur.endMs = Math.max(cur.endMs, f.endMs);
      cur.files++;
      cur.typeSet.add(f.type);
      if (f.size !== null && cur.bytes !== undefined) cur.bytes += f.size;
      else cur.bytes = undefined;
      continue;
    }
    if (cur) out.push(cur);
    cur = { start: '', end: '', startMs: f.startMs, endMs: f.endMs, source: 'device', types: [], files: 1, typeSet: new Set([f.type]), ...(f.size !== null ? { bytes: f.size } : {}) };
  }
  if (cur) out.push(cur);
  return out.map(({ typeSet, ...sp }) => ({ ...sp, start: new Date(sp.startMs).toISOString(), end: new Date(sp.endMs).toISOString(), types: [...typeSet].sort() }));
}

/** The device answering for a channel must be registered: the typed error names it. */
export function deviceOf(channel: { id: string; deviceId: string; sourceType: string }): string {
  if (channel.sourceType !== 'gb') throw new AppError('UNSUPPORTED_BY_DEVICE', `channel ${channel.id} is not a GB/T 28181 channel (${channel.sourceType}): it has no device recordings to search`);
  return channel.deviceId;
}

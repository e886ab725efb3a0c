import type { Clock } from '../../core/clock.js';
import type { EventBus } from '../../core/events.js';
import type { Logger } from '../../core/logger.js';
import type { LiveService } from '../../live/live-service.js';
import type { MediaNode } from '../../media/node.js';
import type { Store } from '../../store/index.js';
import type { ChannelScope } from '../../store/scope.js';
import { AvailabilityAccountant } from './accountant.js';
import { AvailabilityStore, type AvailabilityLevel } from './availability-store.js';
import { localDay } from './days.js';
import { AvailabilityProber, type ProbeSettings } from './prober.js';

export interface AvailabilitySettings extends ProbeSettings {
  /** target availability, percent (the dashboard marks orgs and channels below it) */
  targetPercent: number;
  /**
   * real-time periods (tests drive them by hand): a full presence read (a safety net: presence events already
   * refresh the channels they name), a look at the running streams, a write of the booked time, a probe round
   */
  tickMs?: number;
  evidenceMs?: number;
  flushMs?: number;
  probeEveryMs?: number;
  /**
   * the first probe round waits this long after start (default 2 min): after a restart devices re-register in a
   * burst, and probing them then would add an INVITE storm to the REGISTER storm
   */
  probeStartDelayMs?: number;
}

/** Events after which presence changed: book the time up to now at once so transitions land on the right side. */
const PRESENCE_EVENTS = new Set(['device.online', 'device.offline', 'device.catalog', 'device.deleted', 'channel.online', 'channel.offline', 'channel.deleted', 'channel.created', 'channel.updated']);

/**
 * Availability (完好率, R15): the accountant books time per channel and day, the rotating probe supplies video
 * evidence for channels nobody watches, the store answers reports. Timers are real time; all booking uses the clock.
 */
/** Presence changes are booked within this (the accuracy of the online/offline moment). */
const PRESENCE_BOOKING_MS = 5_000;
/** more devices and channels than this changed at once (a storm): one full read is cheaper than many small ones */
const PARTIAL_REFRESH_MAX = 2_000;

export class AvailabilityService {
  /** the booking of presence changes waiting to run */
  private soon?: NodeJS.Timeout;
  readonly repo: AvailabilityStore;
  readonly accountant: AvailabilityAccountant;
  readonly prober?: AvailabilityProber;
  private timers: NodeJS.Timeout[] = [];
  private off?: () => void;

  constructor(
    private readonly d: { store: Store; media?: MediaNode; live?: LiveService; bus: EventBus; clock: Clock; log: Logger; tz: string; settings: AvailabilitySettings },
  ) {
    this.repo = new AvailabilityStore(d.store.database.db);
    this.accountant = new AvailabilityAccountant({ store: d.store, repo: this.repo, media: d.media, clock: d.clock, tz: d.tz, log: d.log });
    if (d.live && d.media && d.settings.concurrency > 0) {
      this.prober = new AvailabilityProber({ store: d.store, live: d.live, media: d.media, accountant: this.accountant, clock: d.clock, log: d.log, settings: d.settings });
    }
  }

  get settings(): Readonly<AvailabilitySettings> {
    return this.d.settings;
  }

  get tz(): string {
    return this.d.tz;
  }

  async start(): Promise<void> {
    await this.accountant.tick();
    // Presence changes are booked at most every 5 s, reading only the devices and channels the events named: a
    // full read per event made a register storm of 20,000 devices cost 20,000 scans of every channel.
    const devices = new Set<string>();
    const channels = new Set<string>();
    this.off = this.d.bus.on('event', (e) => {
      if (!PRESENCE_EVENTS.has(e.type)) return;
      if (e.channel?.id) channels.add(e.channel.id);
      else if (e.deviceId) devices.add(e.deviceId);
      if (this.soon) return;
      this.soon = setTimeout(() => {
        this.soon = undefined;
        const d = [...devices];
        const c = [...channels];
        devices.clear();
        channels.clear();
        void (d.length + c.length > PARTIAL_REFRESH_MAX || (!d.length && !c.length) ? this.accountant.tick() : this.accountant.refresh(d, c));
      }, PRESENCE_BOOKING_MS);
      this.soon.unref();
    });
    const every = (ms: number, fn: () => Promise<unknown>) => {
      const t = setInterval(() => void fn().catch((err) => this.d.log.warn({ err }, 'availability timer failed')), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.d.settings.tickMs ?? 300_000, () => this.accountant.tick());
    every(this.d.settings.evidenceMs ?? 30_000, () => this.accountant.evidence());
    // booked time lives in memory until written (every 10 min, at stop and before every report): a crash loses at
    // most that much observation, counted neither up nor down
    every(this.d.settings.flushMs ?? 600_000, () => this.accountant.flush());
    if (this.prober) {
      const first = setTimeout(() => every(this.d.settings.probeEveryMs ?? 10_000, () => this.prober!.runOnce()), this.d.settings.probeStartDelayMs ?? 120_000);
      first.unref();
      this.timers.push(first);
    }
  }

  async stop(): Promise<void> {
    if (this.soon) clearTimeout(this.soon);
    this.soon = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    this.off?.();
    this.prober?.stop();
    await this.accountant.tick();
    await this.accountant.flush().catch((err) => this.d.log.error({ err }, 'availability flush at stop failed'));
  }

  /** Books everything up to now and writes it, so a report includes this very moment. */
  async settle(): Promise<void> {
    await this.accountant.tick();
    await this.accountant.flush();
  }

  now(): Date {
    return this.d.clock.now();
  }

  today(): string {
    return localDay(this.d.clock.now().getTime(), this.d.tz);
  }

  async report(level: AvailabilityLevel, from: string, to: string, scope: ChannelScope, q: { page?: number; pageSize?: number; orgId?: string; below?: number } = {}) {
    await this.settle();
    return this.repo.report(level, from, to, scope, q);
  }
}

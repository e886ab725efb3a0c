import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../store/index.js';

export interface TrackSettings {
  /** a channel's points closer together than this are thinned out */
  minIntervalMs: number;
  /** points older than this are removed */
  keepDays: number;
}

/**
 * Mobile-position tracks (GB/T 28181 MobilePosition NOTIFY of type-138 devices): each `channel.position` event the
 * signalling raises becomes a point of that channel's track, thinned to one per `minIntervalMs`, kept `keepDays`.
 */
export class TrackRecorder {
  private readonly last = new Map<string, number>();
  private off?: () => void;
  private purgeTimer?: NodeJS.Timeout;
  readonly settings: TrackSettings;

  constructor(private readonly d: { store: Store; bus: EventBus; clock: Clock; log: Logger; settings?: Partial<TrackSettings> }) {
    this.settings = { minIntervalMs: 2000, keepDays: 30, ...d.settings };
  }

  start(): void {
    this.off = this.d.bus.on('event', (e) => {
      if (e.type !== 'channel.position') return;
      const p = e.data as { id?: string; longitude?: number; latitude?: number; speed?: number | null; direction?: number | null };
      if (!p?.id || typeof p.longitude !== 'number' || typeof p.latitude !== 'number') return;
      const t = Date.parse(e.at);
      if (t - (this.last.get(p.id) ?? -Infinity) < this.settings.minIntervalMs) return;
      this.last.set(p.id, t);
      void this.d.store.map
        .addTrackPoint(p.id, { at: e.at, lng: p.longitude, lat: p.latitude, speed: p.speed ?? null, direction: p.direction ?? null })
        .catch((err) => this.d.log.warn({ channel: p.id, err: (err as Error).message }, 'track point not stored'));
    });
    this.purgeTimer = setInterval(() => void this.purge(), 3_600_000);
    this.purgeTimer.unref();
  }

  async purge(): Promise<number> {
    const cutoff = new Date(this.d.clock.now().getTime() - this.settings.keepDays * 86_400_000).toISOString();
    return this.d.store.map.purgeTracksBefore(cutoff).catch(() => 0);
  }

  stop(): void {
    this.off?.();
    clearInterval(this.purgeTimer);
  }
}

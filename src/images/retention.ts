import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { formatLocalTime, parseLocalTime } from '../core/time.js';
import type { Store } from '../store/index.js';
import { filesOf } from '../store/repos/image-captures.js';
import type { ImageFiles } from './image-files.js';

const DAY_MS = 86_400_000;

export interface RetentionResult {
  faces: number;
  vehicles: number;
  /** expired captures kept because they still wait to be forwarded */
  keptQueued: number;
  files: number;
}

/**
 * Image retention (like recordings, issue 7): captures received more than `days` ago are deleted with their files,
 * except those still waiting in a forwarding queue (nothing undelivered is lost). Files go first, then the rows, so
 * a crash in between leaves rows whose files are gone (answered 404, deleted next run), never unreferenced files.
 * Day directories older than the cutoff that hold no indexed capture any more (files a crash left between writing
 * and indexing) are removed whole. Expired appIdentityKeys are forgotten a day after they ended.
 */
export class ImageRetention {
  private timer: NodeJS.Timeout | undefined;
  private first: NodeJS.Timeout | undefined;
  private running: Promise<RetentionResult> | null = null;

  constructor(private readonly o: { store: Store; files: ImageFiles; clock: Clock; tz: string; days: number; log: Logger; intervalMs?: number }) {}

  start(): void {
    this.timer = setInterval(() => void this.run().catch((e) => this.o.log.error({ err: e }, 'image retention failed')), this.o.intervalMs ?? 3600_000);
    this.timer.unref();
    this.first = setTimeout(() => void this.run().catch((e) => this.o.log.error({ err: e }, 'image retention failed')), 60_000);
    this.first.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.first);
  }

  run(): Promise<RetentionResult> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<RetentionResult> {
    const { store, files } = this.o;
    const now = this.o.clock.now().getTime();
    const cutoff = new Date(now - this.o.days * DAY_MS).toISOString();
    const out: RetentionResult = { faces: 0, vehicles: 0, keptQueued: 0, files: 0 };
    for (const kind of ['face', 'car'] as const) {
      const repo = kind === 'face' ? store.images.faces : store.images.vehicles;
      let after: { receivedAt: string; id: string } | undefined;
      for (;;) {
        const rows = await repo.expired(cutoff, 500, after);
        if (!rows.length) break;
        const last = rows[rows.length - 1];
        after = { receivedAt: last.received_at, id: last.id };
        const queued = await store.images.queue.queuedOf(rows.map((r) => r.id));
        const gone = rows.filter((r) => !queued.has(r.id));
        out.keptQueued += rows.length - gone.length;
        if (!gone.length) continue;
        out.files += await files.remove(gone.flatMap((r) => filesOf(kind, r as never)));
        await repo.deleteIds(gone.map((r) => r.id));
        if (kind === 'face') out.faces += gone.length;
        else out.vehicles += gone.length;
      }
      // day directories before the cutoff day: prune empty ones, remove those no capture refers to any more
      const cutDay = formatLocalTime(new Date(now - this.o.days * DAY_MS), this.o.tz).slice(0, 10);
      for (const day of await files.days(kind)) {
        if (day >= cutDay) break;
        const from = parseLocalTime(`${day} 00:00:00`, this.o.tz);
        const still = await repo.anyReceivedBetween(new Date(from).toISOString(), new Date(from + DAY_MS).toISOString());
        if (still) await files.pruneDay(kind, day);
        else await files.removeDay(kind, day);
      }
    }
    await store.images.keys.purgeExpired(new Date(now - DAY_MS).toISOString());
    if (out.faces || out.vehicles) this.o.log.info({ ...out, days: this.o.days }, 'old face captures / vehicle passes removed by retention');
    return out;
  }
}

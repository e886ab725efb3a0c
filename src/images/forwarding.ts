import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../core/secrets.js';
import type { Store } from '../store/index.js';
import type { ImageTarget, QueueStats } from '../store/repos/image-forward.js';
import { DEFAULT_FORWARDER_OPTIONS, TargetRunner, type ForwarderOptions, type TargetRuntime } from './forwarder.js';
import type { ImageFiles } from './image-files.js';
import type { SeedKind } from './seed-protocol.js';

export interface TargetStatus extends Omit<ImageTarget, 'lastError' | 'lastErrorAt'>, TargetRuntime {
  queue: QueueStats & { lagSeconds: number };
}

/**
 * Every bureau target and its runner. Targets come from the database (reloaded when the API changes them and every
 * 30 s for changes made on another node); the ingest asks which targets take a kind (paused ones too: their queue
 * keeps filling so nothing is lost while forwarding is paused).
 */
export class Forwarding {
  private readonly runners = new Map<string, TargetRunner>();
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> = Promise.resolve();
  private readonly opts: ForwarderOptions;

  constructor(
    private readonly o: { store: Store; files: ImageFiles; secrets: SecretBox; clock: Clock; tz: string; log: Logger; opts?: Partial<ForwarderOptions> },
  ) {
    this.opts = { ...DEFAULT_FORWARDER_OPTIONS, ...o.opts };
  }

  async start(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => void this.reload().catch((e) => this.o.log.error({ err: e }, 'reloading image targets failed')), 30_000);
    this.timer.unref();
  }

  /** Re-reads the targets; a changed target gets a fresh runner (the old one finishes what it is sending first). */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(() => this.doReload());
    return this.reloading;
  }

  private async doReload(): Promise<void> {
    const targets = await this.o.store.images.targets.list();
    const ids = new Set(targets.map((t) => t.id));
    for (const [id, r] of this.runners) {
      if (!ids.has(id)) {
        this.runners.delete(id);
        await r.stop();
      }
    }
    for (const t of targets) {
      const cur = this.runners.get(t.id);
      if (cur && cur.target.updatedAt === t.updatedAt) continue;
      if (cur) await cur.stop();
      let password = '';
      const sealed = await this.o.store.images.targets.passwordSealed(t.id);
      if (sealed) {
        try {
          password = this.o.secrets.open(sealed);
        } catch {
          this.o.log.error({ target: t.id }, 'bureau password cannot be opened (secret key changed?)');
        }
      }
      const r = new TargetRunner(t, password, { store: this.o.store, files: this.o.files, clock: this.o.clock, tz: this.o.tz, log: this.o.log.child({ target: t.id }), opts: this.opts });
      this.runners.set(t.id, r);
      r.start();
    }
  }

  targetIds(kind: SeedKind): string[] {
    return [...this.runners.values()].filter((r) => r.target.kind === kind).map((r) => r.target.id);
  }

  notify(kind: SeedKind, device: string): void {
    for (const r of this.runners.values()) if (r.target.kind === kind) r.wake(device);
  }

  async status(id?: string): Promise<TargetStatus[]> {
    const targets = await this.o.store.images.targets.list();
    const now = this.o.clock.now().getTime();
    const out: TargetStatus[] = [];
    for (const t of targets) {
      if (id && t.id !== id) continue;
      const r = this.runners.get(t.id);
      const q = await this.o.store.images.queue.stats(t.id);
      const extra = r?.unflushed() ?? { delivered: 0, resent: 0 };
      const rt: TargetRuntime = r?.runtime() ?? { state: t.enabled ? 'connecting' : 'paused', lastError: t.lastError, lastErrorAt: t.lastErrorAt, nextTryAt: null, clockOffsetMs: 0, keyAgeSeconds: null, keys: 0, inFlight: 0, authentications: 0, keepAlives: 0 };
      out.push({
        ...t,
        ...rt,
        delivered: t.delivered + extra.delivered,
        resent: t.resent + extra.resent,
        queue: { ...q, lagSeconds: q.oldest ? Math.max(0, Math.round((now - Date.parse(q.oldest)) / 1000)) : 0 },
      });
    }
    return out;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.reloading.catch(() => undefined);
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
    this.runners.clear();
  }
}

import type { Logger } from '../../core/logger.js';

export interface WebhookSettings {
  /** attempts per delivery (1 = no retry) */
  attempts: number;
  /** first back-off; doubled after each failure */
  backoffMs: number;
  /** per-request timeout */
  timeoutMs: number;
  /** deliveries waiting or retrying at once; the oldest is dropped beyond this */
  maxQueued: number;
}

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = { attempts: 5, backoffMs: 2000, timeoutMs: 5000, maxQueued: 1000 };

export interface WebhookStatus {
  url: string;
  delivered: number;
  failed: number;
  lastStatus?: number;
  lastError?: string;
  lastAt?: string;
}

/**
 * Alert notifications to webhooks: POST of a JSON body, retried with doubling back-off on a network error, a timeout
 * or a non-2xx answer. Runs beside the evaluator (send() returns at once), so a slow or dead receiver never delays
 * the alert loop; stop() abandons retries still waiting.
 */
export class WebhookSender {
  private readonly inflight = new Set<{ cancel(): void; done: Promise<void> }>();
  private readonly status = new Map<string, WebhookStatus>();
  private stopped = false;
  readonly settings: WebhookSettings;

  constructor(private readonly log: Logger, settings: Partial<WebhookSettings> = {}) {
    this.settings = { ...DEFAULT_WEBHOOK_SETTINGS, ...settings };
  }

  send(url: string, body: unknown): void {
    if (this.stopped) return;
    if (this.inflight.size >= this.settings.maxQueued) {
      const oldest = this.inflight.values().next().value;
      oldest?.cancel();
      this.log.warn({ url }, 'webhook queue full: oldest delivery dropped');
    }
    let timer: NodeJS.Timeout | undefined;
    let cancelled = false;
    let wake: () => void = () => undefined;
    const job = {
      cancel: () => {
        cancelled = true;
        clearTimeout(timer);
        wake();
      },
      done: Promise.resolve(),
    };
    const json = JSON.stringify(body);
    job.done = (async () => {
      let wait = this.settings.backoffMs;
      for (let attempt = 1; attempt <= this.settings.attempts && !cancelled; attempt++) {
        const st = this.entry(url);
        try {
          const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'sharpeye-alerts' }, body: json, signal: AbortSignal.timeout(this.settings.timeoutMs) });
          await res.arrayBuffer().catch(() => undefined);
          st.lastStatus = res.status;
          st.lastAt = new Date().toISOString();
          if (res.ok) {
            st.delivered++;
            delete st.lastError;
            return;
          }
          st.lastError = `HTTP ${res.status}`;
        } catch (e) {
          st.lastError = (e as Error).message;
          st.lastAt = new Date().toISOString();
        }
        if (attempt === this.settings.attempts) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, wait);
          timer.unref();
        });
        wait *= 2;
      }
      if (!cancelled) {
        const st = this.entry(url);
        st.failed++;
        this.log.warn({ url, error: st.lastError }, 'webhook delivery failed after retries');
      }
    })().finally(() => this.inflight.delete(job));
    this.inflight.add(job);
  }

  private entry(url: string): WebhookStatus {
    let st = this.status.get(url);
    if (!st) this.status.set(url, (st = { url, delivered: 0, failed: 0 }));
    return st;
  }

  statuses(): WebhookStatus[] {
    return [...this.status.values()];
  }

  get pending(): number {
    return this.inflight.size;
  }

  /** resolves when nothing is being sent (tests) */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.all([...this.inflight].map((j) => j.done));
  }

  stop(): void {
    this.stopped = true;
    for (const j of this.inflight) j.cancel();
  }
}

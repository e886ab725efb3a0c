/**
 * Post-registration work (DeviceInfo + Catalog queries, then SUBSCRIBE, GB/T 28181-2016 §9.5, §9.11) queued so a
 * register storm of tens of thousands of devices neither floods the devices nor starves the platform's event loop.
 *
 * - Two priorities: catalog work first, subscriptions after, so every device is catalogued before the subscription
 *   round trips (and the initial Catalog NOTIFY each one triggers) compete for the same CPU.
 * - Back-pressure: the number of jobs running adapts between `min` and `max` to the event-loop lag the queue sees
 *   (a 50 ms tick measuring its own lateness): above `highLagMs` it halves, below `lowLagMs` it grows by `step`.
 *   So a fast node onboards up to `max` devices at a time (128 in the GB service) and a node sharing its cores backs off before it blocks.
 */
export interface OnboardingQueueOptions {
  max?: number;
  min?: number;
  step?: number;
  highLagMs?: number;
  lowLagMs?: number;
  /** how often the lag is sampled and the limit adapted */
  tickMs?: number;
}

type Job = () => Promise<void>;

export class OnboardingQueue {
  private readonly high: Job[] = [];
  private readonly low: Job[] = [];
  private running = 0;
  private limitNow: number;
  private timer?: NodeJS.Timeout;
  private expectedAt = 0;
  private worstLag = 0;
  private readonly o: Required<OnboardingQueueOptions>;

  constructor(opts: OnboardingQueueOptions = {}) {
    this.o = { max: 256, min: 16, step: 16, highLagMs: 80, lowLagMs: 25, tickMs: 50, ...opts };
    this.limitNow = Math.min(this.o.max, 64);
  }

  /** Catalog-first work (priority) or follow-up work (`low`, e.g. subscriptions). Errors are the job's own business. */
  push(job: Job, priority: 'high' | 'low' = 'high'): void {
    (priority === 'high' ? this.high : this.low).push(job);
    this.ensureTicking();
    this.pump();
  }

  private pump(): void {
    while (this.running < this.limitNow) {
      const job = this.high.shift() ?? this.low.shift();
      if (!job) return;
      this.running++;
      job()
        .catch(() => undefined)
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }

  /** The lag sampler runs only while there is work, so an idle platform has no 50 ms timer. */
  private ensureTicking(): void {
    if (this.timer) return;
    this.expectedAt = performance.now() + this.o.tickMs;
    this.timer = setInterval(() => this.tick(), this.o.tickMs);
    this.timer.unref();
  }

  private tick(): void {
    const now = performance.now();
    const lag = Math.max(0, now - this.expectedAt);
    this.expectedAt = now + this.o.tickMs;
    this.worstLag = Math.max(this.worstLag, lag);
    if (lag > this.o.highLagMs) this.limitNow = Math.max(this.o.min, Math.floor(this.limitNow / 2));
    else if (lag < this.o.lowLagMs) this.limitNow = Math.min(this.o.max, this.limitNow + this.o.step);
    this.pump();
    if (!this.running && !this.high.length && !this.low.length) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.high.length = 0;
    this.low.length = 0;
  }

  /** jobs waiting (both priorities) */
  get waiting(): number {
    return this.high.length + this.low.length;
  }

  /** catalog jobs waiting */
  get waitingCatalog(): number {
    return this.high.length;
  }

  get active(): number {
    return this.running;
  }

  get limit(): number {
    return this.limitNow;
  }
}

/** Reconnect back-off of the live players: exponential with jitter, capped, reset after a stable stretch. */

export interface BackoffOptions {
  /** first delay, ms */
  baseMs?: number;
  /** longest delay, ms */
  maxMs?: number;
  /** ± share of the delay drawn at random so a wall of players does not reconnect in lock-step */
  jitter?: number;
  /** playing this long without trouble forgets earlier failures */
  stableMs?: number;
  random?: () => number;
}

export class Backoff {
  private failures = 0;
  private readonly o: Required<BackoffOptions>;

  constructor(opts: BackoffOptions = {}) {
    this.o = { baseMs: 1000, maxMs: 30_000, jitter: 0.2, stableMs: 10_000, random: Math.random, ...opts };
  }

  /** Failures since the last reset. */
  get attempts(): number {
    return this.failures;
  }

  /** Records a failure and returns how long to wait before the next try: base·2^(n−1), capped, with jitter. */
  next(): number {
    this.failures += 1;
    const raw = Math.min(this.o.maxMs, this.o.baseMs * 2 ** Math.min(30, this.failures - 1));
    const spread = raw * this.o.jitter * (this.o.random() * 2 - 1);
    return Math.max(0, Math.round(Math.min(this.o.maxMs, raw + spread)));
  }

  /** Playback has been healthy for `playedMs`: forget the failures once that is long enough. */
  healthy(playedMs: number): void {
    if (playedMs >= this.o.stableMs) this.failures = 0;
  }

  reset(): void {
    this.failures = 0;
  }
}

/** Errors not worth retrying: the channel is gone or not ours (403/404), or the request itself is wrong (400). */
export function isPermanent(status: number | undefined): boolean {
  return status === 400 || status === 403 || status === 404;
}

/**
 * Throttles failed REGISTER authentications per source address (bad-input rule: floods of failures from one
 * address). Only failures count, so the many devices that sit behind one NAT address keep registering.
 */
export class AuthThrottle {
  private readonly fails = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly maxFailures = 30,
    private readonly windowMs = 10_000,
  ) {}

  blocked(address: string, now: number): boolean {
    const f = this.fails.get(address);
    if (!f) return false;
    if (now - f.since > this.windowMs) {
      this.fails.delete(address);
      return false;
    }
    return f.count >= this.maxFailures;
  }

  /** Returns true exactly when this failure crosses the limit (log it once). */
  fail(address: string, now: number): boolean {
    const f = this.fails.get(address);
    if (!f || now - f.since > this.windowMs) {
      this.fails.set(address, { count: 1, since: now });
      return false;
    }
    f.count++;
    if (this.fails.size > 100_000) this.fails.clear();
    return f.count === this.maxFailures;
  }
}

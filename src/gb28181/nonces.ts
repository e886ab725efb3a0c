import { randomBytes } from 'node:crypto';

/** Digest nonces we issued, valid for a few minutes (replay limit; RFC 2617 §3.2.1). */
export class NonceStore {
  private readonly issued = new Map<string, number>();

  constructor(private readonly ttlMs = 5 * 60_000) {}

  issue(now: number): string {
    if (this.issued.size > 200_000) this.sweep(now);
    const n = randomBytes(16).toString('hex');
    this.issued.set(n, now + this.ttlMs);
    return n;
  }

  valid(n: string, now: number): boolean {
    const exp = this.issued.get(n);
    return exp !== undefined && exp > now;
  }

  private sweep(now: number): void {
    for (const [k, exp] of this.issued) if (exp <= now) this.issued.delete(k);
  }
}

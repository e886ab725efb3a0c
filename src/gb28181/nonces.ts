import { randomBytes } from 'node:crypto';

/** Digest nonces we issued, valid for a few minutes (replay limit; RFC 2617 §3.2.1). */
export class NonceStore {
  private readonly issued = new Map<string, number>();
  /** Random bytes drawn 4 KiB at a time: one CSPRNG call per 256 nonces instead of one per 401 in a register storm. */
  private pool = Buffer.alloc(0);
  private at = 0;

  constructor(private readonly ttlMs = 5 * 60_000) {}

  issue(now: number): string {
    if (this.issued.size > 200_000) this.sweep(now);
    if (this.at + 16 > this.pool.length) {
      this.pool = randomBytes(4096);
      this.at = 0;
    }
    const n = this.pool.toString('hex', this.at, (this.at += 16));
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

import { describe, expect, it } from 'vitest';
import { Backoff, isPermanent } from './backoff';

describe('reconnect back-off', () => {
  it('doubles from the base up to the cap (no jitter)', () => {
    const b = new Backoff({ baseMs: 1000, maxMs: 30_000, jitter: 0 });
    expect(Array.from({ length: 8 }, () => b.next())).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(b.attempts).toBe(8);
  });

  it('jitter stays within ±share and under the cap', () => {
    const lo = new Backoff({ baseMs: 1000, jitter: 0.2, random: () => 0 });
    const hi = new Backoff({ baseMs: 1000, maxMs: 3000, jitter: 0.2, random: () => 0.999999 });
    expect(lo.next()).toBe(800);
    expect(lo.next()).toBe(1600);
    expect(hi.next()).toBe(1200);
    expect(hi.next()).toBe(2400);
    expect(hi.next()).toBe(3000);
  });

  it('a long enough healthy stretch forgets the failures; a short one does not', () => {
    const b = new Backoff({ jitter: 0, stableMs: 10_000 });
    b.next();
    b.next();
    b.healthy(3000);
    expect(b.next()).toBe(4000);
    b.healthy(10_000);
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(1000);
    b.reset();
    expect(b.attempts).toBe(0);
  });

  it('403/404/400 are not retried', () => {
    expect([400, 403, 404].every(isPermanent)).toBe(true);
    expect([undefined, 0, 409, 500, 502, 503, 504].some(isPermanent)).toBe(false);
  });
});

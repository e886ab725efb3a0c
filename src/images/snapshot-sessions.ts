import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';

/** One GB/T 28181-2022 snapshot upload session (SnapShotConfig SessionID): who may upload, how much, until when. */
export interface SnapshotSession {
  /** the SessionID and the secret in the upload URL: 48 hex characters (192 random bits) */
  id: string;
  /** the channel (or device) the pictures are stored for */
  gateId: string;
  deviceId: string;
  count: number;
  intervalMs: number;
  createdAt: string;
  expiresAt: string;
  /** pictures stored so far */
  received: number;
  /** capture IDs stored so far */
  captures: string[];
}

export type SessionCheck = { ok: true; session: SnapshotSession } | { ok: false; reason: 'unknown' | 'expired' | 'used-up' };

/**
 * Upload sessions, in memory on the node that created them (the device uploads to the URL this node gave it; a
 * restart forgets open sessions, and the device's uploads are then refused as unknown). A session expires
 * `count × interval + graceMs` after creation and takes at most `count` pictures.
 */
export class SnapshotSessions {
  private readonly sessions = new Map<string, SnapshotSession>();

  constructor(
    private readonly clock: Clock,
    private readonly graceMs = 5 * 60_000,
  ) {}

  create(gateId: string, deviceId: string, count: number, intervalMs: number): SnapshotSession {
    this.prune();
    const now = this.clock.now().getTime();
    const s: SnapshotSession = {
      id: randomBytes(24).toString('hex'),
      gateId,
      deviceId,
      count,
      intervalMs,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + count * intervalMs + this.graceMs).toISOString(),
      received: 0,
      captures: [],
    };
    this.sessions.set(s.id, s);
    return s;
  }

  check(id: string): SessionCheck {
    const s = this.sessions.get(id);
    if (!s) return { ok: false, reason: 'unknown' };
    if (Date.parse(s.expiresAt) <= this.clock.now().getTime()) return { ok: false, reason: 'expired' };
    if (s.received >= s.count) return { ok: false, reason: 'used-up' };
    return { ok: true, session: s };
  }

  /** Counts a stored picture (only stored ones count: a device may retry a refused upload). */
  stored(s: SnapshotSession, captureId: string): void {
    s.received++;
    s.captures.push(captureId);
  }

  get(id: string): SnapshotSession | undefined {
    return this.sessions.get(id);
  }

  /** Forgets sessions expired more than a day ago (an expired one is kept a while to answer "expired", not "unknown"). */
  private prune(): void {
    const cutoff = this.clock.now().getTime() - 86_400_000;
    for (const [k, s] of this.sessions) if (Date.parse(s.expiresAt) < cutoff) this.sessions.delete(k);
  }
}

import type { Peer } from '../sip/transport.js';

/** A registered device as the signalling layer tracks it in memory (the database holds the durable copy). */
export interface Session {
  deviceId: string;
  peer: Peer;
  expiresAt: number;
  lastSeen: number;
  keepaliveInterval: number;
  online: boolean;
  /** when this session's keepalive time was last queued for the database */
  persistedAt?: number;
}

/**
 * The archive's `last_keepalive_at` is written at most this often per device: 20,000 devices writing every keepalive
 * cost ~2 % of a core in SQLite UPDATEs alone. Presence is decided in memory; the API shows the live time.
 */
export const KEEPALIVE_PERSIST_MS = 5 * 60_000;

/** In-memory registrations, the hot path of keepalives and message routing. */
export class Registry {
  private readonly sessions = new Map<string, Session>();
  /** keepalive times not yet written to the database */
  private readonly dirty = new Map<string, number>();

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  set(s: Session): void {
    this.sessions.set(s.deviceId, s);
  }

  delete(id: string): void {
    this.sessions.delete(id);
    this.dirty.delete(id);
  }

  seen(id: string, at: number): void {
    const s = this.sessions.get(id);
    if (!s) return;
    s.lastSeen = at;
    if (at - (s.persistedAt ?? -Infinity) < KEEPALIVE_PERSIST_MS) return;
    s.persistedAt = at;
    this.dirty.set(id, at);
  }

  takeDirty(): [string, number][] {
    const out = [...this.dirty];
    this.dirty.clear();
    return out;
  }

  all(): IterableIterator<Session> {
    return this.sessions.values();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The live time of the last message from a registered device (newer than the archive's copy by up to 5 min). */
  lastSeenIso(id: string): string | undefined {
    const s = this.sessions.get(id);
    // only once a message was heard (a session restored after a restart has a grace time, not a keepalive)
    return s && s.persistedAt !== undefined ? new Date(s.lastSeen).toISOString() : undefined;
  }

  get onlineCount(): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.online) n++;
    return n;
  }
}

/** The address a device must send from to speak for its ID: same transport and host (port may change behind NAT). */
export function sameOrigin(s: Session, p: Peer): boolean {
  return s.peer.transport === p.transport && s.peer.address === p.address;
}

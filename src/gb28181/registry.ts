import type { Peer } from '../sip/transport.js';

/** A registered device as the signalling layer tracks it in memory (the database holds the durable copy). */
export interface Session {
  deviceId: string;
  peer: Peer;
  expiresAt: number;
  lastSeen: number;
  keepaliveInterval: number;
  online: boolean;
}

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

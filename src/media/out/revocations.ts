/**
 * Sessions and users cut off recently (logout, password change, user disabled): a media URL signed before the cut
 * must not open a stream afterwards, so the media node remembers them for as long as a token can live.
 */
export class Revocations {
  private readonly sessions = new Map<string, number>();
  private readonly users = new Map<string, number>();

  constructor(private readonly ttlMs: number) {}

  add(m: { sessionIds?: string[]; userId?: string }, nowMs = Date.now()): void {
    const until = nowMs + this.ttlMs;
    for (const s of m.sessionIds ?? []) this.sessions.set(s, until);
    if (m.userId) this.users.set(m.userId, until);
    if (this.sessions.size > 100_000) this.prune(nowMs);
  }

  /** `issuedAtMs`: a user revoked before the token was signed (re-enabled since) is fine */
  isRevoked(sessionId: string, userId: string, issuedAtMs: number, nowMs = Date.now()): boolean {
    const s = this.sessions.get(sessionId);
    if (s !== undefined && s > nowMs) return true;
    const u = this.users.get(userId);
    return u !== undefined && u > nowMs && u - this.ttlMs >= issuedAtMs;
  }

  private prune(nowMs: number): void {
    for (const [k, v] of this.sessions) if (v <= nowMs) this.sessions.delete(k);
    for (const [k, v] of this.users) if (v <= nowMs) this.users.delete(k);
  }
}

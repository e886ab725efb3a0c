import type { MediaClaims, MediaTokens } from '../../core/media-token.js';
import type { Revocations } from './revocations.js';

export interface MediaAuthResult {
  ok: boolean;
  claims?: MediaClaims;
  /** typed code for the error body */
  code?: 'MEDIA_TOKEN_INVALID';
  message?: string;
}

/** Checks a media URL's token against the stream path it opens and the revocation list (R11). */
export class MediaAuth {
  constructor(
    readonly tokens: MediaTokens,
    readonly revocations: Revocations,
    private readonly ttlSec: number,
    /** the clock the API signs with (tests move it) */
    readonly now: () => number = Date.now,
  ) {}

  get ttlMs(): number {
    return this.ttlSec * 1000;
  }

  check(token: string | undefined, path: string, nowMs = this.now()): MediaAuthResult {
    const v = this.tokens.verify(token, path, nowMs);
    if (!v.ok) return { ok: false, code: 'MEDIA_TOKEN_INVALID', message: `media token ${v.error}` };
    const issuedAt = v.claims.e * 1000 - this.ttlSec * 1000;
    if (this.revocations.isRevoked(v.claims.s, v.claims.u, issuedAt, nowMs)) return { ok: false, code: 'MEDIA_TOKEN_INVALID', message: 'media token revoked' };
    return { ok: true, claims: v.claims };
  }
}

import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed media URLs (R11): every FLV/WS-FLV/HLS/RTSP URL carries a short-lived token bound to the user, the login
 * session it was issued under, and the stream path, so a URL copied out of the console is useless elsewhere and
 * stops working when the session is revoked. HMAC-SHA256 with a key derived from the platform secret; media nodes
 * verify with the same key (shared in cluster mode through the common secret).
 */
export interface MediaClaims {
  /** user id */
  u: string;
  /** session (token id) the URL belongs to; revoking it cuts the stream */
  s: string;
  /** stream path it opens, e.g. `live/34020000001320000001/main` */
  p: string;
  /** expiry, Unix seconds: the URL must be opened before this */
  e: number;
}

export type MediaTokenError = 'malformed' | 'bad-signature' | 'expired' | 'wrong-stream';

export class MediaTokens {
  private readonly key: Buffer;

  constructor(secret: Buffer | string) {
    this.key = createHmac('sha256', secret).update('sharpeye media token v1').digest();
  }

  sign(claims: MediaClaims): string {
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  verify(token: string | undefined, path: string, nowMs: number): { ok: true; claims: MediaClaims } | { ok: false; error: MediaTokenError } {
    if (!token || token.length > 2048) return { ok: false, error: 'malformed' };
    const dot = token.indexOf('.');
    if (dot <= 0) return { ok: false, error: 'malformed' };
    const body = token.slice(0, dot);
    const sig = Buffer.from(token.slice(dot + 1), 'base64url');
    const want = Buffer.from(this.mac(body), 'base64url');
    if (sig.length !== want.length || !timingSafeEqual(sig, want)) return { ok: false, error: 'bad-signature' };
    let claims: MediaClaims;
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as MediaClaims;
    } catch {
      return { ok: false, error: 'malformed' };
    }
    if (typeof claims.e !== 'number' || typeof claims.p !== 'string' || typeof claims.u !== 'string') return { ok: false, error: 'malformed' };
    if (claims.e * 1000 < nowMs) return { ok: false, error: 'expired' };
    if (claims.p !== path) return { ok: false, error: 'wrong-stream' };
    return { ok: true, claims };
  }

  /**
   * The RTMP publish key of a channel: derived from the platform secret, so any media node checks it without a
   * database lookup, and it cannot be guessed from the channel id.
   */
  pushKey(channelId: string): string {
    return createHmac('sha256', this.key).update(`rtmp-push:${channelId}`).digest('base64url').slice(0, 22);
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

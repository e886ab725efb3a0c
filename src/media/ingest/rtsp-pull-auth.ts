import { randomBytes } from 'node:crypto';
import { answerChallenge, parseAuthParams } from '../../lib/sip/digest.js';

/**
 * Client side of RTSP authentication (RFC 2326 §D.2 → RFC 2617): nothing is sent until the server asks (a 401 with
 * WWW-Authenticate), then every request carries an Authorization header, Digest (MD5, with or without qop=auth)
 * when offered, else Basic. The digest is the one SIP uses (src/lib/sip/digest.ts); the digest-uri is the request
 * URI as sent.
 */
export class RtspAuth {
  private scheme: 'basic' | 'digest' | undefined;
  private challengeValue = '';
  private nc = 0;
  private readonly cnonce = randomBytes(8).toString('hex');

  constructor(
    private readonly user: string | undefined,
    private readonly password: string | undefined,
  ) {}

  get hasCredentials(): boolean {
    return this.user !== undefined;
  }

  /** Credentials are being sent (a challenge was taken). */
  get active(): boolean {
    return this.scheme !== undefined;
  }

  /**
   * Takes the challenges of a 401 (all WWW-Authenticate headers). Returns 'retry' when the request should be sent
   * again with credentials: the first challenge, or a new nonce (stale=true, or a server that rotates nonces without
   * saying so) while this request has not been retried yet; 'failed' when the credentials were refused or cannot
   * answer the challenge. One instance per control connection (nonces are often per connection).
   */
  challenge(values: readonly string[], retried: boolean): 'retry' | 'failed' {
    if (!this.hasCredentials || retried) return 'failed';
    const digest = values.find((v) => /^\s*digest\b/i.test(v));
    const basic = values.find((v) => /^\s*basic\b/i.test(v));
    const wasActive = this.active;
    if (digest) {
      const { params } = parseAuthParams(digest);
      if (params.algorithm && !/^md5$/i.test(params.algorithm)) return basic && !wasActive ? this.useBasic() : 'failed';
      if (wasActive && (this.scheme !== 'digest' || parseAuthParams(this.challengeValue).params.nonce === params.nonce)) return 'failed';
      this.scheme = 'digest';
      this.challengeValue = digest;
      this.nc = 0;
      return 'retry';
    }
    if (basic && !wasActive) return this.useBasic();
    return 'failed';
  }

  private useBasic(): 'retry' {
    this.scheme = 'basic';
    return 'retry';
  }

  /** The Authorization header for a request, once a challenge was taken. */
  header(method: string, uri: string): string | undefined {
    if (!this.scheme || this.user === undefined) return undefined;
    const password = this.password ?? '';
    if (this.scheme === 'basic') return `Basic ${Buffer.from(`${this.user}:${password}`).toString('base64')}`;
    this.nc++;
    return answerChallenge(this.challengeValue, { username: this.user, password, method, uri, nc: this.nc, cnonce: this.cnonce });
  }
}

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { digestResponse, formatChallenge, parseAuthParams } from '../lib/sip/digest.js';
import type { Store } from '../store/index.js';
import type { ImageKey } from '../store/repos/image-keys.js';
import { SeedError, type SeedKind } from './seed-protocol.js';

export const KEY_VALIDITY_MS = 24 * 3600_000;
const NONCE_TTL_MS = 5 * 60_000;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export type DigestCheck = { ok: true; username: string } | { ok: false; stale: boolean; reason: string };

/**
 * HTTP Digest (RFC 2617/7616 with MD5, qop=auth or none) in front of `authenticate` ("需要先调用摘要认证",
 * user/password lpt/lpt123 by default). Nonces are stateless (time + HMAC), valid 5 minutes; with qop the nonce
 * count must grow, so a captured Authorization header cannot be replayed.
 */
export class SeedDigest {
  private readonly secret = randomBytes(32);
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly user: () => { username: string; password: string },
    readonly realm = 'sharpeye',
  ) {}

  nonce(nowMs = Date.now()): string {
    const t = nowMs.toString(16);
    return `${t}.${createHmac('sha256', this.secret).update(t).digest('hex').slice(0, 32)}`;
  }

  challenge(stale = false): string {
    return `${formatChallenge(this.realm, this.nonce(), { qop: true })}${stale ? ', stale=true' : ''}`;
  }

  private nonceAge(n: string, nowMs: number): number {
    const [t, mac] = n.split('.');
    if (!t || !mac || !/^[0-9a-f]{1,16}$/.test(t)) return -1;
    const want = Buffer.from(createHmac('sha256', this.secret).update(t).digest('hex').slice(0, 32));
    const got = Buffer.from(mac);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return -1;
    return nowMs - parseInt(t, 16);
  }

  /** Checks an Authorization header for `method uri`. */
  verify(header: string | undefined, method: string, uri: string, nowMs = Date.now()): DigestCheck {
    if (!header) return { ok: false, stale: false, reason: 'no credentials' };
    const { scheme, params } = parseAuthParams(header);
    if (scheme.toLowerCase() !== 'digest') return { ok: false, stale: false, reason: 'digest authentication required' };
    const { username, password } = this.user();
    if (!params.username || !params.nonce || !params.uri || !params.response) return { ok: false, stale: false, reason: 'incomplete digest credentials' };
    if (params.algorithm && params.algorithm.toUpperCase() !== 'MD5') return { ok: false, stale: false, reason: `unsupported algorithm ${params.algorithm}` };
    // the digest covers the URI it names; it must be this request's (path compared, query ignored)
    if (params.uri.split('?')[0] !== uri.split('?')[0]) return { ok: false, stale: false, reason: 'digest uri does not match the request' };
    const expected = digestResponse({ username: params.username, realm: params.realm ?? '', password, method, uri: params.uri, nonce: params.nonce, qop: params.qop, nc: params.nc, cnonce: params.cnonce });
    if (params.username !== username || expected !== params.response.toLowerCase()) return { ok: false, stale: false, reason: 'wrong username or password (摘要认证失败)' };
    const age = this.nonceAge(params.nonce, nowMs);
    if (age < 0) return { ok: false, stale: true, reason: 'unknown nonce (issued by another node or before a restart)' };
    if (age > NONCE_TTL_MS) return { ok: false, stale: true, reason: 'nonce expired' };
    if (params.qop) {
      const nc = parseInt(params.nc ?? '0', 16);
      const last = this.counts.get(params.nonce) ?? 0;
      if (!(nc > last)) return { ok: false, stale: true, reason: 'nonce count replayed' };
      if (this.counts.size > 100_000) this.counts.clear();
      this.counts.set(params.nonce, nc);
    }
    return { ok: true, username };
  }
}

/**
 * appIdentityKey values (seed §2.1): random 128-bit keys, valid 24 h from issue, stored as SHA-256 so they survive a
 * restart and work on every node. An unknown, revoked or other-interface key is EC003; a key past 24 h is EC002.
 */
export class SeedKeys {
  private readonly cache = new Map<string, { until: number; key: ImageKey | null }>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async issue(kind: SeedKind, subjectType: ImageKey['subjectType'], subject: string, remote: string | null): Promise<{ key: string; expiresAt: string }> {
    const key = randomBytes(16).toString('hex');
    const now = this.clock.now().getTime();
    const k: ImageKey = { kind, subjectType, subject, issuedAt: new Date(now).toISOString(), expiresAt: new Date(now + KEY_VALIDITY_MS).toISOString() };
    const hash = sha256(key);
    await this.store.images.keys.insert(hash, k, remote);
    this.cache.set(hash, { until: Date.now() + 10_000, key: k });
    return { key, expiresAt: k.expiresAt };
  }

  private async lookup(hash: string): Promise<ImageKey | null> {
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.key;
    const k = (await this.store.images.keys.get(hash)) ?? null;
    if (this.cache.size > 50_000) this.cache.clear();
    // found keys are cached 10 s (unregister on another node takes effect within that); unknown ones 2 s
    this.cache.set(hash, { until: now + (k ? 10_000 : 2000), key: k });
    return k;
  }

  /** The key's record, or the seed error: EC001 none given, EC003 unknown/revoked/other interface, EC002 expired. */
  async check(kind: SeedKind, key: string | null): Promise<ImageKey & { hash: string }> {
    if (!key) throw new SeedError('EC001', 'appIdentityKey missing: call authenticate first (接口服务未认证)');
    if (key.length > 128) throw new SeedError('EC003', 'appIdentityKey invalid (认证无效)');
    const hash = sha256(key);
    const k = await this.lookup(hash);
    if (!k || k.kind !== kind) throw new SeedError('EC003', 'appIdentityKey invalid (认证无效)');
    if (Date.parse(k.expiresAt) <= this.clock.now().getTime()) throw new SeedError('EC002', 'appIdentityKey expired after 24 h: authenticate again (认证过期)');
    return { ...k, hash };
  }

  /** Unregister: the key, and every other key of the same subject on this interface. */
  async revoke(kind: SeedKind, key: { hash: string; subject: string; subjectType: string } | null, subject: string | null): Promise<void> {
    if (key) {
      await this.store.images.keys.delete(key.hash);
      this.cache.delete(key.hash);
    }
    const who = subject ?? (key && key.subjectType !== 'any' ? key.subject : null);
    if (who) {
      await this.store.images.keys.deleteSubject(kind, who);
      this.cache.clear();
    }
  }
}

import { createHash, randomBytes } from 'node:crypto';

// HTTP authentication some cameras want instead of (or on top of) WS-Security: Digest (RFC 7616, which keeps
// RFC 2617's MD5 and adds SHA-256) and, only when that is all the device offers, Basic (RFC 7617).

export interface Challenge {
  /** Lower-case scheme: `digest`, `basic`, … */
  scheme: string;
  /** Parameters with lower-case names, unquoted. */
  params: Record<string, string>;
}

/** Splits on commas that are outside quoted strings. */
function splitOutsideQuotes(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted && c === '\\' && i + 1 < s.length) {
      cur += c + s[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

const TOKEN = "[A-Za-z0-9!#$%&'*+.^_`|~-]+";
const PARAM = new RegExp(`^\\s*(${TOKEN})\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|(${TOKEN}))\\s*$`);
const SCHEME = new RegExp(`^\\s*(${TOKEN})(?:\\s+(.*))?$`);

/**
 * Every challenge of one or more `WWW-Authenticate` values. `fetch` joins repeated headers with ", ", so
 * `Digest realm="a", nonce="b", Basic realm="a"` must be split on scheme tokens, not on commas alone.
 */
export function parseChallenges(headers: string | string[] | null | undefined): Challenge[] {
  const values = headers === null || headers === undefined ? [] : Array.isArray(headers) ? headers : [headers];
  const out: Challenge[] = [];
  for (const v of values) {
    let cur: Challenge | undefined;
    for (const part of splitOutsideQuotes(v)) {
      if (part.trim() === '') continue;
      const p = PARAM.exec(part);
      if (p && cur) {
        cur.params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
        continue;
      }
      const s = SCHEME.exec(part);
      if (!s) continue;
      cur = { scheme: s[1].toLowerCase(), params: {} };
      out.push(cur);
      const rest = s[2] ? PARAM.exec(s[2]) : null;
      if (rest) cur.params[rest[1].toLowerCase()] = rest[2] !== undefined ? rest[2].replace(/\\(.)/g, '$1') : rest[3];
    }
  }
  return out;
}

const HASHES: Record<string, string> = { MD5: 'md5', 'MD5-SESS': 'md5', 'SHA-256': 'sha256', 'SHA-256-SESS': 'sha256' };

/** True when we can answer this Digest challenge (MD5, SHA-256 and their -sess forms; qop auth or none). */
export function canAnswerDigest(c: Challenge): boolean {
  if (c.scheme !== 'digest' || !c.params.nonce) return false;
  if (!(String(c.params.algorithm ?? 'MD5').toUpperCase() in HASHES)) return false;
  const qop = c.params.qop;
  return qop === undefined || qop.split(',').some((q) => q.trim().toLowerCase() === 'auth');
}

/** The challenge we will answer: the strongest Digest we support, else Basic; undefined when neither is offered. */
export function pickChallenge(list: Challenge[]): Challenge | undefined {
  const digests = list.filter(canAnswerDigest);
  const strength = (c: Challenge) => (String(c.params.algorithm ?? 'MD5').toUpperCase().startsWith('SHA-256') ? 2 : 1);
  digests.sort((a, b) => strength(b) - strength(a));
  return digests[0] ?? list.find((c) => c.scheme === 'basic');
}

const quote = (s: string) => `"${s.replace(/(["\\])/g, '\\$1')}"`;

/**
 * The `Authorization` value answering a challenge. `nc` counts requests made with the same nonce (1, 2, …);
 * `cnonce` is random unless given (tests).
 */
export function authorizationFor(c: Challenge, a: { username: string; password: string; method: string; uri: string; nc?: number; cnonce?: string }): string {
  if (c.scheme === 'basic') return `Basic ${Buffer.from(`${a.username}:${a.password}`, 'utf8').toString('base64')}`;
  const algorithm = String(c.params.algorithm ?? 'MD5');
  const alg = algorithm.toUpperCase();
  const hash = HASHES[alg] ?? 'md5';
  const H = (s: string) => createHash(hash).update(s, 'utf8').digest('hex');
  const realm = c.params.realm ?? '';
  const nonce = c.params.nonce ?? '';
  const qop = c.params.qop !== undefined ? 'auth' : undefined;
  const nc = (a.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = a.cnonce ?? randomBytes(8).toString('hex');
  let ha1 = H(`${a.username}:${realm}:${a.password}`);
  if (alg.endsWith('-SESS')) ha1 = H(`${ha1}:${nonce}:${cnonce}`);
  const ha2 = H(`${a.method}:${a.uri}`);
  const response = qop ? H(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : H(`${ha1}:${nonce}:${ha2}`);
  const parts = [`username=${quote(a.username)}`, `realm=${quote(realm)}`, `nonce=${quote(nonce)}`, `uri=${quote(a.uri)}`, `response=${quote(response)}`];
  if (c.params.algorithm !== undefined) parts.push(`algorithm=${algorithm}`);
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${quote(cnonce)}`);
  if (c.params.opaque !== undefined) parts.push(`opaque=${quote(c.params.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}

import { createHash } from 'node:crypto';

/**
 * HTTP Digest for SIP (RFC 3261 §22.4, RFC 2617; MD5, with and without qop=auth). GB/T 28181-2016 §9.1.2:
 * realm is the 10-digit SIP domain.
 */
export interface DigestParams {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm?: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  opaque?: string;
}

/** `Digest a="x", b=y` → { a: 'x', b: 'y' } (scheme checked separately). */
export function parseAuthParams(v: string): { scheme: string; params: Record<string, string> } {
  const s = v.trim();
  const sp = s.indexOf(' ');
  const scheme = sp < 0 ? s : s.slice(0, sp);
  const params: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  let m: RegExpExecArray | null;
  const rest = sp < 0 ? '' : s.slice(sp + 1);
  while ((m = re.exec(rest))) params[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  return { scheme, params };
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

export function digestResponse(p: { username: string; realm: string; password: string; method: string; uri: string; nonce: string; qop?: string; nc?: string; cnonce?: string }): string {
  const ha1 = md5(`${p.username}:${p.realm}:${p.password}`);
  const ha2 = md5(`${p.method}:${p.uri}`);
  return p.qop ? md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`) : md5(`${ha1}:${p.nonce}:${ha2}`);
}

export function formatChallenge(realm: string, nonce: string, opts: { qop?: boolean; opaque?: string } = {}): string {
  return `Digest realm="${realm}", nonce="${nonce}"${opts.opaque ? `, opaque="${opts.opaque}"` : ''}${opts.qop ? ', qop="auth"' : ''}, algorithm=MD5`;
}

export function formatAuthorization(p: DigestParams): string {
  const parts = [`username="${p.username}"`, `realm="${p.realm}"`, `nonce="${p.nonce}"`, `uri="${p.uri}"`, `response="${p.response}"`, `algorithm=${p.algorithm ?? 'MD5'}`];
  if (p.qop) parts.push(`qop=${p.qop}`, `nc=${p.nc}`, `cnonce="${p.cnonce}"`);
  if (p.opaque) parts.push(`opaque="${p.opaque}"`);
  return `Digest ${parts.join(', ')}`;
}

/** Answers a challenge (client side: simulator, cascade to upper platforms). */
export function answerChallenge(challenge: string, c: { username: string; password: string; method: string; uri: string; nc?: number; cnonce?: string }): string {
  const { params } = parseAuthParams(challenge);
  const qop = params.qop ? (params.qop.split(',').map((x) => x.trim()).includes('auth') ? 'auth' : undefined) : undefined;
  const nc = qop ? (c.nc ?? 1).toString(16).padStart(8, '0') : undefined;
  const cnonce = qop ? (c.cnonce ?? Math.random().toString(16).slice(2, 10)) : undefined;
  const response = digestResponse({ username: c.username, realm: params.realm ?? '', password: c.password, method: c.method, uri: c.uri, nonce: params.nonce ?? '', qop, nc, cnonce });
  return formatAuthorization({ username: c.username, realm: params.realm ?? '', nonce: params.nonce ?? '', uri: c.uri, response, qop, nc, cnonce, opaque: params.opaque });
}

/** Server side: checks an Authorization header against the password. */
export function verifyDigest(auth: Record<string, string>, method: string, password: string): boolean {
  if (!auth.username || !auth.nonce || !auth.uri || !auth.response) return false;
  if (auth.algorithm && auth.algorithm.toUpperCase() !== 'MD5') return false;
  const expected = digestResponse({ username: auth.username, realm: auth.realm ?? '', password, method, uri: auth.uri, nonce: auth.nonce, qop: auth.qop, nc: auth.nc, cnonce: auth.cnonce });
  return expected === auth.response.toLowerCase();
}

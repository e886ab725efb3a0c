import { authorizationFor, parseChallenges, pickChallenge } from '../lib/onvif/http-auth.js';
import type { SeedErrorCode, SeedOp } from './seed-protocol.js';

/** The bureau answered, in the seed's body (success or a failure with an error code). */
export interface BureauAnswer {
  success: boolean;
  code: SeedErrorCode | string | null;
  message: string;
  result: Record<string, unknown>;
  status: number;
}

/**
 * No usable answer: the request may not have reached the bureau (`sent` false: refused, no route, DNS) or it may
 * have and the answer was lost (`sent` true: timeout, reset, a 5xx or a body that is not the seed's).
 */
export class NoAnswer extends Error {
  constructor(
    message: string,
    readonly sent: boolean,
  ) {
    super(message);
    this.name = 'NoAnswer';
  }
}

/** The digest credentials were refused (401 after answering the challenge). */
export class DigestRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DigestRefused';
  }
}

const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ERR_INVALID_URL']);

/**
 * A client of the seed interface (appendix 1 or 2) at `baseUrl` (`http://host/redis/rest/face`): parameters as form
 * fields (`+` percent-encoded) or a JSON body; `authenticate` answers the HTTP digest challenge first.
 */
export class BureauClient {
  constructor(
    private readonly o: {
      baseUrl: string;
      username: string;
      password: string;
      encoding: 'form' | 'json';
      timeoutMs: number;
      /** aborts everything in flight (the forwarder stopping) */
      signal?: AbortSignal;
    },
  ) {}

  private url(op: SeedOp): URL {
    return new URL(`${this.o.baseUrl.replace(/\/+$/, '')}/${op}.json`);
  }

  private async send(op: SeedOp, method: 'GET' | 'POST', params: Record<string, string>, authorization?: string): Promise<{ status: number; headers: Headers; text: string }> {
    const url = this.url(op);
    const headers: Record<string, string> = {};
    let body: string | Uint8Array | undefined;
    if (method === 'POST') {
      if (this.o.encoding === 'json') {
        headers['content-type'] = 'application/json; charset=UTF-8';
        body = JSON.stringify(params);
      } else {
        headers['content-type'] = 'application/x-www-form-urlencoded; charset=UTF-8';
        // encodeURIComponent is native; URLSearchParams cost ~3 ms per 500 KB capture ('+' becomes %2B either way)
        body = Object.entries(params)
          .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
          .join('&');
      }
    }
    if (authorization) headers.authorization = authorization;
    // a Buffer body skips undici's USVString scan of a 500 KB string
    if (typeof body === 'string') {
      const b = Buffer.from(body, 'utf8');
      body = new Uint8Array(b.buffer, b.byteOffset, b.length);
    }
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body: body as BodyInit | undefined, signal: this.o.signal ? AbortSignal.any([AbortSignal.timeout(this.o.timeoutMs), this.o.signal]) : AbortSignal.timeout(this.o.timeoutMs) });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      const code = err.cause?.code ?? (err.name === 'TimeoutError' ? 'TIMEOUT' : err.name);
      throw new NoAnswer(`${op}: ${code} (${err.cause ? String((err.cause as Error).message ?? '') : err.message})`.slice(0, 300), !NOT_SENT.has(code));
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw new NoAnswer(`${op}: answer cut off (${(e as Error).message})`, true);
    }
    return { status: res.status, headers: res.headers, text };
  }

  private answer(op: SeedOp, r: { status: number; text: string }): BureauAnswer {
    let j: unknown;
    try {
      j = JSON.parse(r.text);
    } catch {
      throw new NoAnswer(`${op}: HTTP ${r.status} without a seed answer: ${r.text.slice(0, 120)}`, true);
    }
    if (!j || typeof j !== 'object') throw new NoAnswer(`${op}: HTTP ${r.status} without a seed answer`, true);
    const o = j as Record<string, unknown>;
    const success = o.success === true || o.success === 'true';
    const result = (o.result && typeof o.result === 'object' ? o.result : {}) as Record<string, unknown>;
    const code = typeof result.errorCode === 'string' ? result.errorCode : typeof o.errorCode === 'string' ? o.errorCode : null;
    if (!success && !code && r.status >= 500) throw new NoAnswer(`${op}: HTTP ${r.status} ${String(o.message ?? '')}`.slice(0, 300), true);
    return { success, code, message: typeof o.message === 'string' ? o.message : '', result, status: r.status };
  }

  /** POST with digest: the first try carries no credentials; a 401 challenge is answered once. */
  async authenticate(params: Record<string, string>): Promise<BureauAnswer> {
    let r = await this.send('authenticate', 'POST', params);
    if (r.status === 401) {
      const challenge = pickChallenge(parseChallenges(r.headers.get('www-authenticate')));
      if (!challenge) throw new DigestRefused('the bureau asked for authentication without a digest challenge');
      const url = this.url('authenticate');
      const authorization = authorizationFor(challenge, { username: this.o.username, password: this.o.password, method: 'POST', uri: url.pathname + url.search });
      r = await this.send('authenticate', 'POST', params, authorization);
      if (r.status === 401) throw new DigestRefused(`the bureau refused the digest credentials of user "${this.o.username}"`);
    }
    return this.answer('authenticate', r);
  }

  async call(op: Exclude<SeedOp, 'authenticate' | 'timing'>, params: Record<string, string>): Promise<BureauAnswer> {
    return this.answer(op, await this.send(op, 'POST', params));
  }

  async timing(): Promise<BureauAnswer> {
    return this.answer('timing', await this.send('timing', 'GET', {}));
  }
}

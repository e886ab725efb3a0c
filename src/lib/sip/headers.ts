/** RFC 3261 §7.3.3 compact forms, plus the canonical spelling we write. */
const COMPACT: Record<string, string> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event',
  u: 'allow-events',
};

const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'max-forwards': 'Max-Forwards',
  'content-length': 'Content-Length',
  'content-type': 'Content-Type',
  'user-agent': 'User-Agent',
  'subscription-state': 'Subscription-State',
  'proxy-authenticate': 'Proxy-Authenticate',
  'proxy-authorization': 'Proxy-Authorization',
  'record-route': 'Record-Route',
  'allow-events': 'Allow-Events',
  'content-encoding': 'Content-Encoding',
  'mime-version': 'MIME-Version',
};

const normalCache = new Map<string, string>();

/** Lower-case long form; cached per spelling (a handful of spellings carry nearly all traffic). */
export function normaliseHeaderName(name: string): string {
  let n = normalCache.get(name);
  if (n === undefined) {
    const l = name.trim().toLowerCase();
    n = COMPACT[l] ?? l;
    if (normalCache.size < 2000) normalCache.set(name, n);
  }
  return n;
}

const canonicalCache = new Map<string, string>();

export function canonicalHeaderName(lower: string): string {
  let c = canonicalCache.get(lower);
  if (c === undefined) {
    c = CANONICAL[lower] ?? lower.replace(/(^|-)([a-z])/g, (_m, d: string, ch: string) => d + ch.toUpperCase());
    if (canonicalCache.size < 1000) canonicalCache.set(lower, c);
  }
  return c;
}

/** Headers whose comma-separated values are separate header values (RFC 3261 §7.3.1). */
const MULTI = new Set(['via', 'contact', 'route', 'record-route', 'allow', 'supported']);

/** Splits on commas outside quotes and angle brackets. */
export function splitCommas(v: string): string[] {
  const out: string[] = [];
  let depthAngle = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < v.length; i++) {
    const ch = v[i];
    if (ch === '"' && v[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && ch === '<') depthAngle++;
    else if (!quoted && ch === '>') depthAngle = Math.max(0, depthAngle - 1);
    else if (!quoted && depthAngle === 0 && ch === ',') {
      out.push(v.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(v.slice(start).trim());
  return out.filter((s) => s.length > 0);
}

/** Ordered, case-insensitive SIP headers. Names are stored lower-case long form. */
export class SipHeaders {
  private list: [string, string][] = [];

  static from(init: Record<string, string | number | (string | number)[]>): SipHeaders {
    const h = new SipHeaders();
    for (const [k, v] of Object.entries(init)) {
      for (const x of Array.isArray(v) ? v : [v]) h.append(k, String(x));
    }
    return h;
  }

  append(name: string, value: string): this {
    this.list.push([normaliseHeaderName(name), value]);
    return this;
  }

  /** Adds before existing values of that name (a proxy's own Via goes first). */
  prepend(name: string, value: string): this {
    this.list.unshift([normaliseHeaderName(name), value]);
    return this;
  }

  set(name: string, value: string): this {
    const n = normaliseHeaderName(name);
    const first = this.list.find(([k]) => k === n);
    if (!first) {
      this.list.push([n, value]);
      return this;
    }
    first[1] = value;
    this.list = this.list.filter((e) => e[0] !== n || e === first);
    return this;
  }

  delete(name: string): this {
    const n = normaliseHeaderName(name);
    this.list = this.list.filter(([k]) => k !== n);
    return this;
  }

  get(name: string): string | undefined {
    const n = normaliseHeaderName(name);
    for (const [k, v] of this.list) if (k === n) return v;
    return undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** All values; for list headers (Via, Contact...) comma-joined values are split. */
  getAll(name: string): string[] {
    const n = normaliseHeaderName(name);
    const vals = this.list.filter(([k]) => k === n).map(([, v]) => v);
    return MULTI.has(n) ? vals.flatMap(splitCommas) : vals;
  }

  entries(): readonly [string, string][] {
    return this.list;
  }

  clone(): SipHeaders {
    const h = new SipHeaders();
    h.list = this.list.map(([k, v]) => [k, v]);
    return h;
  }
}

import { SipParseError } from './errors.js';

/** `sip:user@host:port;params?headers` (RFC 3261 §19.1). */
export interface SipUri {
  scheme: 'sip' | 'sips';
  user?: string;
  host: string;
  port?: number;
  params: Record<string, string | null>;
}

export function parseParams(s: string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const part of s.split(';')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 0) out[p.toLowerCase()] = null;
    else out[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return out;
}

export function formatParams(params: Record<string, string | number | null | undefined>): string {
  return Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => (v === null ? `;${k}` : `;${k}=${v}`))
    .join('');
}

export function parseSipUri(s: string): SipUri {
  const m = /^(sips?):(?:([^@;?]*)@)?(\[[^\]]+\]|[^:;?]+)(?::(\d+))?((?:;[^?]*)?)(?:\?.*)?$/i.exec(s.trim());
  if (!m) throw new SipParseError(`not a SIP URI: "${s.slice(0, 100)}"`, 'URI');
  return {
    scheme: m[1].toLowerCase() as 'sip' | 'sips',
    user: m[2] || undefined,
    host: m[3],
    port: m[4] ? Number(m[4]) : undefined,
    params: parseParams(m[5] ?? ''),
  };
}

export function formatSipUri(u: SipUri): string {
  return `${u.scheme}:${u.user ? `${u.user}@` : ''}${u.host}${u.port ? `:${u.port}` : ''}${formatParams(u.params)}`;
}

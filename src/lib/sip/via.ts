import { SipParseError } from './errors.js';
import { parseParams } from './uri.js';

/** `SIP/2.0/UDP host:port;branch=z9hG4bK...;rport;received=...` (RFC 3261 §20.42, RFC 3581). */
export interface Via {
  transport: string;
  host: string;
  port?: number;
  params: Record<string, string | null>;
}

export function parseVia(v: string): Via {
  const m = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+(\[[^\]]+\]|[^\s:;]+)(?:\s*:\s*(\d+))?\s*((?:;.*)?)$/i.exec(v.trim());
  if (!m) throw new SipParseError(`bad Via "${v.slice(0, 100)}"`, 'HEADER');
  return { transport: m[1].toUpperCase(), host: m[2], port: m[3] ? Number(m[3]) : undefined, params: parseParams(m[4] ?? '') };
}

export function formatVia(v: Via): string {
  const p = Object.entries(v.params)
    .map(([k, x]) => (x === null ? `;${k}` : `;${k}=${x}`))
    .join('');
  return `SIP/2.0/${v.transport} ${v.host}${v.port ? `:${v.port}` : ''}${p}`;
}

/** RFC 3261 §8.1.1.7: branch ids start with the magic cookie. */
export const BRANCH_COOKIE = 'z9hG4bK';

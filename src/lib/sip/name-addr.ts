import { SipParseError } from './errors.js';
import { parseParams, parseSipUri, type SipUri } from './uri.js';

/** From / To / Contact values: `"Name" <sip:u@h>;tag=x` or `sip:u@h;tag=x` (RFC 3261 §20.10, §20.20). */
export interface NameAddr {
  displayName?: string;
  uri: SipUri;
  rawUri: string;
  params: Record<string, string | null>;
}

export function parseNameAddr(v: string): NameAddr {
  const s = v.trim();
  const lt = s.indexOf('<');
  if (lt >= 0) {
    const gt = s.indexOf('>', lt);
    if (gt < 0) throw new SipParseError(`unclosed < in "${s.slice(0, 100)}"`, 'HEADER');
    const rawUri = s.slice(lt + 1, gt);
    const name = s.slice(0, lt).trim().replace(/^"(.*)"$/, '$1');
    return { displayName: name || undefined, uri: parseSipUri(rawUri), rawUri, params: parseParams(s.slice(gt + 1)) };
  }
  // Without angle brackets, parameters after the URI belong to the header (§20.10).
  const semi = s.indexOf(';');
  const rawUri = semi >= 0 ? s.slice(0, semi) : s;
  return { uri: parseSipUri(rawUri), rawUri, params: parseParams(semi >= 0 ? s.slice(semi) : '') };
}

export function formatNameAddr(rawUri: string, params: Record<string, string | null | undefined> = {}, displayName?: string): string {
  const p = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => (v === null ? `;${k}` : `;${k}=${v}`))
    .join('');
  return `${displayName ? `"${displayName}" ` : ''}<${rawUri}>${p}`;
}

/** The user part of a From/To URI: for GB/T 28181 the 20-digit device or platform ID. */
export function userOf(v: string | undefined): string | undefined {
  if (!v) return undefined;
  try {
    return parseNameAddr(v).uri.user;
  } catch {
    return undefined;
  }
}

export function tagOf(v: string | undefined): string | undefined {
  if (!v) return undefined;
  try {
    return parseNameAddr(v).params.tag ?? undefined;
  } catch {
    return undefined;
  }
}

/** The URI of a Contact (or From/To) value, e.g. the remote target of a dialog (RFC 3261 §12.1.1); undefined when unreadable. */
export function uriOf(v: string | undefined): string | undefined {
  if (!v) return undefined;
  try {
    return parseNameAddr(v).rawUri;
  } catch {
    return undefined;
  }
}

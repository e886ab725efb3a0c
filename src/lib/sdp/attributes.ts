import type { Sdp, SdpAttribute, SdpMedia } from './types.js';

/** Value of the first attribute with this name (case-insensitive); '' for a property attribute; undefined if absent. */
export function attr(list: readonly SdpAttribute[], name: string): string | undefined {
  const n = name.toLowerCase();
  for (const a of list) if (a.name.toLowerCase() === n) return a.value ?? '';
  return undefined;
}

export function attrs(list: readonly SdpAttribute[], name: string): string[] {
  const n = name.toLowerCase();
  return list.filter((a) => a.name.toLowerCase() === n).map((a) => a.value ?? '');
}

/** Media attribute, falling back to the session level (RFC 4566 §5: session values are defaults). */
export function mediaAttr(sdp: Sdp, m: SdpMedia, name: string): string | undefined {
  return attr(m.attributes, name) ?? attr(sdp.attributes, name);
}

export interface RtpMap {
  payloadType: number;
  /** as written: "PS", "H264", "mpeg4-generic" … */
  encoding: string;
  clockRate?: number;
  channels?: number;
  /** not from an a=rtpmap line: a static type (RFC 3551 Table 4/5) or the GB/T 28181 convention for 96–99 */
  implied?: boolean;
}

/** RFC 3551 §6 static payload types we may meet. */
const STATIC: Record<number, [string, number, number?]> = {
  0: ['PCMU', 8000, 1],
  8: ['PCMA', 8000, 1],
  9: ['G722', 8000, 1],
  14: ['MPA', 90000],
  26: ['JPEG', 90000],
  32: ['MPV', 90000],
  33: ['MP2T', 90000],
};

/** What GB/T 28181 devices mean by 96–99 when they leave out the rtpmap (GB/T 28181-2016 附录F examples). */
export const GB_PAYLOAD_TYPES: Record<number, [string, number]> = {
  96: ['PS', 90000],
  97: ['MPEG4', 90000],
  98: ['H264', 90000],
  99: ['H265', 90000],
};

/** `a=rtpmap:<pt> <encoding>/<clock>[/<channels>]` (RFC 4566 §6) for each format of the media. */
export function rtpMaps(m: SdpMedia, opts: { gbDefaults?: boolean } = {}): RtpMap[] {
  const explicit = new Map<number, RtpMap>();
  for (const v of attrs(m.attributes, 'rtpmap')) {
    const r = /^(\d+)\s+([^/\s]+)(?:\/(\d+))?(?:\/(\d+))?/.exec(v);
    if (!r) continue;
    const map: RtpMap = { payloadType: Number(r[1]), encoding: r[2] };
    if (r[3]) map.clockRate = Number(r[3]);
    if (r[4]) map.channels = Number(r[4]);
    if (!explicit.has(map.payloadType)) explicit.set(map.payloadType, map);
  }
  const out: RtpMap[] = [];
  for (const f of m.formats) {
    if (!/^\d+$/.test(f)) continue;
    const pt = Number(f);
    const e = explicit.get(pt);
    if (e) {
      out.push(e);
      explicit.delete(pt);
      continue;
    }
    const s = STATIC[pt] ?? (opts.gbDefaults ? GB_PAYLOAD_TYPES[pt] : undefined);
    if (s) out.push({ payloadType: pt, encoding: s[0], clockRate: s[1], ...(s[2] ? { channels: s[2] } : {}), implied: true });
  }
  // rtpmaps for types missing from the m= line (devices do this) still count
  for (const e of explicit.values()) out.push(e);
  return out;
}

/** `a=fmtp:<pt> k=v;k=v` (RFC 4566 §6) as a map with lower-case keys. */
export function fmtp(m: SdpMedia, payloadType: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of attrs(m.attributes, 'fmtp')) {
    const r = /^(\d+)\s+(.*)$/.exec(v);
    if (!r || Number(r[1]) !== payloadType) continue;
    for (const kv of r[2].split(';')) {
      const eq = kv.indexOf('=');
      if (eq < 0) {
        if (kv.trim()) out[kv.trim().toLowerCase()] = '';
        continue;
      }
      out[kv.slice(0, eq).trim().toLowerCase()] = kv.slice(eq + 1).trim();
    }
  }
  return out;
}

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** RFC 4566 §6 direction of the media (session level as default); undefined when neither says. */
export function direction(sdp: Sdp, m: SdpMedia): Direction | undefined {
  for (const list of [m.attributes, sdp.attributes]) {
    for (const a of list) {
      const n = a.name.toLowerCase();
      if (n === 'sendrecv' || n === 'sendonly' || n === 'recvonly' || n === 'inactive') return n;
    }
  }
  return undefined;
}

/** The IP of a c= line without its "/ttl" (RFC 4566 §5.7). */
export function connectionAddress(sdp: Sdp, m?: SdpMedia): string | undefined {
  const c = m?.connection ?? sdp.connection;
  return c?.address.split('/')[0] || undefined;
}

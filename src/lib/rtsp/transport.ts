import { RtspParseError } from './errors.js';

/**
 * One transport specification of a Transport header (RFC 2326 §12.39):
 *   RTP/AVP;unicast;client_port=4588-4589;server_port=6256-6257;ssrc=0A1B2C3D
 *   RTP/AVP/TCP;unicast;interleaved=0-1
 */
export interface RtspTransport {
  /** "RTP/AVP" (or "RTP/SAVP" …) */
  profile: string;
  lowerTransport: 'UDP' | 'TCP';
  /** true for unicast, false for multicast, undefined when neither is stated */
  unicast?: boolean;
  interleaved?: [number, number];
  clientPort?: [number, number];
  serverPort?: [number, number];
  /** multicast port pair */
  port?: [number, number];
  ttl?: number;
  destination?: string;
  source?: string;
  /** SSRC, written in hex (§12.39) */
  ssrc?: number;
  /** "PLAY" / "RECORD", unquoted and upper-case */
  mode?: string;
  /** every parameter as written, keys lower-case (value true for flags) */
  params: Record<string, string | true>;
}

function pair(v: string, what: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(v.trim());
  if (!m) throw new RtspParseError(`bad ${what} "${v}"`, 'TRANSPORT', 461);
  const a = Number(m[1]);
  const b = m[2] !== undefined ? Number(m[2]) : a + 1;
  return [a, b];
}

/** Splits at commas that are not inside double quotes. */
function splitTop(v: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (const ch of v) {
    if (ch === '"') q = !q;
    if (ch === sep && !q) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Parses a Transport header; a client may offer several alternatives separated by commas (§12.39). */
export function parseTransport(value: string): RtspTransport[] {
  const out: RtspTransport[] = [];
  for (const spec of splitTop(value, ',')) {
    if (!spec.trim()) continue;
    const parts = splitTop(spec, ';').map((p) => p.trim());
    const proto = parts[0].split('/');
    if (proto.length < 2) throw new RtspParseError(`bad transport "${parts[0]}"`, 'TRANSPORT', 461);
    const lower = (proto[2] ?? 'UDP').toUpperCase();
    if (lower !== 'UDP' && lower !== 'TCP') throw new RtspParseError(`unsupported lower transport "${lower}"`, 'TRANSPORT', 461);
    const t: RtspTransport = { profile: `${proto[0]}/${proto[1]}`.toUpperCase(), lowerTransport: lower, params: {} };
    for (const p of parts.slice(1)) {
      if (!p) continue;
      const eq = p.indexOf('=');
      const k = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
      const v = eq < 0 ? true : p.slice(eq + 1).trim();
      t.params[k] = v;
      if (v === true) {
        if (k === 'unicast') t.unicast = true;
        else if (k === 'multicast') t.unicast = false;
        continue;
      }
      switch (k) {
        case 'interleaved':
          t.interleaved = pair(v, k);
          break;
        case 'client_port':
          t.clientPort = pair(v, k);
          break;
        case 'server_port':
          t.serverPort = pair(v, k);
          break;
        case 'port':
          t.port = pair(v, k);
          break;
        case 'ttl':
          t.ttl = Number(v);
          break;
        case 'destination':
          t.destination = v;
          break;
        case 'source':
          t.source = v;
          break;
        case 'ssrc':
          if (/^[0-9a-fA-F]{1,8}$/.test(v)) t.ssrc = parseInt(v, 16);
          break;
        case 'mode':
          t.mode = v.replace(/"/g, '').toUpperCase();
          break;
        default:
          break;
      }
    }
    out.push(t);
  }
  if (!out.length) throw new RtspParseError('empty Transport header', 'TRANSPORT', 461);
  return out;
}

/** Writes one transport specification (§12.39), in the conventional parameter order. */
export function formatTransport(t: Omit<RtspTransport, 'params'> & { params?: Record<string, string | true> }): string {
  const p: string[] = [t.lowerTransport === 'TCP' ? `${t.profile}/TCP` : t.profile];
  if (t.unicast === true) p.push('unicast');
  else if (t.unicast === false) p.push('multicast');
  if (t.destination) p.push(`destination=${t.destination}`);
  if (t.source) p.push(`source=${t.source}`);
  if (t.interleaved) p.push(`interleaved=${t.interleaved[0]}-${t.interleaved[1]}`);
  if (t.ttl !== undefined) p.push(`ttl=${t.ttl}`);
  if (t.port) p.push(`port=${t.port[0]}-${t.port[1]}`);
  if (t.clientPort) p.push(`client_port=${t.clientPort[0]}-${t.clientPort[1]}`);
  if (t.serverPort) p.push(`server_port=${t.serverPort[0]}-${t.serverPort[1]}`);
  if (t.ssrc !== undefined) p.push(`ssrc=${(t.ssrc >>> 0).toString(16).toUpperCase().padStart(8, '0')}`);
  if (t.mode) p.push(`mode="${t.mode}"`);
  return p.join(';');
}

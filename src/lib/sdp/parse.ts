import { SdpError } from './errors.js';
import type { Sdp, SdpConnection, SdpMedia, SdpOrigin } from './types.js';

/** Largest description we read; SDP bodies are a few hundred bytes. */
export const MAX_SDP_BYTES = 64 * 1024;

/**
 * Parses a session description (RFC 4566 §5), tolerantly, as devices write them: CRLF, LF or CR line ends, blank
 * lines, spaces around "=" and between fields, upper-case type letters, missing o=/s=/t=, lines out of the RFC order.
 * Unknown line types are ignored. GB/T 28181 `y=` and `f=` (附录F) are kept on the media they follow.
 * Throws SdpError only for text with neither a v= nor an m= line.
 */
export function parseSdp(text: string): Sdp {
  if (text.length > MAX_SDP_BYTES) throw new SdpError(`session description too large (${text.length} bytes)`);
  const sdp: Sdp = { version: 0, sessionName: '', bandwidths: [], timing: [], attributes: [], media: [] };
  let m: SdpMedia | undefined;
  let seen = false;
  for (const raw of text.split(/\r\n|\r|\n/)) {
    const line = /^\s*([A-Za-z])\s*=(.*)$/.exec(raw);
    if (!line) continue;
    const type = line[1].toLowerCase();
    const value = line[2].trim();
    switch (type) {
      case 'v':
        sdp.version = Number(value) || 0;
        seen = true;
        break;
      case 'o':
        sdp.origin = parseOrigin(value);
        break;
      case 's':
        sdp.sessionName = value;
        break;
      case 'i':
        if (m) m.info = value;
        else sdp.info = value;
        break;
      case 'u':
        sdp.uri = value;
        break;
      case 'c': {
        const c = parseConnection(value);
        if (c && m) m.connection = c;
        else if (c) sdp.connection = c;
        break;
      }
      case 'b': {
        const b = /^([\w-]+)\s*:\s*(\d+)/.exec(value);
        if (b) (m ? m.bandwidths : sdp.bandwidths).push({ type: b[1], value: Number(b[2]) });
        break;
      }
      case 't': {
        const [start, stop] = value.split(/\s+/).map((x) => Number(x));
        sdp.timing.push({ start: Number.isFinite(start) ? start : 0, stop: Number.isFinite(stop) ? stop : 0 });
        break;
      }
      case 'a': {
        const colon = value.indexOf(':');
        const attr = colon < 0 ? { name: value.trim() } : { name: value.slice(0, colon).trim(), value: value.slice(colon + 1).trim() };
        if (attr.name) (m ? m.attributes : sdp.attributes).push(attr);
        break;
      }
      case 'm': {
        const media = parseMediaLine(value);
        if (media) {
          sdp.media.push(media);
          m = media;
          seen = true;
        }
        break;
      }
      case 'y':
        if (m) m.ssrc = value;
        else sdp.ssrc = value;
        break;
      case 'f':
        if (m) m.format = value;
        else sdp.format = value;
        break;
      default:
        break; // e, p, r, z, k and anything unknown
    }
  }
  if (!seen) throw new SdpError('not a session description (no v= or m= line)');
  return sdp;
}

function parseOrigin(v: string): SdpOrigin {
  const f = v.split(/\s+/);
  return {
    username: f[0] ?? '-',
    sessionId: f[1] ?? '0',
    sessionVersion: f[2] ?? '0',
    netType: f[3] ?? 'IN',
    addrType: f[4] ?? 'IP4',
    address: f[5] ?? '',
  };
}

function parseConnection(v: string): SdpConnection | undefined {
  const f = v.split(/\s+/);
  if (f.length < 3) return undefined;
  return { netType: f[0], addrType: f[1], address: f[2] };
}

function parseMediaLine(v: string): SdpMedia | undefined {
  const f = v.split(/\s+/);
  if (f.length < 3) return undefined;
  const pm = /^(\d+)(?:\/(\d+))?$/.exec(f[1]);
  if (!pm) return undefined;
  const media: SdpMedia = {
    type: f[0].toLowerCase(),
    port: Number(pm[1]),
    proto: f[2],
    formats: f.slice(3),
    bandwidths: [],
    attributes: [],
  };
  if (pm[2] !== undefined) media.portCount = Number(pm[2]);
  return media;
}

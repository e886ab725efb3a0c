import { RtspParseError } from './errors.js';
import { RtspHeaders } from './headers.js';

export interface RtspRequest {
  kind: 'request';
  method: string;
  uri: string;
  /** "RTSP/1.0" */
  version: string;
  headers: RtspHeaders;
  body: Buffer;
}

export interface RtspResponse {
  kind: 'response';
  version: string;
  status: number;
  reason: string;
  headers: RtspHeaders;
  body: Buffer;
}

export type RtspMessage = RtspRequest | RtspResponse;

export const MAX_RTSP_HEADER_BYTES = 16 * 1024;
export const MAX_RTSP_BODY_BYTES = 256 * 1024;

const REQUEST_LINE = /^([A-Za-z_]+)\s+(\S+)\s+(RTSP\/\d+\.\d+)\s*$/; // RFC 2326 §6.1
const STATUS_LINE = /^(RTSP\/\d+\.\d+)\s+(\d{3})(?:\s+(.*))?$/; // RFC 2326 §7.1

/** Reason phrases of RFC 2326 §7.1.1 that servers commonly send. */
export const RTSP_REASONS: Record<number, string> = {
  200: 'OK',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Time-out',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  453: 'Not Enough Bandwidth',
  454: 'Session Not Found',
  455: 'Method Not Valid in This State',
  457: 'Invalid Range',
  459: 'Aggregate operation not allowed',
  460: 'Only aggregate operation allowed',
  461: 'Unsupported transport',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'RTSP Version not supported',
};

/**
 * Parses the head (start line + headers, without the blank line) of an RTSP message (RFC 2326 §4, §6, §7); LF-only
 * and folded lines (§4.2 via RFC 2616 §2.2) tolerated. The body is attached by the caller.
 */
export function parseRtspHead(head: string): { kind: 'request'; method: string; uri: string; version: string; headers: RtspHeaders } | { kind: 'response'; version: string; status: number; reason: string; headers: RtspHeaders } {
  const lines = head.split(/\r?\n/);
  const first = lines.shift() ?? '';
  const headers = new RtspHeaders();
  let last: [string, string] | undefined;
  const entries = headers.entries() as [string, string][];
  for (const line of lines) {
    if (!line) continue;
    if ((line[0] === ' ' || line[0] === '\t') && last) {
      last[1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new RtspParseError(`malformed header line "${line.slice(0, 80)}"`, 'HEADER');
    const name = line.slice(0, colon).trim();
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) throw new RtspParseError(`bad header name "${name.slice(0, 40)}"`, 'HEADER');
    headers.append(name, line.slice(colon + 1).trim());
    last = entries[entries.length - 1];
  }
  const s = STATUS_LINE.exec(first);
  if (s) return { kind: 'response', version: s[1], status: Number(s[2]), reason: (s[3] ?? '').trim(), headers };
  const r = REQUEST_LINE.exec(first);
  if (r) return { kind: 'request', method: r[1].toUpperCase(), uri: r[2], version: r[3], headers };
  throw new RtspParseError(`bad start line "${first.slice(0, 80)}"`, 'START_LINE');
}

/** Content-Length (RFC 2326 §12.14); absent = no body. */
export function contentLength(headers: RtspHeaders, max = MAX_RTSP_BODY_BYTES): number {
  const v = headers.get('content-length');
  if (v === undefined) return 0;
  if (!/^\s*\d+\s*$/.test(v)) throw new RtspParseError(`bad Content-Length "${v}"`, 'CONTENT_LENGTH');
  const n = Number(v);
  if (n > max) throw new RtspParseError(`body of ${n} bytes is too large`, 'TOO_LARGE', 413);
  return n;
}

/** A whole message in one buffer (e.g. a test, or a datagram). */
export function parseRtspMessage(buf: Buffer): RtspMessage {
  let s = 0;
  while (s < buf.length && (buf[s] === 0x0d || buf[s] === 0x0a)) s++;
  const end = findHeadEnd(buf, s);
  const headEnd = end ? end.at : buf.length;
  if (headEnd - s > MAX_RTSP_HEADER_BYTES) throw new RtspParseError('header block too large', 'TOO_LARGE', 413);
  const head = parseRtspHead(buf.toString('utf8', s, headEnd));
  const bodyStart = end ? end.at + end.len : buf.length;
  const cl = contentLength(head.headers);
  if (bodyStart + cl > buf.length) throw new RtspParseError(`Content-Length ${cl} exceeds the ${buf.length - bodyStart} bytes present`, 'CONTENT_LENGTH');
  return { ...head, body: buf.subarray(bodyStart, bodyStart + cl) };
}

/** Index of the blank line that ends the head: CRLFCRLF, or LFLF from sloppy peers. */
export function findHeadEnd(buf: Buffer, from = 0, to = buf.length): { at: number; len: number } | undefined {
  for (let i = buf.indexOf(0x0a, from); i >= 0 && i < to - 1; i = buf.indexOf(0x0a, i + 1)) {
    if (buf[i + 1] === 0x0a) return { at: i, len: 2 };
    if (buf[i + 1] === 0x0d && i + 2 < to && buf[i + 2] === 0x0a) return { at: i, len: 3 };
  }
  return undefined;
}

/** Serialises with CRLF and a Content-Length matching the body (omitted when there is none). */
export function serializeRtspMessage(m: RtspMessage): Buffer {
  const lines = [m.kind === 'request' ? `${m.method} ${m.uri} ${m.version}` : `${m.version} ${m.status} ${m.reason}`];
  for (const [k, v] of m.headers.entries()) if (k.toLowerCase() !== 'content-length') lines.push(`${k}: ${v}`);
  if (m.body.length) lines.push(`Content-Length: ${m.body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), m.body]);
}

export function rtspRequest(method: string, uri: string, headers: RtspHeaders | Record<string, string | number | undefined> = {}, body: Buffer | string = Buffer.alloc(0)): RtspRequest {
  return { kind: 'request', method, uri, version: 'RTSP/1.0', headers: headers instanceof RtspHeaders ? headers : new RtspHeaders(headers), body: typeof body === 'string' ? Buffer.from(body) : body };
}

/** A response echoing the request's CSeq (RFC 2326 §12.17) and, when there is one, its Session. */
export function rtspResponse(status: number, req: RtspRequest | undefined, headers: RtspHeaders | Record<string, string | number | undefined> = {}, body: Buffer | string = Buffer.alloc(0)): RtspResponse {
  let h = headers instanceof RtspHeaders ? headers : new RtspHeaders(headers);
  const cseq = req?.headers.get('cseq');
  if (cseq !== undefined && !h.has('cseq')) h = new RtspHeaders([['CSeq', cseq], ...h.entries().map(([k, v]): [string, string] => [k, v])]);
  return { kind: 'response', version: 'RTSP/1.0', status, reason: RTSP_REASONS[status] ?? 'Unknown', headers: h, body: typeof body === 'string' ? Buffer.from(body) : body };
}

/** The CSeq number (RFC 2326 §12.17); undefined when absent or not a number. */
export function cseqOf(m: RtspMessage): number | undefined {
  const v = m.headers.get('cseq')?.trim();
  return v && /^\d+$/.test(v) ? Number(v) : undefined;
}

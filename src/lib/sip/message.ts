import { SipParseError } from './errors.js';
import { canonicalHeaderName, SipHeaders } from './headers.js';

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  headers: SipHeaders;
  body: Buffer;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

/** Largest header block we read (bad-input rule: 64 KiB headers are refused, not buffered). */
export const MAX_HEADER_BYTES = 16 * 1024;
export const MAX_BODY_BYTES = 1024 * 1024;

function isAscii(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] > 0x7f) return false;
  return true;
}

/** Index of the blank line ending the headers and its length; accepts CRLFCRLF and LF-only devices (LFLF). */
export function findHeaderEnd(buf: Buffer, from = 0): { at: number; len: number } | undefined {
  for (let i = from; i < buf.length - 1; i++) {
    if (buf[i] !== 0x0a) continue;
    if (buf[i + 1] === 0x0a) return { at: i, len: 2 };
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return { at: i, len: 3 };
  }
  return undefined;
}

/**
 * Parses one SIP message (RFC 3261 §7). Tolerates header name case, compact forms, LF-only line ends, folded lines,
 * and a missing Content-Length on datagrams (then the body is the rest). A Content-Length larger than the data is
 * an error (400); a shorter one truncates the body.
 */
export function parseSipMessage(buf: Buffer, opts: { stream?: boolean } = {}): SipMessage {
  let start = 0;
  while (start < buf.length && (buf[start] === 0x0d || buf[start] === 0x0a)) start++;
  const end = findHeaderEnd(buf, start);
  const headEnd = end ? end.at : buf.length;
  if (headEnd - start > MAX_HEADER_BYTES) throw new SipParseError('header block too large', 'TOO_LARGE', 413);
  const headBytes = buf.subarray(start, headEnd);
  // Header text is UTF-8 in practice (Subject, display names). Pure-ASCII heads (nearly all) skip the UTF-8 pass.
  const head = isAscii(headBytes) ? headBytes.toString('latin1') : headBytes.toString('utf8');
  const lines = head.split(/\r?\n/);
  const first = lines.shift() ?? '';
  const headers = new SipHeaders();
  for (const line of lines) {
    if (!line) continue;
    if ((line[0] === ' ' || line[0] === '\t') && headers.entries().length) {
      const last = headers.entries()[headers.entries().length - 1] as [string, string];
      last[1] += ` ${line.trim()}`; // §7.3.1 folding
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SipParseError(`malformed header line "${line.slice(0, 80)}"`, 'HEADER');
    const name = line.slice(0, colon).trim();
    if (!/^[A-Za-z0-9!%*_+`'~.-]+$/.test(name)) throw new SipParseError(`bad header name "${name.slice(0, 40)}"`, 'HEADER');
    headers.append(name, line.slice(colon + 1).trim());
  }
  const bodyStart = end ? end.at + end.len : buf.length;
  const clRaw = headers.get('content-length');
  let body: Buffer;
  if (clRaw !== undefined) {
    if (!/^\d+$/.test(clRaw.trim())) throw new SipParseError(`bad Content-Length "${clRaw}"`, 'CONTENT_LENGTH');
    const cl = Number(clRaw);
    if (cl > MAX_BODY_BYTES) throw new SipParseError('body too large', 'TOO_LARGE', 413);
    if (bodyStart + cl > buf.length) throw new SipParseError(`Content-Length ${cl} exceeds the ${buf.length - bodyStart} bytes received`, 'CONTENT_LENGTH');
    body = buf.subarray(bodyStart, bodyStart + cl);
  } else {
    if (opts.stream) throw new SipParseError('Content-Length is required on stream transports', 'MISSING_HEADER');
    body = buf.subarray(bodyStart);
  }

  const resp = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/i.exec(first);
  if (resp) return { kind: 'response', status: Number(resp[1]), reason: resp[2], headers, body };
  const req = /^([A-Za-z]+)\s+(\S+)\s+SIP\/2\.0$/i.exec(first.trim());
  if (!req) throw new SipParseError(`bad start line "${first.slice(0, 80)}"`, 'START_LINE');
  return { kind: 'request', method: req[1].toUpperCase(), uri: req[2], headers, body };
}

/** Serialises with canonical header names and a correct Content-Length. */
export function serializeSipMessage(m: SipMessage): Buffer {
  const lines = [m.kind === 'request' ? `${m.method} ${m.uri} SIP/2.0` : `SIP/2.0 ${m.status} ${m.reason}`];
  for (const [k, v] of m.headers.entries()) {
    if (k === 'content-length') continue;
    lines.push(`${canonicalHeaderName(k)}: ${v}`);
  }
  lines.push(`Content-Length: ${m.body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), m.body]);
}

export function requiredHeader(m: SipMessage, name: string): string {
  const v = m.headers.get(name);
  if (v === undefined || v === '') throw new SipParseError(`missing ${name} header`, 'MISSING_HEADER');
  return v;
}

/** `CSeq: 1 REGISTER` */
export function parseCSeq(v: string): { seq: number; method: string } {
  const m = /^(\d+)\s+([A-Za-z]+)$/.exec(v.trim());
  if (!m) throw new SipParseError(`bad CSeq "${v}"`, 'HEADER');
  return { seq: Number(m[1]), method: m[2].toUpperCase() };
}

import { RtspParseError } from './errors.js';
import { contentLength, findHeadEnd, MAX_RTSP_BODY_BYTES, MAX_RTSP_HEADER_BYTES, parseRtspHead, type RtspMessage } from './message.js';

export interface RtspStreamParserOptions {
  onMessage(m: RtspMessage): void;
  /** `$` channel data (RFC 2326 §10.12); `data` is a view of the received bytes when it arrived whole */
  onInterleaved(channel: number, data: Buffer): void;
  maxHeaderBytes?: number;
  maxBodyBytes?: number;
}

/**
 * Splits an RTSP TCP connection into text messages and interleaved binary frames (RFC 2326 §10.12:
 * `$`, 1-byte channel, 16-bit length, data). Stray CR/LF between messages are skipped. What is held between
 * chunks is at most one incomplete item (≤ 4 + 65535 bytes for a frame, the header and body limits for a message),
 * copied out of the chunk so a large chunk is never retained. Throws RtspParseError when the peer sends something
 * that is neither; the caller then closes the connection (the parser is unusable afterwards).
 */
export class RtspStreamParser {
  private pending: Buffer | undefined;
  private readonly maxHeader: number;
  private readonly maxBody: number;
  private broken = false;

  constructor(private readonly opts: RtspStreamParserOptions) {
    this.maxHeader = opts.maxHeaderBytes ?? MAX_RTSP_HEADER_BYTES;
    this.maxBody = opts.maxBodyBytes ?? MAX_RTSP_BODY_BYTES;
  }

  push(chunk: Buffer): void {
    if (this.broken) throw new RtspParseError('parser already failed on this stream', 'GARBAGE');
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let i = 0;
    try {
      i = this.consume(buf);
    } catch (e) {
      this.broken = true;
      throw e;
    }
    if (i < buf.length) this.pending = Buffer.from(buf.subarray(i));
  }

  /** Bytes held for an incomplete message or frame. */
  get buffered(): number {
    return this.pending?.length ?? 0;
  }

  private consume(buf: Buffer): number {
    const n = buf.length;
    let i = 0;
    while (i < n) {
      const c = buf[i];
      if (c === 0x0d || c === 0x0a) {
        i++;
        continue;
      }
      if (c === 0x24) {
        if (i + 4 > n) return i;
        const len = buf.readUInt16BE(i + 2);
        if (i + 4 + len > n) return i;
        const channel = buf[i + 1];
        const data = buf.subarray(i + 4, i + 4 + len);
        i += 4 + len;
        this.opts.onInterleaved(channel, data);
        continue;
      }
      // A message starts with a method token or "RTSP/": an upper- or lower-case letter.
      if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) throw new RtspParseError(`unexpected byte 0x${c.toString(16)} between messages`, 'GARBAGE');
      const end = findHeadEnd(buf, i);
      if (!end) {
        if (n - i > this.maxHeader) throw new RtspParseError('header block too large', 'TOO_LARGE', 413);
        if (!looksLikeStartLine(buf, i)) throw new RtspParseError('not an RTSP message', 'GARBAGE');
        return i;
      }
      if (end.at - i > this.maxHeader) throw new RtspParseError('header block too large', 'TOO_LARGE', 413);
      const head = parseRtspHead(buf.toString('utf8', i, end.at));
      const cl = contentLength(head.headers, this.maxBody);
      const bodyStart = end.at + end.len;
      if (bodyStart + cl > n) return i;
      // the body is copied: messages are rare and may be kept (an SDP), unlike the binary frames
      const body = Buffer.from(buf.subarray(bodyStart, bodyStart + cl));
      i = bodyStart + cl;
      this.opts.onMessage({ ...head, body });
    }
    return i;
  }
}

/** Early check of a partial head, so binary garbage fails now rather than after maxHeaderBytes. */
function looksLikeStartLine(buf: Buffer, from: number): boolean {
  const lf = buf.indexOf(0x0a, from);
  const line = buf.toString('latin1', from, Math.min(lf < 0 ? buf.length : lf, from + 600)).replace(/\r$/, '');
  if (lf < 0) return line.length <= 512 && /^[\x20-\x7e]*$/.test(line);
  return /^[A-Za-z_]+\s+\S+\s+RTSP\/\d+\.\d+\s*$/.test(line) || /^RTSP\/\d+\.\d+\s+\d{3}/.test(line);
}

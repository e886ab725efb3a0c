import { SipParseError } from './errors.js';
import { findHeaderEnd, MAX_BODY_BYTES, MAX_HEADER_BYTES } from './message.js';

/**
 * Splits a TCP byte stream into SIP messages by Content-Length (RFC 3261 §18.3). Keepalive CRLFs between messages
 * are skipped (RFC 5626 §3.5.1). Throws SipParseError when the peer sends something unframeable; the caller then
 * closes that connection.
 */
export class SipStreamFramer {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Buffer[] = [];
    for (;;) {
      let s = 0;
      while (s < this.buf.length && (this.buf[s] === 0x0d || this.buf[s] === 0x0a)) s++;
      if (s) this.buf = this.buf.subarray(s);
      if (!this.buf.length) break;
      const end = findHeaderEnd(this.buf);
      if (!end) {
        if (this.buf.length > MAX_HEADER_BYTES) throw new SipParseError('header block too large', 'TOO_LARGE', 413);
        break;
      }
      if (end.at > MAX_HEADER_BYTES) throw new SipParseError('header block too large', 'TOO_LARGE', 413);
      const head = this.buf.subarray(0, end.at).toString('latin1');
      const m = /(?:^|\n)\s*(?:content-length|l)\s*:\s*(\d+)\s*(?:\r?$|\n)/im.exec(head);
      if (!m) throw new SipParseError('Content-Length is required on stream transports', 'MISSING_HEADER');
      const cl = Number(m[1]);
      if (cl > MAX_BODY_BYTES) throw new SipParseError('body too large', 'TOO_LARGE', 413);
      const total = end.at + end.len + cl;
      if (this.buf.length < total) break;
      out.push(this.buf.subarray(0, total));
      this.buf = this.buf.subarray(total);
    }
    return out;
  }

  get buffered(): number {
    return this.buf.length;
  }
}

/** One parsed RTP packet. `payload` is a view into the received buffer (no copy). */
export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  /** 16-bit sequence number */
  seq: number;
  /** 32-bit media timestamp, unsigned */
  timestamp: number;
  /** 32-bit synchronisation source, unsigned */
  ssrc: number;
  payload: Buffer;
}

/** What a sender fills in; `timestamp` may be any non-negative number, it is written modulo 2^32. */
export interface RtpHeader {
  marker?: boolean;
  payloadType: number;
  seq: number;
  timestamp: number;
  ssrc: number;
}

export const RTP_HEADER_BYTES = 12;

/**
 * Parses an RTP packet (RFC 3550 §5.1): version 2, CSRC list and header extension (§5.3.1) skipped, padding (§5.1 P
 * bit) removed. Returns undefined for anything that is not a well-formed RTP packet, and for RTCP sharing the port
 * (RFC 5761 §4: second byte 192..223 is RTCP's packet type, which RTP payload types 64..95 would collide with).
 */
export function parseRtp(buf: Buffer): RtpPacket | undefined {
  const len = buf.length;
  if (len < RTP_HEADER_BYTES) return undefined;
  const b0 = buf[0];
  if (b0 >> 6 !== 2) return undefined;
  const b1 = buf[1];
  if (b1 >= 192 && b1 <= 223) return undefined;
  let off = RTP_HEADER_BYTES + (b0 & 0x0f) * 4;
  if (b0 & 0x10) {
    if (off + 4 > len) return undefined;
    off += 4 + buf.readUInt16BE(off + 2) * 4;
  }
  let end = len;
  if (b0 & 0x20) {
    const pad = buf[len - 1];
    if (pad === 0) return undefined;
    end -= pad;
  }
  if (off > end) return undefined;
  return {
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    seq: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    payload: buf.subarray(off, end),
  };
}

/** Writes the fixed 12-byte header (no CSRC, no extension, no padding) at `offset`. RFC 3550 §5.1 */
export function writeRtpHeader(target: Buffer, offset: number, h: RtpHeader): void {
  target[offset] = 0x80;
  target[offset + 1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  target.writeUInt16BE(h.seq & 0xffff, offset + 2);
  target.writeUInt32BE(h.timestamp % 0x1_0000_0000, offset + 4);
  target.writeUInt32BE(h.ssrc >>> 0, offset + 8);
}

/** Header plus payload into `target` at `offset`; returns the bytes written. For senders reusing one buffer. */
export function writeRtpInto(target: Buffer, offset: number, h: RtpHeader, payload: Buffer): number {
  writeRtpHeader(target, offset, h);
  payload.copy(target, offset + RTP_HEADER_BYTES);
  return RTP_HEADER_BYTES + payload.length;
}

/** A new packet buffer: 12-byte header then the payload. */
export function writeRtp(h: RtpHeader, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(RTP_HEADER_BYTES + payload.length);
  writeRtpInto(out, 0, h, payload);
  return out;
}

/** True when the datagram is RTCP on a muxed port (RFC 5761 §4). */
export function isRtcp(buf: Buffer): boolean {
  return buf.length >= 8 && buf[0] >> 6 === 2 && buf[1] >= 192 && buf[1] <= 223;
}

import { RTP_HEADER_BYTES, writeRtpHeader } from './packet.js';
import { nextSeq, type SeqCounter } from './seq.js';

/** Options shared by the RTP packetizers. */
export interface PacketizeOptions {
  ssrc: number;
  payloadType: number;
  seq: SeqCounter;
  /** RTP timestamp in the stream's clock (see rtpTimestamp()); written modulo 2^32 */
  timestamp: number;
  /** largest RTP payload in bytes; default 1400 */
  mtu?: number;
  /** prepend the RFC 4571 2-byte length to each packet (RTP over TCP) */
  rfc4571?: boolean;
}

/** Per-stream sender state: SSRC, payload type, the running sequence number. RFC 3550 §5.1 */
export class RtpSender {
  readonly seq: SeqCounter;

  constructor(
    readonly ssrc: number,
    readonly payloadType: number,
    /** first sequence number; RFC 3550 §5.1 recommends a random start */
    seq = 0,
  ) {
    this.seq = { value: seq & 0xffff };
  }

  /** One packet carrying `payload` (copied behind a fresh header). `rfc4571` prepends the 2-byte TCP length. */
  packet(payload: Buffer, timestamp: number, marker: boolean, rfc4571 = false): Buffer {
    return rtpPacketWith(this, [payload], timestamp, marker, rfc4571);
  }
}

/** Builds one packet whose payload is the concatenation of `parts` (saves a concat for FU headers). */
export function rtpPacketWith(
  s: { ssrc: number; payloadType: number; seq: SeqCounter },
  parts: readonly Buffer[],
  timestamp: number,
  marker: boolean,
  rfc4571 = false,
): Buffer {
  let len = RTP_HEADER_BYTES;
  for (const p of parts) len += p.length;
  const pre = rfc4571 ? 2 : 0;
  const out = Buffer.allocUnsafe(pre + len);
  if (rfc4571) out.writeUInt16BE(len, 0); // RFC 4571 §2
  writeRtpHeader(out, pre, { marker, payloadType: s.payloadType, seq: nextSeq(s.seq), timestamp, ssrc: s.ssrc });
  let o = pre + RTP_HEADER_BYTES;
  for (const p of parts) o += p.copy(out, o);
  return out;
}

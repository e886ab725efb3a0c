import type { SeqCounter } from './seq.js';
import { rtpPacketWith } from './sender.js';

export interface PsPacketizeOptions {
  ssrc: number;
  /** GB/T 28181 uses 96 for PS (a=rtpmap:96 PS/90000) */
  payloadType?: number;
  /** advanced by one per packet */
  seq: SeqCounter;
  /** the frame's 90 kHz time (the PS pack SCR/PTS clock); written modulo 2^32 */
  timestamp: number;
  /** largest RTP payload in bytes; default 1400 */
  mtu?: number;
  /** prepend the RFC 4571 2-byte length to each packet (TCP media) */
  rfc4571?: boolean;
}

/**
 * GB/T 28181-2016 附录C (PS over RTP): one frame's PS bytes are cut into RTP payloads of at most
 * `mtu` bytes, all with the frame's timestamp; the marker bit is set on the last packet of the frame.
 */
export function packetizePs(ps: Buffer, opts: PsPacketizeOptions): Buffer[] {
  const mtu = Math.max(1, opts.mtu ?? 1400);
  const s = { ssrc: opts.ssrc, payloadType: opts.payloadType ?? 96, seq: opts.seq };
  const out: Buffer[] = [];
  for (let i = 0; i < ps.length; i += mtu) {
    const end = Math.min(ps.length, i + mtu);
    out.push(rtpPacketWith(s, [ps.subarray(i, end)], opts.timestamp, end === ps.length, opts.rfc4571));
  }
  return out;
}

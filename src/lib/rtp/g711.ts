import type { AudioFrame } from '../av/frame.js';
import { RtpTimestampUnwrapper } from './clock.js';
import type { RtpPacket } from './packet.js';
import { type PacketizeOptions, rtpPacketWith } from './sender.js';

/** Static payload types (RFC 3551 §6, Table 4): PCMU 0, PCMA 8, both 8000 Hz mono. */
export const PT_PCMU = 0;
export const PT_PCMA = 8;

/** G.711 over RTP (RFC 3551 §4.5.14): one byte per sample at 8 kHz; one AudioFrame per packet. */
export class G711Depacketizer {
  private readonly clock: RtpTimestampUnwrapper;

  constructor(
    private readonly opts: { onFrame(frame: AudioFrame): void; codec?: 'g711a' | 'g711u'; rtpBase?: number; clockRate?: number },
  ) {
    this.clock = new RtpTimestampUnwrapper(opts.clockRate ?? 8000, opts.rtpBase);
  }

  push(p: RtpPacket): void {
    if (!p.payload.length) return;
    const codec = this.opts.codec ?? (p.payloadType === PT_PCMU ? 'g711u' : 'g711a');
    const pts = this.clock.to90k(p.timestamp);
    this.opts.onFrame({ track: 'audio', codec, pts, dts: pts, key: true, units: [p.payload] });
  }
}

/** Samples to packets of at most `mtu` bytes, the timestamp advancing by one per sample (RFC 3551 §4.5.14). */
export function packetizeG711(samples: Buffer, opts: PacketizeOptions): Buffer[] {
  const mtu = Math.max(1, opts.mtu ?? 1400);
  const out: Buffer[] = [];
  for (let o = 0; o < samples.length; o += mtu) {
    const end = Math.min(samples.length, o + mtu);
    // RFC 3551 §4.1: the marker marks the first packet of a talkspurt; continuous audio leaves it 0.
    out.push(rtpPacketWith(opts, [samples.subarray(o, end)], opts.timestamp + o, false, opts.rfc4571));
  }
  return out;
}

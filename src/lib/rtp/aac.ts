import type { AudioFrame } from '../av/frame.js';
import { RtpTimestampUnwrapper } from './clock.js';
import type { RtpPacket } from './packet.js';
import { type PacketizeOptions, rtpPacketWith } from './sender.js';

/** AU-header layout from the SDP fmtp (RFC 3640 §4.1); AAC-hbr is 13/3/3 (§3.3.6). */
export interface AuHeaderLayout {
  sizeLength: number;
  indexLength: number;
  indexDeltaLength: number;
}

export const AAC_HBR: AuHeaderLayout = { sizeLength: 13, indexLength: 3, indexDeltaLength: 3 };

export interface AacDepacketizerOptions {
  onFrame(frame: AudioFrame): void;
  /** the RTP clock, = the AAC sample rate (a=rtpmap:97 mpeg4-generic/44100/2) */
  sampleRate: number;
  layout?: AuHeaderLayout;
  /** samples per AAC frame (1024; 960 for the rare 960-sample variant) */
  samplesPerFrame?: number;
  rtpBase?: number;
}

function readBits(b: Buffer, bitPos: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const p = bitPos + i;
    v = (v << 1) | ((b[p >> 3] >> (7 - (p & 7))) & 1);
  }
  return v;
}

/**
 * AAC over RTP, mpeg4-generic (RFC 3640 §3.2): a 16-bit AU-headers-length (in bits), the AU headers, then the access
 * units back to back. One AudioFrame per packet, `units` = the raw AUs in order (each `samplesPerFrame` apart, pts of
 * the first). An AU larger than a packet is fragmented (§3.2.3): every fragment repeats the AU header with the full
 * size, the marker bit is on the last; a lost fragment drops the AU.
 */
export class AacDepacketizer {
  readonly stats = { frames: 0, dropped: 0 };
  private readonly onFrame: (f: AudioFrame) => void;
  private readonly layout: AuHeaderLayout;
  private readonly clock: RtpTimestampUnwrapper;
  private frag: Buffer[] | undefined;
  private fragBytes = 0;
  private fragSize = 0;
  private fragTs = 0;
  private lastSeq = -1;
  private skipTs: number | undefined;

  constructor(opts: AacDepacketizerOptions) {
    this.onFrame = opts.onFrame;
    this.layout = opts.layout ?? AAC_HBR;
    this.clock = new RtpTimestampUnwrapper(opts.sampleRate, opts.rtpBase);
  }

  push(p: RtpPacket): void {
    if (this.lastSeq >= 0 && p.seq !== ((this.lastSeq + 1) & 0xffff) && this.frag) {
      this.skipTs = this.fragTs; // the rest of this AU's fragments are useless
      this.dropFrag();
    }
    this.lastSeq = p.seq;
    if (this.skipTs !== undefined && p.timestamp !== this.skipTs) this.skipTs = undefined;
    const b = p.payload;
    if (b.length < 2) return;
    const headerBits = b.readUInt16BE(0);
    let off = 2 + ((headerBits + 7) >> 3);
    if (off > b.length) return void this.stats.dropped++;
    const { sizeLength, indexLength, indexDeltaLength } = this.layout;
    const sizes: number[] = [];
    let bit = 0;
    while (bit + sizeLength <= headerBits) {
      sizes.push(readBits(b, 16 + bit, sizeLength));
      bit += sizeLength + (sizes.length === 1 ? indexLength : indexDeltaLength);
    }
    if (!sizes.length) return;
    const data = b.length - off;
    if (sizes.length === 1 && sizes[0] > data) {
      // §3.2.3: a fragment of one AU
      if (p.timestamp === this.skipTs) return;
      if (this.frag && (this.fragTs !== p.timestamp || this.fragSize !== sizes[0])) this.dropFrag();
      if (!this.frag) {
        this.frag = [];
        this.fragBytes = 0;
        this.fragSize = sizes[0];
        this.fragTs = p.timestamp;
      }
      this.frag.push(b.subarray(off));
      this.fragBytes += data;
      if (this.fragBytes > this.fragSize) return this.dropFrag();
      if (this.fragBytes === this.fragSize) {
        const au = Buffer.concat(this.frag, this.fragBytes);
        this.frag = undefined;
        this.emit(p.timestamp, [au]);
      }
      return;
    }
    if (this.frag) this.dropFrag();
    const units: Buffer[] = [];
    for (const size of sizes) {
      if (off + size > b.length) return void this.stats.dropped++;
      units.push(b.subarray(off, off + size));
      off += size;
    }
    this.emit(p.timestamp, units);
  }

  private emit(ts: number, units: Buffer[]): void {
    const pts = this.clock.to90k(ts);
    this.stats.frames++;
    this.onFrame({ track: 'audio', codec: 'aac', pts, dts: pts, key: true, units });
  }

  private dropFrag(): void {
    if (this.frag) {
      this.frag = undefined;
      this.stats.dropped++;
    }
  }
}

/**
 * Raw AAC frames (consecutive, `samplesPerFrame` apart, the first at opts.timestamp in the sample clock) to
 * mpeg4-generic AAC-hbr packets (RFC 3640 §3.3.6): as many whole AUs per packet as fit, each with a 16-bit AU header
 * (13-bit size, 3-bit index 0); an AU larger than the MTU is fragmented, marker only on its last fragment.
 */
export function packetizeAac(units: readonly Buffer[], opts: PacketizeOptions & { samplesPerFrame?: number }): Buffer[] {
  const mtu = Math.max(8, opts.mtu ?? 1400);
  const spf = opts.samplesPerFrame ?? 1024;
  const out: Buffer[] = [];
  let i = 0;
  while (i < units.length) {
    const ts = opts.timestamp + i * spf;
    const au = units[i];
    if (au.length > 0x1fff) throw new RangeError(`AAC frame of ${au.length} bytes exceeds the 13-bit AU size`);
    if (4 + au.length > mtu) {
      const head = auHeaders([au.length]);
      for (let o = 0; o < au.length; o += mtu - 4) {
        const end = Math.min(au.length, o + mtu - 4);
        out.push(rtpPacketWith(opts, [head, au.subarray(o, end)], ts, end === au.length, opts.rfc4571));
      }
      i++;
      continue;
    }
    let n = 0;
    let bytes = 2;
    while (i + n < units.length && bytes + 2 + units[i + n].length <= mtu && units[i + n].length <= 0x1fff) {
      bytes += 2 + units[i + n].length;
      n++;
    }
    const group = units.slice(i, i + n);
    out.push(rtpPacketWith(opts, [auHeaders(group.map((u) => u.length)), ...group], ts, true, opts.rfc4571));
    i += n;
  }
  return out;
}

function auHeaders(sizes: number[]): Buffer {
  const h = Buffer.allocUnsafe(2 + 2 * sizes.length);
  h.writeUInt16BE(16 * sizes.length, 0);
  for (let k = 0; k < sizes.length; k++) h.writeUInt16BE((sizes[k] & 0x1fff) << 3, 2 + 2 * k);
  return h;
}

/** fmtp for an AAC-hbr track (RFC 3640 §4.1), `config` = AudioSpecificConfig in hex. */
export function aacFmtp(payloadType: number, config: Buffer): string {
  return `${payloadType} streamtype=5; profile-level-id=1; mode=AAC-hbr; sizelength=13; indexlength=3; indexdeltalength=3; config=${config.toString('hex')}`;
}

import type { VideoCodec } from '../av/frame.js';
import { type PacketizeOptions, rtpPacketWith } from './sender.js';
import { type ParamKind, VideoDepacketizer } from './video-depacketizer.js';

const AP = 48;
const FU = 49;

/**
 * H.265 over RTP (RFC 7798): single NAL unit packets (§4.4.1), aggregation packets (§4.4.2) and fragmentation units
 * (§4.4.3), without DONL fields (sprop-max-don-diff = 0, which is what cameras and ffmpeg send). PACI (type 50)
 * is ignored.
 */
export class H265Depacketizer extends VideoDepacketizer {
  protected readonly codec: VideoCodec = 'h265';
  protected readonly paramOrder: readonly ParamKind[] = ['vps', 'sps', 'pps'];

  protected payload(b: Buffer): void {
    if (b.length < 2) return;
    const type = (b[0] >> 1) & 0x3f;
    if (type < AP) {
      this.addUnit(b);
    } else if (type === AP) {
      // §4.4.2: 2-byte payload header, then [16-bit size][NAL] …
      let off = 2;
      while (off + 2 <= b.length) {
        const size = b.readUInt16BE(off);
        off += 2;
        if (size === 0 || off + size > b.length) break;
        this.addUnit(b.subarray(off, off + size));
        off += size;
      }
    } else if (type === FU) {
      if (b.length < 4) return;
      const fh = b[2];
      // §4.4.3: NAL header = payload header with its type replaced by the FU header's
      if (fh & 0x80) this.startFu(Buffer.from([(b[0] & 0x81) | ((fh & 0x3f) << 1), b[1]]), b.subarray(3));
      else if (this.fu) this.continueFu(b.subarray(3), (fh & 0x40) !== 0);
      else this.orphanFu((fh & 0x40) !== 0);
    }
  }

  protected nalKind(nal: Buffer): ParamKind | 'key' | 'aud' | undefined {
    const t = (nal[0] >> 1) & 0x3f;
    if (t >= 16 && t <= 21) return 'key'; // IRAP: BLA, IDR, CRA (H.265 §7.4.2.2)
    if (t === 32) return 'vps';
    if (t === 33) return 'sps';
    if (t === 34) return 'pps';
    if (t === 35) return 'aud';
    return undefined;
  }
}

/** One access unit to RTP: single NAL unit packets, FU for NALs over the MTU (RFC 7798 §4.4.1, §4.4.3); marker on the last. */
export function packetizeH265(units: readonly Buffer[], opts: PacketizeOptions): Buffer[] {
  const mtu = Math.max(4, opts.mtu ?? 1400);
  const out: Buffer[] = [];
  const nals = units.filter((u) => u.length > 2);
  for (let n = 0; n < nals.length; n++) {
    const nal = nals[n];
    const lastNal = n === nals.length - 1;
    if (nal.length <= mtu) {
      out.push(rtpPacketWith(opts, [nal], opts.timestamp, lastNal, opts.rfc4571));
      continue;
    }
    const h0 = (nal[0] & 0x81) | (FU << 1);
    const h1 = nal[1];
    const type = (nal[0] >> 1) & 0x3f;
    const chunk = mtu - 3;
    for (let i = 2; i < nal.length; i += chunk) {
      const end = Math.min(nal.length, i + chunk);
      const fh = type | (i === 2 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0);
      out.push(rtpPacketWith(opts, [Buffer.from([h0, h1, fh]), nal.subarray(i, end)], opts.timestamp, lastNal && end === nal.length, opts.rfc4571));
    }
  }
  return out;
}

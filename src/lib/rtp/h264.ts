import type { VideoCodec } from '../av/frame.js';
import { type PacketizeOptions, rtpPacketWith } from './sender.js';
import { type ParamKind, VideoDepacketizer } from './video-depacketizer.js';

const STAP_A = 24;
const FU_A = 28;

/**
 * H.264 over RTP, non-interleaved mode (RFC 6184 §6.2): single NAL unit packets (§5.6), STAP-A (§5.7.1) and FU-A
 * (§5.8). STAP-B/MTAP/FU-B belong to the interleaved mode and are ignored.
 */
export class H264Depacketizer extends VideoDepacketizer {
  protected readonly codec: VideoCodec = 'h264';
  protected readonly paramOrder: readonly ParamKind[] = ['sps', 'pps'];

  protected payload(b: Buffer): void {
    const type = b[0] & 0x1f;
    if (type >= 1 && type <= 23) {
      this.addUnit(b);
    } else if (type === STAP_A) {
      // RFC 6184 §5.7.1: [16-bit size][NAL] … after the one-byte STAP-A header
      let off = 1;
      while (off + 2 <= b.length) {
        const size = b.readUInt16BE(off);
        off += 2;
        if (size === 0 || off + size > b.length) break;
        this.addUnit(b.subarray(off, off + size));
        off += size;
      }
    } else if (type === FU_A) {
      if (b.length < 3) return;
      const fh = b[1];
      // RFC 6184 §5.8: the NAL header is F|NRI of the FU indicator and the type of the FU header
      if (fh & 0x80) this.startFu(Buffer.from([(b[0] & 0xe0) | (fh & 0x1f)]), b.subarray(2));
      else if (this.fu) this.continueFu(b.subarray(2), (fh & 0x40) !== 0);
      else this.orphanFu((fh & 0x40) !== 0);
    }
  }

  protected nalKind(nal: Buffer): ParamKind | 'key' | 'aud' | undefined {
    switch (nal[0] & 0x1f) {
      case 5:
        return 'key'; // IDR slice
      case 7:
        return 'sps';
      case 8:
        return 'pps';
      case 9:
        return 'aud';
      default:
        return undefined;
    }
  }
}

/**
 * One access unit (NAL units without start codes) to RTP packets: a NAL that fits the MTU goes as a single NAL unit
 * packet (RFC 6184 §5.6), a larger one as FU-A fragments (§5.8). All packets carry the frame's timestamp; the marker
 * bit is set on the last packet of the access unit (§5.1).
 */
export function packetizeH264(units: readonly Buffer[], opts: PacketizeOptions): Buffer[] {
  const mtu = Math.max(3, opts.mtu ?? 1400);
  const out: Buffer[] = [];
  const nals = units.filter((u) => u.length > 0);
  for (let n = 0; n < nals.length; n++) {
    const nal = nals[n];
    const lastNal = n === nals.length - 1;
    if (nal.length <= mtu) {
      out.push(rtpPacketWith(opts, [nal], opts.timestamp, lastNal, opts.rfc4571));
      continue;
    }
    const indicator = (nal[0] & 0xe0) | FU_A;
    const type = nal[0] & 0x1f;
    const chunk = mtu - 2;
    for (let i = 1; i < nal.length; i += chunk) {
      const end = Math.min(nal.length, i + chunk);
      const fh = type | (i === 1 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0);
      const head = Buffer.from([indicator, fh]);
      out.push(rtpPacketWith(opts, [head, nal.subarray(i, end)], opts.timestamp, lastNal && end === nal.length, opts.rfc4571));
    }
  }
  return out;
}

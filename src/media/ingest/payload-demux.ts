import type { Frame } from '../../lib/av/frame.js';
import { TsDemuxer } from '../../lib/mpegts/index.js';
import { PsDemuxer } from '../../lib/ps/index.js';
import { H264Depacketizer, H265Depacketizer, type RtpPacket } from '../../lib/rtp/index.js';
import { AnnexBPayload, looksLikeAnnexB } from './annexb-payload.js';

export type PayloadFormat = 'ps' | 'ts' | 'h264' | 'h265' | 'es' | 'unknown';

export interface PayloadDemuxOptions {
  onFrame(f: Frame): void;
  onError(code: string, detail: string): void;
  /** encoding names by payload type from the device's SDP answer (`a=rtpmap:96 PS/90000`) */
  rtpmap?: Record<number, string>;
  maxFrameBytes?: number;
}

/**
 * RTP payload → frames. GB/T 28181 devices send PS (附录C); some send MPEG-TS in RTP. The format is taken from the
 * answer's rtpmap when it names one, else sniffed from the first payloads (a pack header 00 00 01 BA, or TS sync
 * bytes every 188).
 */
export class PayloadDemux {
  format: PayloadFormat = 'unknown';
  private ps?: PsDemuxer;
  private ts?: TsDemuxer;
  private rtpVideo?: H264Depacketizer | H265Depacketizer;
  private es?: AnnexBPayload;
  private sniffed = 0;

  constructor(private opts: PayloadDemuxOptions) {}

  setRtpmap(m: Record<number, string>): void {
    this.opts.rtpmap = m;
  }

  push(p: RtpPacket): void {
    if (this.format === 'unknown') this.decide(p);
    switch (this.format) {
      case 'ps':
        this.ps!.push(p.payload, p.marker);
        return;
      case 'ts':
        this.ts!.push(p.payload);
        return;
      case 'h264':
      case 'h265':
        this.rtpVideo!.push(p);
        return;
      case 'es':
        this.es!.push(p);
        return;
      default:
        return;
    }
  }

  /** packets were lost: the frame being assembled is broken */
  loss(): void {
    this.ps?.discard();
    this.rtpVideo?.lost();
    this.es?.lost();
  }

  private decide(p: RtpPacket): void {
    const named = this.opts.rtpmap?.[p.payloadType]?.toUpperCase();
    let f: PayloadFormat = named === 'PS' || named === 'MP2P' ? 'ps' : named === 'MP2T' ? 'ts' : named === 'H264' ? 'h264' : named === 'H265' || named === 'HEVC' ? 'h265' : 'unknown';
    // A device may announce H264 and still send Annex B with start codes (not RFC 6184): trust the bytes.
    if ((f === 'h264' || f === 'h265') && looksLikeAnnexB(p.payload)) f = 'es';
    if (f === 'unknown') f = sniff(p.payload);
    if (f === 'unknown') {
      if (++this.sniffed === 200) this.opts.onError('payload.unknown', `payload type ${p.payloadType} is neither PS nor TS after 200 packets`);
      return;
    }
    this.format = f;
    const common = { onFrame: this.opts.onFrame, onError: this.opts.onError, maxFrameBytes: this.opts.maxFrameBytes };
    if (f === 'ps') this.ps = new PsDemuxer(common);
    else if (f === 'ts') this.ts = new TsDemuxer(common);
    else if (f === 'h264') this.rtpVideo = new H264Depacketizer({ onFrame: this.opts.onFrame });
    else if (f === 'h265') this.rtpVideo = new H265Depacketizer({ onFrame: this.opts.onFrame });
    else this.es = new AnnexBPayload(this.opts.onFrame, this.opts.maxFrameBytes);
  }

  flush(): void {
    this.ps?.flush();
    this.ts?.flush();
    this.rtpVideo?.flush();
  }
}

function sniff(b: Buffer): PayloadFormat {
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 1 && (b[3] === 0xba || b[3] === 0xbc || b[3] === 0xbb)) return 'ps';
  if (b.length >= 188 && b[0] === 0x47 && (b.length === 188 || b[188] === 0x47)) return 'ts';
  // joined mid-pack: a pack header further in still tells PS
  const i = b.indexOf(PACK_START);
  if (i >= 0) return 'ps';
  if (looksLikeAnnexB(b)) return 'es';
  return 'unknown';
}

const PACK_START = Buffer.from([0, 0, 1, 0xba]);

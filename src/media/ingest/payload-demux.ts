import type { Frame } from '../../lib/av/frame.js';
import { TsDemuxer } from '../../lib/mpegts/index.js';
import { PsDemuxer } from '../../lib/ps/index.js';
import type { RtpPacket } from '../../lib/rtp/index.js';

export type PayloadFormat = 'ps' | 'ts' | 'unknown';

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
      default:
        return;
    }
  }

  /** packets were lost: the frame being assembled is broken */
  loss(): void {
    this.ps?.discard?.();
  }

  private decide(p: RtpPacket): void {
    const named = this.opts.rtpmap?.[p.payloadType]?.toUpperCase();
    let f: PayloadFormat = named === 'PS' || named === 'MP2P' ? 'ps' : named === 'MP2T' ? 'ts' : 'unknown';
    if (f === 'unknown') f = sniff(p.payload);
    if (f === 'unknown') {
      if (++this.sniffed === 200) this.opts.onError('payload.unknown', `payload type ${p.payloadType} is neither PS nor TS after 200 packets`);
      return;
    }
    this.format = f;
    const common = { onFrame: this.opts.onFrame, onError: this.opts.onError, maxFrameBytes: this.opts.maxFrameBytes };
    if (f === 'ps') this.ps = new PsDemuxer(common);
    else this.ts = new TsDemuxer(common);
  }

  flush(): void {
    this.ps?.flush();
  }
}

function sniff(b: Buffer): PayloadFormat {
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 1 && (b[3] === 0xba || b[3] === 0xbc || b[3] === 0xbb)) return 'ps';
  if (b.length >= 188 && b[0] === 0x47 && (b.length === 188 || b[188] === 0x47)) return 'ts';
  // joined mid-pack: a pack header further in still tells PS
  const i = b.indexOf(PACK_START);
  if (i >= 0) return 'ps';
  return 'unknown';
}

const PACK_START = Buffer.from([0, 0, 1, 0xba]);

import type { VideoFrame } from '../../lib/av/frame.js';
import { isH264Keyframe, splitAnnexB } from '../../lib/h264/index.js';
import { isH265Keyframe } from '../../lib/h265/index.js';
import { guessVideoCodec } from '../../lib/ps/index.js';
import type { RtpPacket } from '../../lib/rtp/index.js';
import { RtpTimestampUnwrapper } from '../../lib/rtp/index.js';

/**
 * Devices that put a bare H.264/H.265 elementary stream (Annex B, with start codes) into RTP instead of PS: one
 * access unit per RTP timestamp, ended by the marker bit or the next timestamp. The codec is learnt from the first
 * parameter set seen.
 */
export class AnnexBPayload {
  private parts: Buffer[] = [];
  private size = 0;
  private ts?: number;
  private broken = false;
  private codec?: 'h264' | 'h265';
  private readonly clock = new RtpTimestampUnwrapper(90_000);

  constructor(
    private readonly onFrame: (f: VideoFrame) => void,
    private readonly maxFrameBytes = 8 * 1024 * 1024,
  ) {}

  push(p: RtpPacket): void {
    if (this.ts !== undefined && p.timestamp !== this.ts) this.emit();
    this.ts = p.timestamp;
    this.size += p.payload.length;
    if (this.size > this.maxFrameBytes) this.broken = true;
    else this.parts.push(p.payload);
    if (p.marker) this.emit();
  }

  lost(): void {
    this.broken = true;
  }

  private emit(): void {
    const parts = this.parts;
    const ts = this.ts;
    this.parts = [];
    this.size = 0;
    this.ts = undefined;
    if (this.broken || !parts.length || ts === undefined) {
      this.broken = false;
      return;
    }
    const es = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    this.codec ??= guessVideoCodec(es);
    if (!this.codec) return; // nothing decodable until a parameter set tells the codec
    const units = splitAnnexB(es);
    if (!units.length) return;
    const t = this.clock.to90k(ts);
    const key = this.codec === 'h264' ? isH264Keyframe(units) : isH265Keyframe(units);
    this.onFrame({ track: 'video', codec: this.codec, pts: t, dts: t, key, units });
  }
}

/** An RTP payload that starts with an Annex-B start code but not a PS/TS header: a bare elementary stream. */
export function looksLikeAnnexB(b: Buffer): boolean {
  if (b.length < 5) return false;
  const off = b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] === 1 ? 4 : b[0] === 0 && b[1] === 0 && b[2] === 1 ? 3 : -1;
  if (off < 0) return false;
  return b[off] < 0x80; // forbidden_zero_bit clear: a NAL header; 00 00 01 BA..FF are MPEG system start codes (PS)
}

import type { VideoFrame, VideoParams } from '../../lib/av/frame.js';
import { annexBLength, writeAnnexB } from '../../lib/h264/index.js';

/** The codecs ffmpeg is fed as raw Annex-B elementary streams, and the demuxer name for `-f`. */
export type AnnexBCodec = 'h264' | 'h265';

export function isAnnexBCodec(c: string | undefined): c is AnnexBCodec {
  return c === 'h264' || c === 'h265';
}

export function ffmpegFormat(codec: AnnexBCodec): 'h264' | 'hevc' {
  return codec === 'h264' ? 'h264' : 'hevc';
}

function nalType(codec: AnnexBCodec, u: Buffer): number {
  if (u.length === 0) return -1;
  return codec === 'h264' ? u[0] & 0x1f : (u[0] >> 1) & 0x3f;
}

export function isVclUnit(codec: AnnexBCodec, u: Buffer): boolean {
  const t = nalType(codec, u);
  return codec === 'h264' ? t >= 1 && t <= 5 : t >= 0 && t <= 31;
}

const isSps = (codec: AnnexBCodec, u: Buffer): boolean => nalType(codec, u) === (codec === 'h264' ? 7 : 33);

/** The parameter sets of the track, in the order a decoder needs them (VPS, SPS, PPS). */
function paramSets(v: VideoParams): Buffer[] {
  return [v.vps, v.sps, v.pps].filter((b): b is Buffer => !!b && b.length > 0);
}

/**
 * One frame as Annex-B for a decoder reading a raw elementary stream: a key frame without in-band parameter sets
 * gets the track's ones first (some sources send them only once, or out of band); `tag` (a NAL unit) is put just
 * before the first picture NAL unit, where an SEI belongs (H.264 §7.4.1.2.3, H.265 §7.4.2.4.4). One allocation.
 */
export function frameAnnexB(f: VideoFrame, params: VideoParams | undefined, tag?: Buffer): Buffer {
  const codec = f.codec as AnnexBCodec;
  let units: readonly Buffer[] = f.units;
  if (f.key && params && !units.some((u) => isSps(codec, u))) units = [...paramSets(params), ...units];
  if (tag) {
    const i = units.findIndex((u) => isVclUnit(codec, u));
    if (i >= 0) units = [...units.slice(0, i), tag, ...units.slice(i)];
  }
  const out = Buffer.allocUnsafe(annexBLength(units));
  writeAnnexB(units, out, 0);
  return out;
}

/** The frames as one Annex-B elementary stream (see frameAnnexB). */
export function framesAnnexB(frames: readonly VideoFrame[], params: VideoParams | undefined): Buffer {
  return Buffer.concat(frames.map((f) => frameAnnexB(f, params)));
}

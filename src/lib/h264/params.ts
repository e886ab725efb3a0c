/** Track parameters of an H.264 stream from its parameter sets. */
import type { VideoParams } from '../av/frame.js';
import { BitstreamError } from './bits.js';
import { H264Nal, h264NalType } from './nal.js';
import { parseH264Sps } from './sps.js';

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** RFC 6381 §3.3 codecs parameter `avc1.PPCCLL` from the SPS bytes profile_idc, constraint flags, level_idc. */
export function h264Mime(sps: Buffer): string {
  return `avc1.${hex2(sps[1])}${hex2(sps[2])}${hex2(sps[3])}`;
}

/**
 * VideoParams from a unit list holding an SPS and a PPS (the first of each is used);
 * undefined when one is missing or the SPS does not parse.
 */
export function h264Params(units: readonly Buffer[]): VideoParams | undefined {
  let sps: Buffer | undefined;
  let pps: Buffer | undefined;
  for (const u of units) {
    const t = h264NalType(u);
    if (t === H264Nal.SPS) sps ??= u;
    else if (t === H264Nal.PPS) pps ??= u;
  }
  if (!sps || !pps) return undefined;
  try {
    const s = parseH264Sps(sps);
    return { codec: 'h264', width: s.width, height: s.height, fps: s.fps, sps, pps, mime: h264Mime(sps) };
  } catch (e) {
    if (e instanceof BitstreamError) return undefined;
    throw e;
  }
}

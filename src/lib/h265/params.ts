/** Track parameters of an H.265 stream from its parameter sets. */
import type { VideoParams } from '../av/frame.js';
import { BitstreamError } from '../h264/bits.js';
import { H265Nal, h265NalType } from './nal.js';
import { parseH265Sps, type H265ProfileTierLevel } from './sps.js';

/** Reverses the 32 bits of n (general_profile_compatibility_flags are written flag 31 first in the codec string). */
function reverse32(n: number): number {
  let v = 0;
  for (let i = 0; i < 32; i++) v = v * 2 + ((n >>> i) & 1);
  return v;
}

/**
 * RFC 6381 / ISO/IEC 14496-15 Annex E.3 codecs parameter: `hvc1.[A-C]<profile>.<compat reversed, hex>.<L|H><level>`
 * then the constraint bytes in hex, trailing zero bytes left out (at least one kept).
 */
export function h265Mime(ptl: H265ProfileTierLevel): string {
  const space = ptl.profileSpace === 0 ? '' : String.fromCharCode(0x40 + ptl.profileSpace);
  const compat = reverse32(ptl.compatibilityFlags).toString(16).toUpperCase();
  let last = ptl.constraintFlags.length;
  while (last > 1 && ptl.constraintFlags[last - 1] === 0) last--;
  const cons: string[] = [];
  for (let i = 0; i < last; i++) cons.push(ptl.constraintFlags[i].toString(16).toUpperCase().padStart(2, '0'));
  return `hvc1.${space}${ptl.profileIdc}.${compat}.${ptl.tierFlag ? 'H' : 'L'}${ptl.levelIdc}.${cons.join('.')}`;
}

/** VideoParams from a unit list holding a VPS, an SPS and a PPS (first of each); undefined when incomplete/bad. */
export function h265Params(units: readonly Buffer[]): VideoParams | undefined {
  let vps: Buffer | undefined;
  let sps: Buffer | undefined;
  let pps: Buffer | undefined;
  for (const u of units) {
    const t = h265NalType(u);
    if (t === H265Nal.VPS) vps ??= u;
    else if (t === H265Nal.SPS) sps ??= u;
    else if (t === H265Nal.PPS) pps ??= u;
  }
  if (!vps || !sps || !pps) return undefined;
  try {
    const s = parseH265Sps(sps);
    return { codec: 'h265', width: s.width, height: s.height, fps: s.fps, vps, sps, pps, mime: h265Mime(s) };
  } catch (e) {
    if (e instanceof BitstreamError) return undefined;
    throw e;
  }
}

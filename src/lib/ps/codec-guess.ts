/**
 * Telling H.264 from H.265 by the elementary stream when no PSM says (GB/T 28181 cameras that omit it).
 * Decisive only on parameter sets: an H.265 VPS/SPS/PPS header (type 32–34, nuh_layer_id 0, TemporalId 0 → second
 * byte 0x01, ITU-T H.265 §7.3.1.2) or an H.264 SPS (nal_ref_idc ≠ 0, type 7) followed by a known profile_idc.
 */
import { PREFIX } from './start-code.js';

const H264_PROFILES = new Set([66, 77, 88, 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** The codec of one NAL unit header at buf[i] when it is a decisive parameter set. */
export function parameterSetCodec(buf: Buffer, i: number): 'h264' | 'h265' | undefined {
  if (i + 1 >= buf.length) return undefined;
  const b0 = buf[i];
  const b1 = buf[i + 1];
  if ((b0 & 0x81) === 0 && b1 === 0x01) {
    const t = (b0 >> 1) & 0x3f;
    if (t >= 32 && t <= 34) return 'h265';
  }
  if ((b0 & 0x9f) === 7 && (b0 & 0x60) !== 0 && H264_PROFILES.has(b1)) return 'h264';
  return undefined;
}

/** Scans an Annex-B buffer for the first decisive parameter set. */
export function guessVideoCodec(es: Buffer): 'h264' | 'h265' | undefined {
  let i = es.indexOf(PREFIX);
  while (i >= 0) {
    const c = parameterSetCodec(es, i + 3);
    if (c) return c;
    i = es.indexOf(PREFIX, i + 3);
  }
  return undefined;
}

/** The same over NAL units (without start codes). */
export function guessVideoCodecOfUnits(units: readonly Buffer[]): 'h264' | 'h265' | undefined {
  for (const u of units) {
    const c = parameterSetCodec(u, 0);
    if (c) return c;
  }
  return undefined;
}

/** An MPEG-4 Visual I-VOP (vop_start_code 00 00 01 B6, vop_coding_type '00'; ISO/IEC 14496-2 §6.2.5). */
export function isMpeg4Keyframe(es: Buffer): boolean {
  let i = es.indexOf(VOP);
  while (i >= 0) {
    if (i + 4 < es.length) return es[i + 4] >> 6 === 0;
    i = es.indexOf(VOP, i + 4);
  }
  return false;
}
const VOP = Buffer.from([0, 0, 1, 0xb6]);

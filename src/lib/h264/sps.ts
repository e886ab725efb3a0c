/** H.264 sequence parameter set, ITU-T H.264 §7.3.2.1.1 (and VUI, Annex E.1.1). */
import { BitReader, BitstreamError, nalToRbsp } from './bits.js';

export interface H264Sps {
  readonly profileIdc: number;
  /** the byte holding constraint_set0..5_flag and reserved_zero_2bits */
  readonly constraintFlags: number;
  readonly levelIdc: number;
  readonly spsId: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4 */
  readonly chromaFormatIdc: number;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
  /** luma samples after frame cropping (§7.4.2.1.1, equations 7-19..7-22) */
  readonly width: number;
  readonly height: number;
  readonly frameMbsOnly: boolean;
  /** time_scale / (2 · num_units_in_tick) from VUI timing_info (E.2.1), else 0 */
  readonly fps: number;
}

/** Profiles whose SPS carries chroma_format_idc etc. (§7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Parses an SPS NAL unit (with its 1-byte header, without start code). Throws BitstreamError when malformed. */
export function parseH264Sps(sps: Buffer): H264Sps {
  if (sps.length < 4 || (sps[0] & 0x1f) !== 7) throw new BitstreamError('not an H.264 SPS NAL unit');
  const r = new BitReader(nalToRbsp(sps, 1));
  const profileIdc = r.u(8);
  const constraintFlags = r.u(8);
  const levelIdc = r.u(8);
  const spsId = r.ue();
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.ue();
    if (chromaFormatIdc === 3) separateColourPlane = r.flag();
    bitDepthLuma = r.ue() + 8;
    bitDepthChroma = r.ue() + 8;
    r.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (r.flag()) {
      // seq_scaling_matrix_present_flag
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) if (r.flag()) skipScalingList(r, i < 6 ? 16 : 64);
    }
  }
  r.ue(); // log2_max_frame_num_minus4
  const pocType = r.ue();
  if (pocType === 0) r.ue();
  else if (pocType === 1) {
    r.skip(1); // delta_pic_order_always_zero_flag
    r.se();
    r.se();
    const n = r.ue();
    for (let i = 0; i < n; i++) r.se();
  }
  r.ue(); // max_num_ref_frames
  r.skip(1); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.ue() + 1;
  const heightMapUnits = r.ue() + 1;
  const frameMbsOnly = r.flag();
  if (!frameMbsOnly) r.skip(1); // mb_adaptive_frame_field_flag
  r.skip(1); // direct_8x8_inference_flag
  let crop = [0, 0, 0, 0];
  if (r.flag()) crop = [r.ue(), r.ue(), r.ue(), r.ue()];
  // §7.4.2.1.1: crop units depend on ChromaArrayType (Table 6-1 SubWidthC/SubHeightC)
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subW = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subH = chromaArrayType === 1 ? 2 : 1;
  const cropX = chromaArrayType === 0 ? 1 : subW;
  const cropY = (chromaArrayType === 0 ? 1 : subH) * (frameMbsOnly ? 1 : 2);
  const width = widthMbs * 16 - cropX * (crop[0] + crop[1]);
  const height = (frameMbsOnly ? 1 : 2) * heightMapUnits * 16 - cropY * (crop[2] + crop[3]);
  if (width <= 0 || height <= 0) throw new BitstreamError(`bad picture size ${width}x${height}`);
  let fps = 0;
  if (r.flag()) fps = vuiFps(r);
  return {
    profileIdc,
    constraintFlags,
    levelIdc,
    spsId,
    chromaFormatIdc,
    bitDepthLuma,
    bitDepthChroma,
    width,
    height,
    frameMbsOnly,
    fps,
  };
}

/** scaling_list(), §7.3.2.1.1.1: only walked over. */
function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** vui_parameters() up to timing_info (E.1.1); frame rate per E.2.1 (two ticks per frame). 0 when absent. */
function vuiFps(r: BitReader): number {
  try {
    if (r.flag() && r.u(8) === 255) r.skip(32); // aspect_ratio_idc == Extended_SAR: sar_width, sar_height
    if (r.flag()) r.skip(1); // overscan
    if (r.flag()) {
      r.skip(4); // video_format, video_full_range_flag
      if (r.flag()) r.skip(24); // colour description
    }
    if (r.flag()) {
      r.ue();
      r.ue();
    }
    if (!r.flag()) return 0; // timing_info_present_flag
    const units = r.u(32);
    const scale = r.u(32);
    return units > 0 ? roundFps(scale / (2 * units)) : 0;
  } catch (e) {
    if (e instanceof BitstreamError) return 0; // a truncated VUI does not invalidate the SPS
    throw e;
  }
}

export function roundFps(f: number): number {
  return Math.round(f * 1000) / 1000;
}

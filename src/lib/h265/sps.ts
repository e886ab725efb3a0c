/** H.265 sequence parameter set, ITU-T H.265 §7.3.2.2.1, profile_tier_level §7.3.3, VUI Annex E.2.1. */
import { BitReader, BitstreamError, nalToRbsp } from '../h264/bits.js';
import { roundFps } from '../h264/sps.js';

export interface H265ProfileTierLevel {
  readonly profileSpace: number;
  readonly tierFlag: boolean;
  readonly profileIdc: number;
  /** general_profile_compatibility_flag[0..31], flag 0 in the most significant bit */
  readonly compatibilityFlags: number;
  /** general_progressive_source_flag … (48 bits) as 6 bytes */
  readonly constraintFlags: Buffer;
  readonly levelIdc: number;
}

export interface H265Sps extends H265ProfileTierLevel {
  readonly maxSubLayers: number;
  readonly temporalIdNesting: boolean;
  readonly spsId: number;
  readonly chromaFormatIdc: number;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
  /** luma samples inside the conformance window (§7.4.3.2.1) */
  readonly width: number;
  readonly height: number;
  /** vui_time_scale / vui_num_units_in_tick (E.3.1), else 0 */
  readonly fps: number;
}

/** Parses an SPS NAL unit (with its 2-byte header, without start code). Throws BitstreamError when malformed. */
export function parseH265Sps(sps: Buffer): H265Sps {
  if (sps.length < 15 || ((sps[0] >> 1) & 0x3f) !== 33) throw new BitstreamError('not an H.265 SPS NAL unit');
  const rbsp = nalToRbsp(sps, 2);
  const r = new BitReader(rbsp);
  r.skip(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = r.u(3);
  const temporalIdNesting = r.flag();
  const ptl = readProfileTierLevel(r, rbsp, maxSubLayersMinus1);
  const spsId = r.ue();
  const chromaFormatIdc = r.ue();
  if (chromaFormatIdc > 3) throw new BitstreamError(`bad chroma_format_idc ${chromaFormatIdc}`);
  if (chromaFormatIdc === 3) r.skip(1); // separate_colour_plane_flag
  const picWidth = r.ue();
  const picHeight = r.ue();
  let win = [0, 0, 0, 0];
  if (r.flag()) win = [r.ue(), r.ue(), r.ue(), r.ue()];
  // Table 6-1: SubWidthC / SubHeightC (1 for monochrome and 4:4:4)
  const subW = chromaFormatIdc === 1 || chromaFormatIdc === 2 ? 2 : 1;
  const subH = chromaFormatIdc === 1 ? 2 : 1;
  const width = picWidth - subW * (win[0] + win[1]);
  const height = picHeight - subH * (win[2] + win[3]);
  if (width <= 0 || height <= 0) throw new BitstreamError(`bad picture size ${width}x${height}`);
  const bitDepthLuma = r.ue() + 8;
  const bitDepthChroma = r.ue() + 8;
  const base = {
    ...ptl,
    maxSubLayers: maxSubLayersMinus1 + 1,
    temporalIdNesting,
    spsId,
    chromaFormatIdc,
    bitDepthLuma,
    bitDepthChroma,
    width,
    height,
  };
  let fps = 0;
  try {
    fps = readFpsAfterBitDepth(r, maxSubLayersMinus1);
  } catch (e) {
    if (!(e instanceof BitstreamError)) throw e; // a damaged tail (VUI) keeps the size and profile
  }
  return { ...base, fps };
}

/** profile_tier_level(1, maxNumSubLayersMinus1), §7.3.3. The general part is byte aligned: read from the RBSP. */
function readProfileTierLevel(r: BitReader, rbsp: Buffer, maxSubLayersMinus1: number): H265ProfileTierLevel {
  const at = r.position / 8; // 1
  const b = rbsp[at];
  const compatibilityFlags = rbsp.readUInt32BE(at + 1);
  const constraintFlags = Buffer.from(rbsp.subarray(at + 5, at + 11));
  const levelIdc = rbsp[at + 11];
  r.skip(96);
  const profilePresent: boolean[] = [];
  const levelPresent: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(r.flag());
    levelPresent.push(r.flag());
  }
  if (maxSubLayersMinus1 > 0) for (let i = maxSubLayersMinus1; i < 8; i++) r.skip(2);
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i]) r.skip(88);
    if (levelPresent[i]) r.skip(8);
  }
  return {
    profileSpace: b >> 6,
    tierFlag: (b & 0x20) !== 0,
    profileIdc: b & 0x1f,
    compatibilityFlags,
    constraintFlags,
    levelIdc,
  };
}

/** Walks the SPS from log2_max_pic_order_cnt_lsb_minus4 to the VUI timing info (§7.3.2.2.1). */
function readFpsAfterBitDepth(r: BitReader, maxSubLayersMinus1: number): number {
  const log2MaxPocLsb = r.ue() + 4;
  const orderingAll = r.flag();
  for (let i = orderingAll ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++) {
    r.ue();
    r.ue();
    r.ue();
  }
  for (let i = 0; i < 6; i++) r.ue(); // coding/transform block sizes, hierarchy depths
  if (r.flag() && r.flag()) skipScalingListData(r); // scaling_list_enabled_flag, sps_scaling_list_data_present_flag
  r.skip(2); // amp_enabled_flag, sample_adaptive_offset_enabled_flag
  if (r.flag()) {
    // pcm_enabled_flag
    r.skip(8);
    r.ue();
    r.ue();
    r.skip(1);
  }
  const numStRps = r.ue();
  if (numStRps > 64) throw new BitstreamError(`num_short_term_ref_pic_sets ${numStRps}`);
  const numDeltaPocs: number[] = [];
  for (let i = 0; i < numStRps; i++) numDeltaPocs.push(skipStRefPicSet(r, i, numDeltaPocs));
  if (r.flag()) {
    // long_term_ref_pics_present_flag
    const n = r.ue();
    for (let i = 0; i < n; i++) r.skip(log2MaxPocLsb + 1);
  }
  r.skip(2); // sps_temporal_mvp_enabled_flag, strong_intra_smoothing_enabled_flag
  if (!r.flag()) return 0; // vui_parameters_present_flag
  // vui_parameters(), E.2.1
  if (r.flag() && r.u(8) === 255) r.skip(32);
  if (r.flag()) r.skip(1);
  if (r.flag()) {
    r.skip(4);
    if (r.flag()) r.skip(24);
  }
  if (r.flag()) {
    r.ue();
    r.ue();
  }
  r.skip(3); // neutral_chroma_indication_flag, field_seq_flag, frame_field_info_present_flag
  if (r.flag()) for (let i = 0; i < 4; i++) r.ue(); // default display window
  if (!r.flag()) return 0; // vui_timing_info_present_flag
  const units = r.u(32);
  const scale = r.u(32);
  return units > 0 ? roundFps(scale / units) : 0;
}

/** scaling_list_data(), §7.3.4. */
function skipScalingListData(r: BitReader): void {
  for (let sizeId = 0; sizeId < 4; sizeId++) {
    for (let matrixId = 0; matrixId < 6; matrixId += sizeId === 3 ? 3 : 1) {
      if (!r.flag()) r.ue(); // scaling_list_pred_matrix_id_delta
      else {
        const coefNum = Math.min(64, 1 << (4 + (sizeId << 1)));
        if (sizeId > 1) r.se();
        for (let i = 0; i < coefNum; i++) r.se();
      }
    }
  }
}

/** st_ref_pic_set(stRpsIdx) in an SPS, §7.3.7; returns NumDeltaPocs[stRpsIdx] (7-61, 7-62). */
function skipStRefPicSet(r: BitReader, idx: number, numDeltaPocs: number[]): number {
  if (idx !== 0 && r.flag()) {
    // inter_ref_pic_set_prediction_flag; delta_idx_minus1 only appears in slice headers
    r.skip(1); // delta_rps_sign
    r.ue(); // abs_delta_rps_minus1
    const ref = numDeltaPocs[idx - 1];
    let n = 0;
    for (let j = 0; j <= ref; j++) {
      const used = r.flag();
      const useDelta = used || r.flag();
      if (useDelta) n++;
    }
    return n;
  }
  const neg = r.ue();
  const pos = r.ue();
  if (neg > 16 || pos > 16) throw new BitstreamError('short-term RPS too large');
  for (let i = 0; i < neg + pos; i++) {
    r.ue();
    r.skip(1);
  }
  return neg + pos;
}

// H.265 / HEVC bitstream helpers: ITU-T H.265 (Annex B, §7.3), ISO/IEC 14496-15 §8.3.3.1 and Annex E, RFC 6381.
// Annex-B splitting and the bit reader are shared with H.264 (../h264/annexb.js, ../h264/bits.js).
export {
  hevcDecoderConfigurationRecord,
  parseHevcDecoderConfigurationRecord,
  type HevcConfig,
} from './hvcc.js';
export { H265Nal, h265NalType, h265StartsAccessUnit, isH265Keyframe, isH265Vcl } from './nal.js';
export { h265Mime, h265Params } from './params.js';
export { parseH265Sps, type H265ProfileTierLevel, type H265Sps } from './sps.js';

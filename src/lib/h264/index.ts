// H.264 / AVC bitstream helpers: ITU-T H.264 (Annex B, §7.3), ISO/IEC 14496-15 §5.3.3.1, RFC 6381.
export { annexBLength, joinAnnexB, splitAnnexB, writeAnnexB } from './annexb.js';
export {
  avcDecoderConfigurationRecord,
  parseAvcDecoderConfigurationRecord,
  type AvcConfig,
} from './avcc.js';
export { BitReader, BitstreamError, nalToRbsp } from './bits.js';
export { H264Nal, h264NalType, h264StartsAccessUnit, isH264Keyframe, isH264Vcl } from './nal.js';
export { h264Mime, h264Params } from './params.js';
export { parseH264Sps, type H264Sps } from './sps.js';

/** HEVCDecoderConfigurationRecord, ISO/IEC 14496-15 §8.3.3.1 (MP4 `hvcC`, enhanced-RTMP/FLV HEVC sequence header). */
import { BitstreamError } from '../h264/bits.js';
import { H265Nal } from './nal.js';
import { parseH265Sps } from './sps.js';

/** The record for one VPS, SPS and PPS (NAL units without start codes), 4-byte NAL lengths. */
export function hevcDecoderConfigurationRecord(vps: Buffer, sps: Buffer, pps: Buffer): Buffer {
  const s = parseH265Sps(sps);
  const arrays: [number, Buffer][] = [
    [H265Nal.VPS, vps],
    [H265Nal.SPS, sps],
    [H265Nal.PPS, pps],
  ];
  let n = 23;
  for (const [, u] of arrays) n += 1 + 2 + 2 + u.length; // type, numNalus, nalUnitLength, nalUnit
  const out = Buffer.alloc(n);
  let o = 0;
  out[o++] = 1; // configurationVersion
  out[o++] = (s.profileSpace << 6) | (s.tierFlag ? 0x20 : 0) | s.profileIdc;
  o = out.writeUInt32BE(s.compatibilityFlags, o);
  o += s.constraintFlags.copy(out, o);
  out[o++] = s.levelIdc;
  o = out.writeUInt16BE(0xf000, o); // reserved '1111' + min_spatial_segmentation_idc 0 (unknown)
  out[o++] = 0xfc; // reserved '111111' + parallelismType 0 (unknown)
  out[o++] = 0xfc | s.chromaFormatIdc;
  out[o++] = 0xf8 | (s.bitDepthLuma - 8);
  out[o++] = 0xf8 | (s.bitDepthChroma - 8);
  o = out.writeUInt16BE(0, o); // avgFrameRate unspecified
  // constantFrameRate 0, numTemporalLayers, temporalIdNested, lengthSizeMinusOne 3
  out[o++] = ((s.maxSubLayers & 7) << 3) | (s.temporalIdNesting ? 4 : 0) | 3;
  out[o++] = arrays.length;
  for (const [type, u] of arrays) {
    out[o++] = 0x80 | type; // array_completeness 1, reserved 0, NAL_unit_type
    o = out.writeUInt16BE(1, o);
    o = out.writeUInt16BE(u.length, o);
    o += u.copy(out, o);
  }
  return out;
}

export interface HevcConfig {
  readonly lengthSize: number;
  readonly vps: Buffer[];
  readonly sps: Buffer[];
  readonly pps: Buffer[];
}

/** Reads the parameter-set arrays of an HEVCDecoderConfigurationRecord (subarrays). Throws BitstreamError. */
export function parseHevcDecoderConfigurationRecord(rec: Buffer): HevcConfig {
  if (rec.length < 23 || rec[0] !== 1) throw new BitstreamError('not an HEVCDecoderConfigurationRecord');
  const out: HevcConfig = { lengthSize: (rec[21] & 3) + 1, vps: [], sps: [], pps: [] };
  let o = 23;
  const need = (k: number): void => {
    if (o + k > rec.length) throw new BitstreamError('HEVCDecoderConfigurationRecord truncated');
  };
  for (let a = 0; a < rec[22]; a++) {
    need(3);
    const type = rec[o] & 0x3f;
    const count = rec.readUInt16BE(o + 1);
    o += 3;
    for (let i = 0; i < count; i++) {
      need(2);
      const len = rec.readUInt16BE(o);
      need(2 + len);
      const u = rec.subarray(o + 2, o + 2 + len);
      o += 2 + len;
      if (type === H265Nal.VPS) out.vps.push(u);
      else if (type === H265Nal.SPS) out.sps.push(u);
      else if (type === H265Nal.PPS) out.pps.push(u);
    }
  }
  return out;
}

/** AVCDecoderConfigurationRecord, ISO/IEC 14496-15 §5.3.3.1 (FLV AVC sequence header, MP4 `avcC`). */
import { BitstreamError } from './bits.js';
import { parseH264Sps } from './sps.js';

/** Profiles for which the record carries chroma_format / bit depths (§5.3.3.1.2). */
const EXT_PROFILES = new Set([100, 110, 122, 144]);

/** The record for one SPS and one or more PPS (NAL units without start codes), 4-byte NAL lengths. */
export function avcDecoderConfigurationRecord(sps: Buffer, pps: Buffer | readonly Buffer[]): Buffer {
  const ppsList = Buffer.isBuffer(pps) ? [pps] : pps;
  if (sps.length < 4) throw new BitstreamError('SPS too short');
  const ext = EXT_PROFILES.has(sps[1]);
  let n = 6 + 2 + sps.length + 1;
  for (const p of ppsList) n += 2 + p.length;
  if (ext) n += 4;
  const out = Buffer.alloc(n);
  let o = 0;
  out[o++] = 1; // configurationVersion
  out[o++] = sps[1]; // AVCProfileIndication
  out[o++] = sps[2]; // profile_compatibility
  out[o++] = sps[3]; // AVCLevelIndication
  out[o++] = 0xfc | 3; // reserved '111111' + lengthSizeMinusOne = 3
  out[o++] = 0xe0 | 1; // reserved '111' + numOfSequenceParameterSets
  o = out.writeUInt16BE(sps.length, o);
  o += sps.copy(out, o);
  out[o++] = ppsList.length;
  for (const p of ppsList) {
    o = out.writeUInt16BE(p.length, o);
    o += p.copy(out, o);
  }
  if (ext) {
    const s = parseH264Sps(sps);
    out[o++] = 0xfc | s.chromaFormatIdc;
    out[o++] = 0xf8 | (s.bitDepthLuma - 8);
    out[o++] = 0xf8 | (s.bitDepthChroma - 8);
    out[o++] = 0; // numOfSequenceParameterSetExt
  }
  return out;
}

export interface AvcConfig {
  readonly profileIdc: number;
  readonly constraintFlags: number;
  readonly levelIdc: number;
  /** bytes per NAL length prefix (1, 2 or 4) */
  readonly lengthSize: number;
  readonly sps: Buffer[];
  readonly pps: Buffer[];
}

/** Reads an AVCDecoderConfigurationRecord (parameter sets as subarrays). Throws BitstreamError when malformed. */
export function parseAvcDecoderConfigurationRecord(rec: Buffer): AvcConfig {
  if (rec.length < 7 || rec[0] !== 1) throw new BitstreamError('not an AVCDecoderConfigurationRecord');
  let o = 5;
  const take = (): Buffer => {
    if (o + 2 > rec.length) throw new BitstreamError('AVCDecoderConfigurationRecord truncated');
    const len = rec.readUInt16BE(o);
    if (o + 2 + len > rec.length) throw new BitstreamError('AVCDecoderConfigurationRecord truncated');
    o += 2 + len;
    return rec.subarray(o - len, o);
  };
  const sps: Buffer[] = [];
  const pps: Buffer[] = [];
  const nSps = rec[o++] & 0x1f;
  for (let i = 0; i < nSps; i++) sps.push(take());
  if (o >= rec.length) throw new BitstreamError('AVCDecoderConfigurationRecord truncated');
  const nPps = rec[o++];
  for (let i = 0; i < nPps; i++) pps.push(take());
  return { profileIdc: rec[1], constraintFlags: rec[2], levelIdc: rec[3], lengthSize: (rec[4] & 3) + 1, sps, pps };
}

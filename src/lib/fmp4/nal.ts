/**
 * NAL-unit filters shared by the FLV and fMP4 muxers: parameter sets and AUDs travel in the decoder configuration
 * record (avcC / hvcC, ISO/IEC 14496-15), not in samples.
 */
import type { VideoCodec } from '../av/frame.js';

/** nal_unit_type (H.264 §7.3.1: low 5 bits; H.265 §7.3.1.2: bits 1–6 of the first byte). */
export function nalType(codec: VideoCodec, nal: Buffer): number {
  return codec === 'h265' ? (nal[0] >> 1) & 0x3f : nal[0] & 0x1f;
}

/**
 * True for units that belong in the decoder configuration record rather than a sample: H.264 SPS 7, PPS 8, AUD 9,
 * SPS extension 13, subset SPS 15; H.265 VPS 32, SPS 33, PPS 34, AUD 35. With 'avc1' / 'hvc1' sample entries the
 * parameter sets live in the record (14496-15 §5.3.2, §8.3.2); FLV carries them in the sequence header.
 */
export function isOutOfBand(codec: VideoCodec, nal: Buffer): boolean {
  if (nal.length === 0) return true;
  const t = nalType(codec, nal);
  if (codec === 'h265') return t >= 32 && t <= 35;
  return t === 7 || t === 8 || t === 9 || t === 13 || t === 15;
}

/** The NAL units of a video frame that go into a sample (the same Buffers, no copy). */
export function sampleUnits(codec: VideoCodec, units: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const u of units) if (!isOutOfBand(codec, u)) out.push(u);
  return out;
}

/** The first VPS / SPS / PPS a (key) frame carries in band. */
export function inBandParameterSets(codec: VideoCodec, units: readonly Buffer[]): { vps?: Buffer; sps?: Buffer; pps?: Buffer } {
  const r: { vps?: Buffer; sps?: Buffer; pps?: Buffer } = {};
  for (const u of units) {
    if (u.length === 0) continue;
    const t = nalType(codec, u);
    if (codec === 'h265') {
      if (t === 32) r.vps ??= u;
      else if (t === 33) r.sps ??= u;
      else if (t === 34) r.pps ??= u;
    } else if (t === 7) r.sps ??= u;
    else if (t === 8) r.pps ??= u;
  }
  return r;
}

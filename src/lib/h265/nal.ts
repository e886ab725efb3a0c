/** H.265 NAL unit header (2 bytes), ITU-T H.265 §7.3.1.2 / Table 7-1. */

export const H265Nal = {
  TRAIL_R: 1,
  BLA_W_LP: 16,
  IDR_W_RADL: 19,
  IDR_N_LP: 20,
  CRA: 21,
  VPS: 32,
  SPS: 33,
  PPS: 34,
  AUD: 35,
  EOS: 36,
  EOB: 37,
  FD: 38,
  SEI_PREFIX: 39,
  SEI_SUFFIX: 40,
} as const;

/** nal_unit_type (6 bits after forbidden_zero_bit) of a NAL unit without start code; -1 when shorter than 2 bytes. */
export function h265NalType(nal: Buffer): number {
  return nal.length >= 2 ? (nal[0] >> 1) & 0x3f : -1;
}

/** An IRAP picture (types 16–23: BLA, IDR, CRA, reserved IRAP; §7.4.2.2) is among the units. */
export function isH265Keyframe(units: readonly Buffer[]): boolean {
  for (const u of units) {
    const t = h265NalType(u);
    if (t >= 16 && t <= 23) return true;
  }
  return false;
}

/** A VCL NAL unit (types 0–31). */
export function isH265Vcl(nal: Buffer): boolean {
  const t = h265NalType(nal);
  return t >= 0 && t <= 31;
}

/**
 * The NAL unit whose header starts at buf[i] begins a new access unit (§7.4.2.4.4): AUD, VPS, SPS, PPS, prefix SEI,
 * types 41–44 and 48–55, or a VCL unit with first_slice_segment_in_pic_flag = 1 (first bit after the header;
 * needs buf[i+2]).
 */
export function h265StartsAccessUnit(buf: Buffer, i: number): boolean {
  const t = (buf[i] >> 1) & 0x3f;
  if (t <= 31) return i + 2 < buf.length && (buf[i + 2] & 0x80) !== 0;
  return (t >= 32 && t <= 35) || t === 39 || (t >= 41 && t <= 44) || (t >= 48 && t <= 55);
}

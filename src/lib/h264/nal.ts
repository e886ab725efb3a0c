/** H.264 NAL unit header, ITU-T H.264 §7.3.1 / Table 7-1. */

export const H264Nal = {
  SLICE: 1,
  IDR: 5,
  SEI: 6,
  SPS: 7,
  PPS: 8,
  AUD: 9,
  END_SEQ: 10,
  END_STREAM: 11,
  FILLER: 12,
} as const;

/** nal_unit_type (5 bits) of a NAL unit without start code; -1 for an empty buffer. */
export function h264NalType(nal: Buffer): number {
  return nal.length > 0 ? nal[0] & 0x1f : -1;
}

/** An IDR picture (nal_unit_type 5) is among the units. */
export function isH264Keyframe(units: readonly Buffer[]): boolean {
  for (const u of units) if (u.length > 0 && (u[0] & 0x1f) === H264Nal.IDR) return true;
  return false;
}

/** A coded slice (VCL NAL unit, types 1–5, §7.4.1.2.2). */
export function isH264Vcl(nal: Buffer): boolean {
  const t = h264NalType(nal);
  return t >= 1 && t <= 5;
}

/**
 * The NAL unit whose header starts at buf[i] begins a new access unit (§7.4.1.2.3): AUD, SPS, PPS, SEI, types 14–18,
 * or a slice with first_mb_in_slice = 0 (its ue(v) starts with a 1 bit). Needs buf[i+1] for slices.
 */
export function h264StartsAccessUnit(buf: Buffer, i: number): boolean {
  const t = buf[i] & 0x1f;
  if (t === 1 || t === 5) return i + 1 < buf.length && (buf[i + 1] & 0x80) !== 0;
  return t === 6 || t === 7 || t === 8 || t === 9 || (t >= 14 && t <= 18);
}

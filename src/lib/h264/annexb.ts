/**
 * Annex-B byte streams (ITU-T H.264 Annex B, H.265 Annex B): NAL units behind `00 00 01` / `00 00 00 01`.
 */

const START = Buffer.from([0, 0, 1]);

/**
 * The NAL units of an Annex-B buffer, as subarrays without start codes (3- and 4-byte start codes both accepted).
 * Bytes before the first start code are ignored; trailing_zero_8bits (B.1) are stripped from each unit;
 * empty units are dropped. A buffer with no start code yields [].
 */
export function splitAnnexB(buf: Buffer): Buffer[] {
  const units: Buffer[] = [];
  let sc = buf.indexOf(START);
  while (sc >= 0) {
    const begin = sc + 3;
    const next = buf.indexOf(START, begin);
    let end = next < 0 ? buf.length : next;
    while (end > begin && buf[end - 1] === 0) end--; // the zero_byte of a 4-byte start code or trailing zeros
    if (end > begin) units.push(buf.subarray(begin, end));
    sc = next;
  }
  return units;
}

/** Annex-B bytes of the units: each behind a 4-byte start code (B.1.1 zero_byte + start_code_prefix_one_3bytes). */
export function joinAnnexB(units: readonly Buffer[]): Buffer {
  let n = 0;
  for (const u of units) n += 4 + u.length;
  const out = Buffer.allocUnsafe(n);
  let o = 0;
  for (const u of units) {
    out.writeUInt32BE(1, o);
    o += 4 + u.copy(out, o + 4);
  }
  return out;
}

/** Length of the Annex-B form of the units (joinAnnexB(units).length), for muxers sizing one output buffer. */
export function annexBLength(units: readonly Buffer[]): number {
  let n = 0;
  for (const u of units) n += 4 + u.length;
  return n;
}

/** Writes the Annex-B form of the units into out at offset; returns the new offset. */
export function writeAnnexB(units: readonly Buffer[], out: Buffer, offset: number): number {
  let o = offset;
  for (const u of units) {
    out.writeUInt32BE(1, o);
    o += 4 + u.copy(out, o + 4);
  }
  return o;
}

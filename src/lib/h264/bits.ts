/**
 * Bit-level reading of NAL unit payloads, shared by the H.264 and H.265 parsers.
 * ITU-T H.264 §7.2 / §9.1 and ITU-T H.265 §7.2 / §9.2 (same syntax for u(n), ue(v), se(v)).
 */

/** A NAL unit or RBSP ended before the syntax element being read. */
export class BitstreamError extends Error {
  override readonly name = 'BitstreamError';
}

/**
 * The RBSP of a NAL unit: emulation_prevention_three_byte removed (`00 00 03` → `00 00`),
 * ITU-T H.264 §7.4.1 / H.265 §7.4.2. Returns a subarray (no copy) when there is nothing to remove.
 */
export function nalToRbsp(nal: Buffer, from = 0): Buffer {
  let i = nal.indexOf(EPB, from);
  if (i < 0) return nal.subarray(from);
  const out = Buffer.allocUnsafe(nal.length - from);
  let n = 0;
  let start = from;
  while (i >= 0) {
    n += nal.copy(out, n, start, i + 2); // keep 00 00, drop 03
    start = i + 3;
    i = nal.indexOf(EPB, start);
  }
  n += nal.copy(out, n, start);
  return out.subarray(0, n);
}
const EPB = Buffer.from([0, 0, 3]);

/** MSB-first bit reader with Exp-Golomb codes (H.264 §9.1). Throws BitstreamError past the end. */
export class BitReader {
  private bit = 0;
  constructor(
    private readonly buf: Buffer,
    byteOffset = 0,
  ) {
    this.bit = byteOffset * 8;
  }

  get bitsLeft(): number {
    return this.buf.length * 8 - this.bit;
  }

  /** Bits read so far (position from the start of the buffer). */
  get position(): number {
    return this.bit;
  }

  /** u(1) */
  flag(): boolean {
    return this.u(1) === 1;
  }

  /** u(n), n ≤ 32 */
  u(n: number): number {
    if (n > this.bitsLeft) throw new BitstreamError(`need ${n} bits, ${this.bitsLeft} left`);
    let v = 0;
    for (let k = 0; k < n; k++) {
      const b = (this.buf[this.bit >> 3] >> (7 - (this.bit & 7))) & 1;
      v = v * 2 + b; // not `<<`: keeps 32-bit values positive
      this.bit++;
    }
    return v;
  }

  skip(n: number): void {
    if (n > this.bitsLeft) throw new BitstreamError(`cannot skip ${n} bits, ${this.bitsLeft} left`);
    this.bit += n;
  }

  /** ue(v), §9.1: leading zeros, then that many bits. */
  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) {
      if (++zeros > 31) throw new BitstreamError('Exp-Golomb code longer than 32 bits');
    }
    return zeros === 0 ? 0 : 2 ** zeros - 1 + this.u(zeros);
  }

  /** se(v), §9.1.1: 1 → 1, 2 → −1, 3 → 2 … */
  se(): number {
    const k = this.ue();
    return k & 1 ? (k + 1) / 2 : -(k / 2);
  }
}

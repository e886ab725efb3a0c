/** Test helper: writes u(n) / ue(v) / se(v) fields to craft parameter sets bit by bit (ITU-T H.264 §9.1). */
export class BitWriter {
  private bits: number[] = [];
  u(n: number, v: number): this {
    for (let k = n - 1; k >= 0; k--) this.bits.push(Math.floor(v / 2 ** k) & 1);
    return this;
  }
  ue(v: number): this {
    const len = Math.floor(Math.log2(v + 1));
    return this.u(len, 0).u(len + 1, v + 1);
  }
  se(v: number): this {
    return this.ue(v > 0 ? 2 * v - 1 : -2 * v);
  }
  /** rbsp_trailing_bits and the bytes */
  rbsp(): Buffer {
    this.bits.push(1);
    while (this.bits.length % 8) this.bits.push(0);
    const out = Buffer.alloc(this.bits.length / 8);
    this.bits.forEach((b, i) => (out[i >> 3] |= b << (7 - (i & 7))));
    return out;
  }
}

/** RBSP → NAL payload with emulation_prevention_three_byte inserted (§7.4.1). */
export function rbspToNal(rbsp: Buffer): Buffer {
  const out: number[] = [];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return Buffer.from(out);
}

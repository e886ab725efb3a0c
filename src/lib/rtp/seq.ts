/** Signed distance b - a between two 16-bit sequence numbers, in [-32768, 32767]. RFC 3550 §A.1 */
export function seqDelta(a: number, b: number): number {
  return (((b - a) & 0xffff) ^ 0x8000) - 0x8000;
}

/** Signed distance b - a between two 32-bit RTP timestamps. RFC 3550 §5.1 (timestamps wrap modulo 2^32) */
export function tsDelta(a: number, b: number): number {
  return (b - a) | 0;
}

/** A shared, mutable 16-bit sequence counter for a sender (RFC 3550 §5.1: +1 per packet, wraps). */
export interface SeqCounter {
  value: number;
}

export function nextSeq(c: SeqCounter): number {
  const s = c.value & 0xffff;
  c.value = (s + 1) & 0xffff;
  return s;
}

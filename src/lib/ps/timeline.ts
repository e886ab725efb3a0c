/**
 * 33-bit PTS/DTS (ISO/IEC 13818-1 §2.4.3.7, 90 kHz) to one monotonic 90 kHz timeline per program, so audio and video
 * keep their relation: wraps are unwrapped, and a jump back of more than 2 s or forward of more than 10 min (camera
 * restart, new session on the same port) is rebased to continue one frame after the last value.
 */
const WRAP = 2 ** 33;
const HALF = 2 ** 32;
const MAX_BACK = 2 * 90_000;
const MAX_FORWARD = 600 * 90_000;

/** d normalised into [-2^32, 2^32) modulo 2^33 */
function around(d: number): number {
  d %= WRAP;
  if (d >= HALF) d -= WRAP;
  else if (d < -HALF) d += WRAP;
  return d;
}

export class Timeline {
  private lastRaw = -1;
  private lastOut = 0;
  private step = 3600;
  /** rebased jumps so far */
  jumps = 0;

  /**
   * Unwrapped {dts, pts}; dts defaults to pts. The returned `jump` is true when this value was rebased.
   * raw values are taken modulo 2^33.
   */
  map(pts: number, dts: number = pts): { pts: number; dts: number; jump: boolean } {
    const rawDts = dts % WRAP;
    let out: number;
    let jump = false;
    if (this.lastRaw < 0) out = rawDts;
    else {
      const d = around(rawDts - this.lastRaw);
      if (d < -MAX_BACK || d > MAX_FORWARD) {
        out = this.lastOut + this.step;
        jump = true;
        this.jumps++;
      } else {
        out = this.lastOut + d;
        if (d > 0 && d < 90_000) this.step = d;
      }
    }
    // keep the timeline anchored on the latest value (audio and video interleave slightly out of order)
    this.lastRaw = rawDts;
    this.lastOut = out;
    return { dts: out, pts: out + around(pts - dts), jump };
  }

  reset(): void {
    this.lastRaw = -1;
    this.lastOut = 0;
    this.jumps = 0;
  }
}

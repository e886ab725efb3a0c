import { tsDelta } from './seq.js';

/**
 * Turns 32-bit RTP timestamps (RFC 3550 §5.1: random start, wraps modulo 2^32) of one stream into a monotonic count
 * starting at 0 for `base` (default: the first timestamp seen). Steps backwards (B-frames) stay negative deltas;
 * only the wrap is removed. Audio clocks (8000, 44100, 48000 …) are rescaled to 90 kHz from the unwrapped sample
 * count, so no rounding error accumulates.
 */
export class RtpTimestampUnwrapper {
  private last = 0;
  private ext = 0;
  private started = false;
  private offset = 0;

  constructor(
    readonly clockRate: number,
    private base?: number,
  ) {}

  /** 90 kHz ticks for this RTP timestamp. */
  to90k(ts: number): number {
    return this.scale(this.samples(ts));
  }

  /** Unwrapped sample count (in the stream's clock) for this RTP timestamp. */
  samples(ts: number): number {
    if (!this.started) {
      this.started = true;
      this.ext = this.offset + (this.base === undefined ? 0 : tsDelta(this.base >>> 0, ts));
    } else {
      this.ext += tsDelta(this.last, ts);
    }
    this.last = ts >>> 0;
    return this.ext;
  }

  /** The last value returned, in 90 kHz ticks. */
  get current90k(): number {
    return this.scale(this.ext);
  }

  /**
   * Restart (new SSRC, device restart): the next timestamp maps to `continueAt90k`, so time keeps growing for the
   * consumer instead of jumping to wherever the new random RTP base lies.
   */
  reset(continueAt90k = 0): void {
    this.started = false;
    this.base = undefined;
    this.offset = Math.round((continueAt90k * this.clockRate) / 90_000);
  }

  private scale(n: number): number {
    return this.clockRate === 90_000 ? n : Math.round((n * 90_000) / this.clockRate);
  }
}

/** The RTP timestamp (modulo 2^32) for a 90 kHz time in a stream whose clock is `clockRate`, offset by `base`. */
export function rtpTimestamp(pts90k: number, clockRate: number, base = 0): number {
  const t = clockRate === 90_000 ? pts90k : Math.round((pts90k * clockRate) / 90_000);
  return (((t + base) % 0x1_0000_0000) + 0x1_0000_0000) % 0x1_0000_0000;
}

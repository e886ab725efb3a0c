import { CLOCK_HZ } from '../../../lib/av/frame.js';

/** 90 kHz ticks per millisecond */
export const TICKS_PER_MS = CLOCK_HZ / 1000;

/**
 * The two linear maps that pace a playback (pure: no timers, no I/O).
 *
 * - Output clock: output time (90 kHz, the dts viewers receive) advances at wall-clock pace, whatever the speed, so
 *   a player plays in real time: `out(wall) = outAnchor + (wall − wallAnchor) × 90`. Pause/resume and "the reader
 *   fell behind" move the wall anchor; output time itself never goes back.
 * - Content map: recording time (atMs) to output time at the current speed:
 *   `out(at) = contentOut + (at − contentAt) × 90 / speed`. At speed k, one wall second of output carries k seconds of
 *   recording, so the player really plays k× faster. A speed change, a seek or a skipped gap re-anchors this map at
 *   the last frame consumed, so output time continues smoothly.
 */
export class Pacer {
  private wallAnchor = 0;
  private outAnchor = 0;
  private contentAt = 0;
  private contentOut = 0;

  /**
   * `content` mode (downloads to an upper platform): output time is the recording's own timeline (speed 1) and the
   * wall clock runs `rate` times faster instead, so frames are sent k× fast with untouched timestamps.
   */
  constructor(
    private rate: number,
    readonly mode: 'wall' | 'content' = 'wall',
  ) {}

  get speed(): number {
    return this.rate;
  }

  /** how much recording time one unit of output time carries (1 in content mode) */
  get outScale(): number {
    return this.mode === 'content' ? 1 : this.rate;
  }

  private get clockRate(): number {
    return this.mode === 'content' ? this.rate : 1;
  }

  /** From now on output time `out` is due at wall time `wallMs` (clock start, resume, catching up after a stall). */
  setClock(wallMs: number, out: number): void {
    this.wallAnchor = wallMs;
    this.outAnchor = out;
  }

  /** the output time due at a wall time */
  outAtWall(wallMs: number): number {
    return this.outAnchor + (wallMs - this.wallAnchor) * TICKS_PER_MS * this.clockRate;
  }

  /** the wall time (ms) at which an output time is due */
  wallAt(out: number): number {
    return this.wallAnchor + (out - this.outAnchor) / (TICKS_PER_MS * this.clockRate);
  }

  /** Recording instant `atMs` is shown at output time `out`; later instants follow at the current speed. */
  anchor(atMs: number, out: number): void {
    this.contentAt = atMs;
    this.contentOut = out;
  }

  /** The output time (integer 90 kHz ticks) of a recording instant. */
  outOf(atMs: number): number {
    return Math.round(this.contentOut + ((atMs - this.contentAt) * TICKS_PER_MS) / this.outScale);
  }

  /** Changes speed keeping the recording instant `atMs` at output time `out` (the last frame consumed). */
  setSpeed(speed: number, atMs: number, out: number): void {
    this.anchor(atMs, out);
    this.rate = speed;
  }
}

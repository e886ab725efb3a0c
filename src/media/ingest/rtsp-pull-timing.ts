import { CLOCK_HZ } from '../../lib/av/frame.js';
import { tsDelta } from '../../lib/rtp/index.js';

/**
 * 90 kHz time that every pulled session starts from (the first packet ≈ 1 s), so a dts placed before a pts by the
 * B-frame fix, or an audio packet a little ahead of the RTP-Info instant, never goes below zero.
 */
export const SESSION_ORIGIN = CLOCK_HZ;

/** An RTP-Info rtptime further than this from a track's first packet is not believed (broken server). */
const MAX_RTPINFO_SKEW_S = 10;

/**
 * Puts the tracks of one RTSP session on one time line. Each track's RTP clock starts at a random value (RFC 3550
 * §5.1); RTP-Info (RFC 2326 §12.33) names, per track, the RTP timestamp of the same instant (the PLAY range start),
 * so `rtptime` maps to 0 on every track and audio stays in step with video. A track without a usable rtptime is
 * aligned by arrival instead: its first packet is placed at the session time elapsed (wall clock) since the first
 * packet of the session. (RTCP sender reports would be more exact; RTCP is ignored here.)
 */
export class SessionClock {
  private ref: { at: number; pts: number } | undefined;

  /** The RTP timestamp that maps to time 0 for a track whose first packet carries `ts` and arrived at `nowMs`. */
  base(ts: number, clockRate: number, rtptime: number | undefined, nowMs: number): number {
    let base: number;
    if (rtptime !== undefined && Math.abs(tsDelta(rtptime >>> 0, ts)) <= clockRate * MAX_RTPINFO_SKEW_S) {
      base = rtptime >>> 0;
    } else {
      const pts = this.ref ? this.ref.pts + (nowMs - this.ref.at) * (CLOCK_HZ / 1000) : 0;
      base = (ts - Math.round((pts * clockRate) / CLOCK_HZ)) >>> 0;
    }
    if (!this.ref) this.ref = { at: nowMs, pts: (tsDelta(base, ts) * CLOCK_HZ) / clockRate };
    return base;
  }
}

/** A jump back this far is a discontinuity (the source reset its clock), not reordering: passed on for the hub to re-base. */
const DISCONTINUITY = 2 * CLOCK_HZ;
const HISTORY = 16;

/**
 * Decoding timestamps for video received over RTP, which carries only the presentation time (RFC 6184 §5.1): with
 * B-frames pts goes back and forth in decoding order, but dts must only grow and should not exceed pts.
 *
 * Rule (the one ffmpeg's demuxers use for pts-only input): with a reorder depth K (how many earlier frames in decoding
 * order a frame may be presented before), keep K+1 pts values, each new pts replacing the smallest, and dts = the
 * smallest kept; that sequence grows, is evenly spaced for a steady frame rate, and is ≤ the frame's own pts. K starts at 0 (dts = pts, right for
 * cameras without B-frames) and is learned: a frame presented before n earlier ones raises K to n (at most 4). Before
 * K is known, dts is kept growing by taking max(previous dts + 1, rule), so the first B-frames of a session may get a
 * dts a little above their pts (decoders cope; muxers write a negative composition offset) until the rule catches
 * up within a few frames. A jump back of more than 2 s is a clock reset: the history starts over and dts = pts (the
 * hub re-bases it).
 */
export class DtsFixer {
  private readonly history: number[] = [];
  private top: number[] = [];
  private depth = 0;
  private last: number | undefined;
  private maxPts = -Infinity;

  constructor(private readonly maxDepth = 4) {}

  /** The dts for the next frame in decoding order. */
  dts(pts: number): number {
    if (this.last !== undefined && pts < this.maxPts - DISCONTINUITY) this.reset();
    let later = 0;
    for (const p of this.history) if (p > pts) later++;
    this.history.push(pts);
    if (this.history.length > HISTORY) this.history.shift();
    if (later > this.depth) {
      this.depth = Math.min(this.maxDepth, later);
      this.top = [...this.history].sort((a, b) => a - b).slice(-(this.depth + 1));
    } else {
      this.insertTop(pts);
    }
    if (pts > this.maxPts) this.maxPts = pts;
    const rule = this.top[0];
    const dts = this.last === undefined ? rule : Math.max(this.last + 1, rule);
    this.last = dts;
    return dts;
  }

  /** The reorder depth learned so far. */
  get reorderDepth(): number {
    return this.depth;
  }

  /** The new pts takes the place of the smallest (so it is always among them, and dts ≤ pts once K is right). */
  private insertTop(pts: number): void {
    const t = this.top;
    if (t.length >= this.depth + 1) t.shift();
    let i = t.length;
    while (i > 0 && t[i - 1] > pts) i--;
    t.splice(i, 0, pts);
  }

  private reset(): void {
    this.history.length = 0;
    this.top = [];
    this.depth = 0;
    this.last = undefined;
    this.maxPts = -Infinity;
  }
}

/** Audio: dts = pts, kept growing (a repeated or slightly earlier timestamp is moved one tick past the last). */
export class AudioTimeline {
  private last: number | undefined;

  next(pts: number): number {
    const t = this.last === undefined || pts > this.last || pts < this.last - DISCONTINUITY ? pts : this.last + 1;
    this.last = t;
    return t;
  }
}

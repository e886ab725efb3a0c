import type { Frame } from '../../lib/av/frame.js';

/** 90 kHz ticks per ms */
const TICKS_PER_MS = 90;
/** a jump of the device's clock larger than this (content time) is a discontinuity, not a real step */
const MAX_STEP_MS = 5000;
/** frames held while paused before the oldest are dropped (the chain then restarts at a keyframe) */
const MAX_HELD = 600;

export type RetimeOp = 'mark' | 'hold' | 'step' | 'release';

export interface RetimeState {
  scale: number;
  /** false after start or a mark until the first keyframe has arrived */
  anchored: boolean;
  /**
   * content (recording) time between the anchor keyframe and the last video frame passed to viewers, ms, from the
   * device's own timestamps (discontinuities count as one frame interval)
   */
  contentMs: number;
  /** the anchor keyframe's distance from the first frame of this source by the device's clock, ms (undefined when that clock went back) */
  anchorOffsetMs?: number;
  framesIn: number;
  framesOut: number;
  /** frames received while holding, not yet passed on */
  held: number;
  holding: boolean;
  /** a step waits for the next video frame */
  stepPending: boolean;
  /** wall clock (ms) of the last frame received */
  lastInAt?: number;
}

interface Mapped {
  frame: Frame;
  contentMs: number;
}

/**
 * Retiming of a device playback (GB/T 28181 `s=Playback` fed by RTP) before it enters the hub. At speed k a device
 * sends k× faster and stamps frames with its own content clock, so a player given those timestamps would play at 1×
 * and fall behind. Output timestamps here are `outBase + (dts − inBase) / k`: they advance at wall pace while content
 * advances k× faster — the same rule as platform playback (media/record/playback). A speed change re-anchors the map
 * at the last frame, so output time only grows in small steps; so do seeks (`mark`: frames up to the next keyframe are
 * dropped, and that keyframe continues the output one frame interval later) and clock jumps of the device.
 *
 * Audio is passed only at 1× (a player plays it at 1× and would drift). While holding (paused) frames are kept, and
 * `step` passes exactly one video frame — from what is held, or the next one to arrive — so single-frame step works
 * with devices that can only PAUSE and PLAY. `release` passes what is held and stops holding.
 */
export class PlaybackRetimer {
  private scale = 1;
  private originIn?: number;
  private inBase = 0;
  private outBase = 0;
  private lastIn?: number;
  private lastOut?: number;
  private lastAudioOut?: number;
  /** measured output interval between video frames (90 kHz) */
  private outStep = 3600;
  /** measured content interval between video frames (ms) */
  private inStepMs = 40;
  private needAnchor = true;
  private anchorOffsetMs?: number;
  private contentIn = 0;
  private contentOut = 0;
  private holding = false;
  private held: Mapped[] = [];
  private steps = 0;
  /** the decoder chain broke (held frames dropped): pass nothing until a keyframe */
  private needKey = false;
  private framesIn = 0;
  private framesOut = 0;
  private lastInAt?: number;

  constructor(
    private readonly out: (f: Frame) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new source (a new INVITE for the same stream): its clock is unrelated to the previous one. */
  newSource(): void {
    this.originIn = undefined;
    this.lastIn = undefined;
    this.needAnchor = true;
    this.held = [];
  }

  setScale(k: number): void {
    if (!(k > 0) || !Number.isFinite(k)) throw new Error(`playback scale must be positive, got ${k}`);
    if (k === this.scale) return;
    if (this.lastIn !== undefined && this.lastOut !== undefined) {
      this.inBase = this.lastIn;
      this.outBase = this.lastOut;
    }
    this.scale = k;
  }

  control(op: RetimeOp): RetimeState {
    switch (op) {
      case 'mark':
        // a seek: what arrives until the next keyframe is from before it
        this.needAnchor = true;
        this.held = [];
        this.steps = 0;
        break;
      case 'hold':
        this.holding = true;
        break;
      case 'step': {
        this.holding = true;
        const i = this.held.findIndex((m) => m.frame.track === 'video');
        if (i >= 0) {
          const pass = this.held.splice(0, i + 1);
          for (const m of pass) this.emit(m);
        } else this.steps = 1;
        break;
      }
      case 'release': {
        this.holding = false;
        this.steps = 0;
        const pass = this.held;
        this.held = [];
        for (const m of pass) this.emit(m);
        break;
      }
    }
    return this.state();
  }

  state(): RetimeState {
    return {
      scale: this.scale,
      anchored: !this.needAnchor,
      contentMs: Math.round(this.contentOut),
      anchorOffsetMs: this.anchorOffsetMs,
      framesIn: this.framesIn,
      framesOut: this.framesOut,
      held: this.held.length,
      holding: this.holding,
      stepPending: this.steps > 0,
      lastInAt: this.lastInAt,
    };
  }

  push(f: Frame): void {
    this.framesIn++;
    this.lastInAt = this.now();
    if (f.track === 'audio') {
      if (this.needAnchor || this.scale !== 1 || this.lastIn === undefined) return;
      const dts = this.map(f.dts);
      if (this.lastAudioOut !== undefined && dts <= this.lastAudioOut) return;
      this.lastAudioOut = dts;
      this.gate({ frame: { ...f, dts, pts: dts + (f.pts - f.dts) }, contentMs: this.contentIn });
      return;
    }
    if (this.needAnchor) {
      if (!f.key) return;
      this.needAnchor = false;
      if (this.originIn === undefined) this.originIn = f.dts;
      this.anchorOffsetMs = f.dts >= this.originIn ? (f.dts - this.originIn) / TICKS_PER_MS : undefined;
      this.inBase = f.dts;
      this.outBase = this.lastOut === undefined ? f.dts : this.lastOut + this.outStep;
      this.contentIn = 0;
      this.contentOut = 0;
      this.needKey = false;
    } else if (this.lastIn !== undefined) {
      const stepMs = (f.dts - this.lastIn) / TICKS_PER_MS;
      if (stepMs <= 0 || stepMs > MAX_STEP_MS) {
        // the device's clock jumped (next file, clock reset): continue one frame later
        this.inBase = f.dts;
        this.outBase = (this.lastOut ?? f.dts) + this.outStep;
        this.contentIn += this.inStepMs;
      } else {
        if (stepMs < 1000) this.inStepMs = stepMs;
        this.contentIn += stepMs;
      }
    }
    this.lastIn = f.dts;
    let dts = this.map(f.dts);
    if (this.lastOut !== undefined) {
      if (dts <= this.lastOut) dts = this.lastOut + 1;
      else if (dts - this.lastOut < 45_000) this.outStep = dts - this.lastOut;
    }
    this.lastOut = dts;
    const pts = dts + Math.round((f.pts - f.dts) / this.scale);
    this.gate({ frame: dts === f.dts && pts === f.pts ? f : { ...f, dts, pts }, contentMs: this.contentIn });
  }

  private map(dts: number): number {
    return Math.round(this.outBase + (dts - this.inBase) / this.scale);
  }

  private gate(m: Mapped): void {
    if (!this.holding) return this.emit(m);
    if (this.steps > 0 && m.frame.track === 'video') {
      this.steps--;
      const pass = this.held;
      this.held = [];
      for (const h of pass) this.emit(h);
      return this.emit(m);
    }
    this.held.push(m);
    if (this.held.length > MAX_HELD) {
      this.held = [];
      this.needKey = true;
    }
  }

  private emit(m: Mapped): void {
    const f = m.frame;
    if (this.needKey) {
      if (f.track !== 'video' || !f.key) return;
      this.needKey = false;
    }
    if (f.track === 'video') this.contentOut = m.contentMs;
    this.framesOut++;
    this.out(f);
  }
}

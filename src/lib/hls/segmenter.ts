/**
 * Cuts a frame stream into HLS segments (pure state machine, no timers): a segment ends at the first video key frame
 * at least targetDuration after its start, so every segment starts with a key frame (RFC 8216 §6.2.1 / §4.3.5.1
 * EXT-X-INDEPENDENT-SEGMENTS). Audio-only streams are cut on any audio frame. A GOP longer than the target makes
 * longer segments (the playlist's target duration follows). Frames are passed through as they are
 * (same objects), in arrival order.
 */
import { CLOCK_HZ, type Frame } from '../av/frame.js';

export interface SegmenterOptions {
  /** seconds, default 2 */
  targetDuration?: number;
  /**
   * true: segments start at video key frames, frames before the first one are dropped. false: audio only, cut at any
   * audio frame. Default (auto): video as soon as a video frame shows up; audio only once a whole target duration of
   * audio has come with no video frame.
   */
  video?: boolean;
  /** media sequence number of the first segment, default 0 */
  firstSeq?: number;
  /** cut this early (90 kHz) before the target so timestamp jitter does not add a whole GOP; default 4500 (50 ms) */
  tolerance?: number;
}

export interface CutSegment {
  seq: number;
  /** seconds: from this segment's first anchor frame to the next segment's (or, at flush, one frame interval past the last) */
  duration: number;
  frames: Frame[];
  /** 90 kHz dts of the first anchor frame (video when the stream has video) */
  startDts: number;
  /** 90 kHz dts where the next segment starts */
  endDts: number;
  /** = endDts when the segment is video-anchored: pass as mediaSegment's nextVideoDts */
  nextVideoDts?: number;
}

export class Segmenter {
  private readonly target: number;
  private mode: 'video' | 'audio' | 'auto';
  private readonly tolerance: number;
  private seq: number;
  private frames: Frame[] = [];
  private startDts: number | undefined;
  private lastAnchorDts: number | undefined;
  private lastInterval = 0;

  constructor(opts: SegmenterOptions = {}) {
    this.target = Math.round((opts.targetDuration ?? 2) * CLOCK_HZ);
    this.mode = opts.video === undefined ? 'auto' : opts.video ? 'video' : 'audio';
    this.seq = opts.firstSeq ?? 0;
    this.tolerance = opts.tolerance ?? 4500;
  }

  /** sequence number the next finished segment will have */
  get nextSeq(): number {
    return this.seq;
  }

  /** seconds buffered in the open segment */
  get pendingDuration(): number {
    return this.startDts === undefined || this.lastAnchorDts === undefined ? 0 : (this.lastAnchorDts - this.startDts) / CLOCK_HZ;
  }

  /** Feeds one frame; returns the segment it closed, if any (the frame then starts the next one). */
  push(f: Frame): CutSegment | undefined {
    if (this.mode === 'auto' && f.track === 'video') {
      // a video stream after all: what was buffered as audio-only is dropped, segments start at key frames
      this.mode = 'video';
      this.frames = [];
      this.startDts = undefined;
      this.lastAnchorDts = undefined;
    }
    const video = this.mode === 'video';
    const anchor = video ? f.track === 'video' : f.track === 'audio';
    const boundary = anchor && (!video || f.key);
    if (this.startDts === undefined) {
      if (!boundary) return undefined; // wait for the first key frame
      this.begin(f);
      return undefined;
    }
    if (boundary && f.dts - this.startDts >= this.target - this.tolerance) {
      if (this.mode === 'auto') this.mode = 'audio';
      const out = this.cut(f.dts);
      this.begin(f);
      return out;
    }
    this.frames.push(f);
    if (anchor) this.note(f.dts);
    return undefined;
  }

  /** Ends the open segment (end of stream); its last frame lasts one measured frame interval. */
  flush(): CutSegment | undefined {
    if (this.startDts === undefined || this.frames.length === 0) return undefined;
    const out = this.cut((this.lastAnchorDts ?? this.startDts) + this.lastInterval);
    this.frames = [];
    this.startDts = undefined;
    this.lastAnchorDts = undefined;
    return out;
  }

  private begin(f: Frame): void {
    this.frames = [f];
    this.startDts = f.dts;
    this.note(f.dts);
  }

  private note(dts: number): void {
    if (this.lastAnchorDts !== undefined && dts > this.lastAnchorDts) this.lastInterval = dts - this.lastAnchorDts;
    this.lastAnchorDts = dts;
  }

  private cut(endDts: number): CutSegment {
    const startDts = this.startDts!;
    const out: CutSegment = { seq: this.seq++, duration: Math.max(0, endDts - startDts) / CLOCK_HZ, frames: this.frames, startDts, endDts };
    if (this.mode === 'video') out.nextVideoDts = endDts;
    return out;
  }
}

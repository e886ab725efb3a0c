import { EventEmitter } from 'node:events';
import { AppError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { Frame } from '../../../lib/av/frame.js';
import type { Stream } from '../../../stream/stream.js';
import type { PlaybackState } from '../../node.js';
import type { RecordedFrames, TimedFrame } from '../types.js';
import { Pacer, TICKS_PER_MS } from './pacer.js';

/** The speeds a playback offers (issue 7). */
export const PLAYBACK_SPEEDS: readonly number[] = [0.125, 0.25, 0.5, 1, 2, 4, 8, 16];

export type StepDirection = 'forward' | 'backward';

export interface PlaybackSessionOptions {
  frames: RecordedFrames;
  /** the hub stream viewers read (kind 'playback'); the session is its only source */
  stream: Stream;
  /** requested range, Unix ms; clamped to the recordings' span */
  startMs: number;
  endMs: number;
  /** one of PLAYBACK_SPEEDS; default 1 */
  speed?: number;
  now?: () => number;
  /** how far output runs ahead of the wall clock so players' buffers stay fed; default 300 ms */
  leadMs?: number;
  /** the clock starts when the stream gets its first reader (a late viewer misses nothing); default true */
  waitForReader?: boolean;
  /** above this speed only video keyframes are sent; default 4 (so 8× and 16× are keyframes only) */
  keyframesOnlyAbove?: number;
  /** a recording gap longer than this in output time is skipped (shown as one frame interval); default 3000 ms */
  maxGapMs?: number;
  /** when output falls further behind the wall clock than this (slow disk), the clock is moved instead of bursting; default 1000 ms */
  maxLateMs?: number;
  /** spacing of frames pushed at once to land on a picture (step backward, seek while paused); default 90 (1 ms, the FLV tick) */
  packTicks?: number;
  /** least interval between 'position' events; default 250 ms */
  positionIntervalMs?: number;
  /**
   * `wall` (default): output timestamps at wall-clock pace, content k× faster (viewers). `content`: output timestamps
   * are the recording's own and frames are sent k× faster, every frame and the audio kept (GB downloads to an upper).
   */
  timestamps?: 'wall' | 'content';
  log?: Logger;
}

/** the state the MediaNode interface reports (one definition, in ../../node.ts) */
export type { PlaybackState };

export type PlaybackEndReason = 'range-end' | 'exhausted' | 'error';

export interface PlaybackSessionEvents {
  /** at most one per positionIntervalMs */
  position: [PlaybackState];
  /** the range end was passed, the recordings ran out, or reading failed (after 'error'); a seek plays again */
  ended: [PlaybackEndReason];
  error: [Error];
}

type Op = { kind: 'seek'; atMs: number } | { kind: 'step'; dir: StepDirection; done: () => void };

/** shortest sleep of the scheduling loop; frames due within it are pushed together */
const MIN_SLEEP_MS = 10;
const MAX_SLEEP_MS = 1000;
/** frames pushed back to back before the loop yields to I/O */
const BURST = 256;
/** a GOP longer than this is not buffered for landing (memory bound on absurd recordings) */
const MAX_LAND_FRAMES = 1500;
/** how far back a step backward looks for the previous frame: just before the current one, then across gaps */
const STEP_BACK_WINDOWS_MS = [1, 2_000, 30_000];

/**
 * One viewer-controlled playback of a channel's recordings into a hub stream: pause/resume, seek, speed 1/8×…16×,
 * single-frame steps.
 *
 * Pacing (see Pacer): each frame's output dts is `base + (atMs − anchorAtMs) × 90 / speed`, and it is pushed when that
 * output time is within `leadMs` of the wall clock, so at speed k recordings advance k× faster than the wall clock
 * while output timestamps advance at wall pace: players really play faster (sending frames faster with untouched
 * timestamps would do nothing). Output time only grows by small steps — across pause/resume, seek, speed changes,
 * steps and recording gaps — so the hub never re-bases it. Above `keyframesOnlyAbove` only keyframes are sent; audio
 * only at 1× (a player would otherwise play it at 1× and drift).
 *
 * Landing (step backward, seek while paused): a decoder can only show a picture after decoding from the keyframe
 * before it, so the session re-reads from that keyframe and pushes the GOP up to the target at once with timestamps
 * `packTicks` apart (default 1 ms, the FLV timestamp unit; closer ones would collapse into equal FLV timestamps). The
 * player decodes them in a few ms and stops on the target, the last frame it has.
 *
 * One async loop does all reading and pushing (one `next()` in flight at a time; control calls queue operations and
 * wake it); its only timer is the sleep until the next frame is due. stop() cancels it and closes the iterator.
 * Failures never escape: a throwing iterator or sink emits 'error' and ends the session (a seek may start it again).
 */
export class PlaybackSession extends EventEmitter<PlaybackSessionEvents> {
  readonly startMs: number;
  readonly endMs: number;
  private readonly frames: RecordedFrames;
  private readonly stream: Stream;
  private readonly now: () => number;
  private readonly leadMs: number;
  private readonly waitForReader: boolean;
  private readonly keyframesOnlyAbove: number;
  private readonly maxGapMs: number;
  private readonly maxLateMs: number;
  private readonly packTicks: number;
  private readonly positionIntervalMs: number;
  private readonly log?: Logger;
  private readonly pacer: Pacer;

  private started = false;
  private stopped = false;
  private paused = false;
  private ended = false;
  private clockStarted = false;
  private readonly ops: Op[] = [];

  private it?: AsyncIterator<TimedFrame>;
  private exhausted = false;
  /** read but not yet pushed or dropped */
  private pending?: TimedFrame;
  /** the content map must be anchored at the next frame (after start or seek) */
  private needAnchor = true;
  /** the decoder has every video frame since the last keyframe pushed (non-key frames may follow) */
  private chainIntact = false;

  private position: number;
  private lastVideoAt?: number;
  private lastVideoOut?: number;
  private lastAudioOut?: number;
  /** the largest output dts pushed on any track */
  private lastOut?: number;
  /** the last frame consumed (pushed or dropped): recording time and its output time */
  private lastSeenAt?: number;
  private lastSeenOut = 0;
  private lastSeenVideoAt?: number;
  /** recording-time interval between video frames, measured */
  private frameMs = 40;

  private wakeFn?: () => void;
  private sleepTimer?: NodeJS.Timeout;
  private posTimer?: NodeJS.Timeout;
  private lastPosAt = Number.NEGATIVE_INFINITY;
  private readonly onReaders = (n: number) => {
    if (n > 0) this.startClock();
  };
  private readonly onStreamEnded = () => this.stop();

  constructor(opts: PlaybackSessionOptions) {
    super();
    const { startMs, endMs } = opts;
    if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) throw new AppError('VALIDATION_FAILED', 'playback range must be finite times');
    if (endMs < startMs) throw new AppError('VALIDATION_FAILED', 'playback range ends before it starts', { startMs, endMs });
    const speed = opts.speed ?? 1;
    checkSpeed(speed);
    this.startMs = startMs;
    this.endMs = endMs;
    this.frames = opts.frames;
    this.stream = opts.stream;
    this.now = opts.now ?? Date.now;
    this.leadMs = Math.max(0, opts.leadMs ?? 300);
    this.waitForReader = opts.waitForReader ?? true;
    this.keyframesOnlyAbove = opts.keyframesOnlyAbove ?? 4;
    this.maxGapMs = opts.maxGapMs ?? 3000;
    this.maxLateMs = opts.maxLateMs ?? 1000;
    this.packTicks = Math.max(1, Math.round(opts.packTicks ?? TICKS_PER_MS));
    this.positionIntervalMs = opts.positionIntervalMs ?? 250;
    this.log = opts.log;
    this.pacer = new Pacer(speed, opts.timestamps ?? 'wall');
    this.position = startMs;
  }

  get speed(): number {
    return this.pacer.speed;
  }

  state(): PlaybackState {
    return { positionMs: this.position, speed: this.pacer.speed, paused: this.paused, ended: this.ended, startMs: this.startMs, endMs: this.endMs };
  }

  /** Starts reading at the range start; the clock starts now or, with waitForReader, at the stream's first reader. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.stream.on('ended', this.onStreamEnded);
    if (!this.waitForReader || this.stream.readerCount > 0) this.startClock();
    else this.stream.on('readers', this.onReaders);
    this.ops.unshift({ kind: 'seek', atMs: this.startMs });
    this.loop().catch((err: unknown) => this.fail(err)); // loop() catches per iteration; this is a last guard
  }

  pause(): void {
    if (this.paused || this.stopped) return;
    this.paused = true;
    this.wake();
    this.emitPosition();
  }

  /** Output continues at the time of resume: the wall anchor moves by the paused time, output time does not jump. */
  resume(): void {
    if (!this.paused || this.stopped) return;
    this.paused = false;
    if (this.clockStarted) this.pacer.setClock(this.now(), this.lastOut ?? 0);
    this.wake();
    this.emitPosition();
  }

  /** Plays from `atMs` (clamped to the range and the recordings): from the keyframe at or before it. While paused, shows that instant's picture. */
  seek(atMs: number): void {
    if (!Number.isFinite(atMs)) throw new AppError('VALIDATION_FAILED', 'seek target must be a time');
    if (this.stopped) return;
    const last = this.ops[this.ops.length - 1];
    if (last?.kind === 'seek') last.atMs = atMs; // dragging: only the latest target matters
    else this.ops.push({ kind: 'seek', atMs });
    this.wake();
  }

  setSpeed(speed: number): void {
    checkSpeed(speed);
    if (speed === this.pacer.speed || this.stopped) return;
    // keep the last consumed frame where it is on the output timeline; what follows is paced at the new speed
    if (this.needAnchor || this.lastSeenAt === undefined) this.pacer.setSpeed(speed, 0, 0);
    else this.pacer.setSpeed(speed, this.lastSeenAt, this.lastSeenOut);
    this.wake();
    this.emitPosition();
  }

  /**
   * One frame forward or back; pauses first. Forward pushes exactly the next video frame. Backward makes the frame
   * before the current one the shown one (landing: the GOP up to it is pushed at once). Resolves when done; never rejects
   * (failures are 'error' events).
   */
  step(dir: StepDirection): Promise<PlaybackState> {
    if (dir !== 'forward' && dir !== 'backward') throw new AppError('VALIDATION_FAILED', 'step direction must be forward or backward');
    if (this.stopped || !this.started) return Promise.resolve(this.state());
    this.pause();
    return new Promise((resolve) => {
      this.ops.push({ kind: 'step', dir, done: () => resolve(this.state()) });
      this.wake();
    });
  }

  /** Cancels the timer, closes the recording iterator; the stream itself is the owner's to end. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stream.off('readers', this.onReaders);
    this.stream.off('ended', this.onStreamEnded);
    this.closeIterator();
    this.pending = undefined;
    if (this.posTimer) clearTimeout(this.posTimer);
    this.posTimer = undefined;
    for (const op of this.ops.splice(0)) if (op.kind === 'step') op.done();
    this.wake();
  }

  // --- the loop -------------------------------------------------------------------------------------------------

  private async loop(): Promise<void> {
    await Promise.resolve(); // events of the first operation reach listeners attached right after start()
    let burst = 0;
    while (!this.stopped) {
      try {
        const op = this.ops.shift();
        if (op) {
          if (op.kind === 'seek') await this.doSeek(op.atMs);
          else {
            try {
              await this.doStep(op.dir);
            } finally {
              op.done();
            }
          }
          continue;
        }
        if (this.paused || this.ended || !this.clockStarted || (!this.it && !this.pending)) {
          await this.sleep();
          burst = 0;
          continue;
        }
        const tf = await this.peek();
        if (this.stopped) break;
        if (this.ops.length || this.paused || this.ended) continue; // the frame stays pending
        if (!tf) {
          if (this.exhausted) this.finish('exhausted');
          continue;
        }
        if (tf.atMs > this.endMs) {
          this.finish('range-end');
          continue;
        }
        const out = this.outFor(tf);
        const now = this.now();
        let due = this.pacer.wallAt(out);
        if (due < now - this.maxLateMs) {
          // reading stalled: continue from here at wall pace rather than burst the backlog at the player
          this.pacer.setClock(now, out);
          due = now;
        }
        if (due > now + this.leadMs) {
          await this.sleep(Math.min(MAX_SLEEP_MS, Math.max(MIN_SLEEP_MS, due - this.leadMs - now)));
          burst = 0;
          continue;
        }
        this.pending = undefined;
        this.consume(tf, out);
        if (++burst >= BURST) {
          burst = 0;
          await new Promise<void>((r) => setImmediate(r));
        }
      } catch (err) {
        this.fail(err);
      }
    }
  }

  /** Sleeps until woken (control call) or, with ms, until then. The only timer of the loop. */
  private sleep(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        if (this.wakeFn !== wake) return;
        this.wakeFn = undefined;
        if (this.sleepTimer) clearTimeout(this.sleepTimer);
        this.sleepTimer = undefined;
        resolve();
      };
      this.wakeFn = wake;
      if (ms !== undefined) this.sleepTimer = setTimeout(wake, ms);
    });
  }

  private wake(): void {
    this.wakeFn?.();
  }

  private startClock(): void {
    if (this.clockStarted || this.stopped) return;
    this.clockStarted = true;
    this.stream.off('readers', this.onReaders);
    this.pacer.setClock(this.now(), this.lastOut ?? 0);
    this.wake();
  }

  /** The pending frame, or the next one read. undefined: recordings exhausted, or the iterator was replaced meanwhile. */
  private async peek(): Promise<TimedFrame | undefined> {
    if (this.pending) return this.pending;
    const it = this.it;
    if (!it || this.exhausted) return undefined;
    let r: IteratorResult<TimedFrame>;
    try {
      r = await it.next();
    } catch (err) {
      if (it !== this.it) return undefined; // a closed iterator complaining
      throw err;
    }
    if (it !== this.it) return undefined;
    if (r.done) {
      this.exhausted = true;
      return undefined;
    }
    this.pending = r.value;
    return r.value;
  }

  private openIterator(atMs: number): AsyncIterator<TimedFrame> {
    this.closeIterator();
    const it = this.frames.from(atMs);
    this.it = it;
    return it;
  }

  private closeIterator(): void {
    const it = this.it;
    this.it = undefined;
    this.exhausted = false;
    if (!it?.return) return;
    try {
      Promise.resolve(it.return()).catch((err: unknown) => this.log?.debug({ err }, 'closing a recording iterator failed'));
    } catch (err) {
      this.log?.debug({ err }, 'closing a recording iterator failed');
    }
  }

  /** output time after the last pushed frame: one frame interval at the current speed */
  private nextOut(): number {
    if (this.lastOut === undefined) return 0;
    const step = Math.round((this.frameMs * TICKS_PER_MS) / this.pacer.outScale);
    return this.lastOut + Math.min(45_000, Math.max(this.packTicks, step));
  }

  /** The output time of a frame about to be consumed; anchors the content map after a seek and across long gaps. */
  private outFor(tf: TimedFrame): number {
    if (this.needAnchor) {
      this.pacer.anchor(tf.atMs, this.nextOut());
      this.needAnchor = false;
    } else if (this.lastSeenAt !== undefined) {
      const gap = (tf.atMs - this.lastSeenAt) / this.pacer.outScale;
      // a long hole between segments, or time going back: continue one frame interval later. (Idempotent while the
      // frame is pending: lastSeenAt and lastOut do not change until it is consumed.)
      if (gap > this.maxGapMs || gap < -this.maxGapMs) this.pacer.anchor(tf.atMs, this.nextOut());
    }
    return this.pacer.outOf(tf.atMs);
  }

  /** Pushes or drops a due frame. */
  private consume(tf: TimedFrame, out: number): void {
    const f = tf.frame;
    this.lastSeenAt = tf.atMs;
    this.lastSeenOut = out;
    if (f.track === 'audio') {
      if (this.pacer.outScale !== 1 || (this.lastAudioOut !== undefined && out <= this.lastAudioOut)) return;
      this.lastAudioOut = out;
      this.push(f, out, out + Math.max(0, f.pts - f.dts));
      return;
    }
    if (this.lastSeenVideoAt !== undefined) {
      const d = tf.atMs - this.lastSeenVideoAt;
      if (d > 0 && d <= 1000) this.frameMs = d;
    }
    this.lastSeenVideoAt = tf.atMs;
    const keyOnly = this.pacer.mode === 'wall' && this.pacer.speed > this.keyframesOnlyAbove;
    if (!f.key && (keyOnly || !this.chainIntact)) {
      this.chainIntact = false; // content time advances; the decoder waits for the next keyframe
      return;
    }
    const dts = this.lastVideoOut !== undefined && out <= this.lastVideoOut ? this.lastVideoOut + 1 : out;
    this.pushVideo(tf, dts, dts + Math.max(0, Math.round((f.pts - f.dts) / this.pacer.outScale)));
  }

  private pushVideo(tf: TimedFrame, dts: number, pts: number): void {
    if (tf.frame.key) this.chainIntact = true;
    this.lastVideoAt = tf.atMs;
    this.lastVideoOut = dts;
    this.position = tf.atMs;
    this.push(tf.frame, dts, pts);
    this.emitPosition();
  }

  private push(f: Frame, dts: number, pts: number): void {
    if (this.lastOut === undefined || dts > this.lastOut) this.lastOut = dts;
    this.stream.push(f.dts === dts && f.pts === pts ? f : ({ ...f, dts, pts } as Frame));
  }

  // --- operations ---------------------------------------------------------------------------------------------

  private async doSeek(atMs: number): Promise<void> {
    const span = this.frames.span;
    const lo = Math.max(this.startMs, span.startMs);
    const hi = Math.min(this.endMs, span.endMs);
    this.closeIterator();
    this.pending = undefined;
    this.ended = false;
    this.chainIntact = false;
    if (!(lo <= hi)) {
      // no recordings in range (empty span, NaN, or the range misses them)
      this.finish('exhausted');
      return;
    }
    const target = Math.min(hi, Math.max(lo, atMs));
    this.position = target;
    this.needAnchor = true;
    if (this.paused) {
      // show the picture at the target: land on the last video frame at or before it (or the first after a gap)
      if (!(await this.land(target, (at) => at <= target, true)) && !this.stopped) this.openIterator(target);
    } else {
      this.openIterator(target);
    }
    this.emitPosition();
  }

  private async doStep(dir: StepDirection): Promise<void> {
    this.paused = true;
    if (dir === 'backward') {
      const cur = this.lastVideoAt;
      if (cur === undefined) return;
      for (const back of STEP_BACK_WINDOWS_MS) {
        if (await this.land(cur - back, (at) => at < cur, false)) return;
        if (this.stopped) return;
      }
      // nothing before the current frame (start of the recordings): stay; the pending frame may repeat the current one
      this.chainIntact = false;
      return;
    }
    // forward: the video frame after the shown one
    const cur = this.lastVideoAt;
    if (cur !== undefined && this.lastSeenVideoAt !== undefined && this.lastSeenVideoAt > cur) {
      // frames after the shown one were dropped (keyframes-only speed): decode up to the one after it from the keyframe
      let took = false;
      await this.land(cur, (at) => at <= cur || (!took && (took = true)), false);
      return;
    }
    for (;;) {
      if (!this.it && !this.pending) return; // ended: nothing further (a seek or step backward restarts reading)
      const tf = await this.peek();
      if (this.stopped) return;
      if (!tf) {
        if (this.exhausted) this.finish('exhausted');
        return;
      }
      if (tf.atMs > this.endMs) {
        this.finish('range-end');
        return;
      }
      if (tf.frame.track === 'audio') {
        this.pending = undefined; // no sound for single frames
        this.lastSeenAt = tf.atMs;
        continue;
      }
      if (!tf.frame.key && !this.chainIntact) {
        // frames before it were dropped (keyframes-only speed): decode it from its keyframe
        const target = tf.atMs;
        await this.land(target, (at) => at <= target, false);
        return;
      }
      this.pending = undefined;
      const gap = this.lastVideoAt === undefined ? this.frameMs : tf.atMs - this.lastVideoAt;
      const dts = this.lastOut === undefined ? 0 : this.lastOut + Math.min(90_000, Math.max(this.packTicks, Math.round(gap * TICKS_PER_MS)));
      if (this.lastSeenVideoAt !== undefined && tf.atMs > this.lastSeenVideoAt && tf.atMs - this.lastSeenVideoAt <= 1000) this.frameMs = tf.atMs - this.lastSeenVideoAt;
      this.lastSeenVideoAt = tf.atMs;
      this.lastSeenAt = tf.atMs;
      this.pushVideo(tf, dts, dts + Math.max(0, tf.frame.pts - tf.frame.dts));
      this.anchorAtLastVideo();
      return;
    }
  }

  /**
   * Re-reads from `fromMs` and pushes, packed `packTicks` apart, the video frames from the last keyframe among those
   * `accept`ed up to the last accepted one, which becomes the shown frame. The first frame not accepted stays pending,
   * so playing or stepping on continues right after the shown one. With `orFirstKey`, a keyframe that comes first (the
   * target fell in a gap) is shown instead. Returns false when there was nothing to show.
   */
  private async land(fromMs: number, accept: (atMs: number) => boolean, orFirstKey: boolean): Promise<boolean> {
    this.pending = undefined;
    const it = this.openIterator(fromMs);
    let gop: TimedFrame[] = [];
    for (;;) {
      let r: IteratorResult<TimedFrame>;
      try {
        r = await it.next();
      } catch (err) {
        if (it !== this.it) return false;
        throw err;
      }
      if (it !== this.it || this.stopped) return false;
      if (r.done) {
        this.exhausted = true;
        break;
      }
      const tf = r.value;
      if (tf.frame.track !== 'video') continue; // no sound while landing
      const ok = accept(tf.atMs);
      if (!ok && !(orFirstKey && gop.length === 0 && tf.frame.key)) {
        this.pending = tf;
        break;
      }
      if (tf.frame.key) gop = [tf];
      else if (gop.length) gop.push(tf);
      if (gop.length > MAX_LAND_FRAMES) gop = [];
      if (!ok) break; // the keyframe after a gap: shown, reading continues after it
    }
    if (!gop.length) return false;
    const frameTicks = typicalDtsStep(gop);
    let dts = this.lastOut ?? 0;
    for (const tf of gop) {
      dts += this.packTicks;
      const f = tf.frame;
      this.pushVideo(tf, dts, dts + Math.max(0, Math.round(((f.pts - f.dts) * this.packTicks) / frameTicks)));
    }
    const last = gop[gop.length - 1];
    this.lastSeenAt = last.atMs;
    this.lastSeenVideoAt = last.atMs;
    this.anchorAtLastVideo();
    return true;
  }

  /** playing on continues from the last pushed video frame */
  private anchorAtLastVideo(): void {
    if (this.lastVideoAt === undefined || this.lastVideoOut === undefined) return;
    this.pacer.anchor(this.lastVideoAt, this.lastVideoOut);
    this.lastSeenOut = this.lastVideoOut;
    this.needAnchor = false;
  }

  // --- ending and events ----------------------------------------------------------------------------------------

  private finish(reason: PlaybackEndReason): void {
    this.closeIterator();
    this.pending = undefined;
    if (this.ended) return;
    this.ended = true;
    this.log?.debug({ reason, positionMs: this.position }, 'playback ended');
    this.safeEmit('ended', reason);
    this.emitPosition();
  }

  private fail(e: unknown): void {
    if (this.stopped) return;
    const err = e instanceof Error ? e : new Error(String(e));
    this.log?.warn({ err }, 'playback failed');
    if (this.listenerCount('error') > 0) this.safeEmit('error', err);
    this.finish('error');
  }

  private emitPosition(): void {
    if (this.stopped) return;
    const t = this.now();
    const wait = this.lastPosAt + this.positionIntervalMs - t;
    if (wait <= 0) {
      this.lastPosAt = t;
      this.safeEmit('position', this.state());
    } else if (!this.posTimer) {
      // trailing event so the last change is always reported
      this.posTimer = setTimeout(() => {
        this.posTimer = undefined;
        if (this.stopped) return;
        this.lastPosAt = this.now();
        this.safeEmit('position', this.state());
      }, wait);
    }
  }

  /** a throwing listener must not stop the playback loop or escape a timer */
  private safeEmit<K extends keyof PlaybackSessionEvents>(event: K, ...args: PlaybackSessionEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: PlaybackSessionEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.log?.warn({ err, event }, 'playback listener threw');
    }
  }
}

function checkSpeed(speed: number): void {
  if (!PLAYBACK_SPEEDS.includes(speed)) throw new AppError('VALIDATION_FAILED', `playback speed must be one of ${PLAYBACK_SPEEDS.join(', ')}`, { speed });
}

/** the usual dts step between consecutive frames of a GOP (for scaling pts offsets when packing); 3600 (25 fps) if unknown */
function typicalDtsStep(gop: readonly TimedFrame[]): number {
  const steps: number[] = [];
  for (let i = 1; i < gop.length; i++) {
    const d = gop[i].frame.dts - gop[i - 1].frame.dts;
    if (d > 0) steps.push(d);
  }
  if (!steps.length) return 3600;
  steps.sort((a, b) => a - b);
  return steps[steps.length >> 1];
}

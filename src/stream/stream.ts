import { EventEmitter } from 'node:events';
import { frameBytes, type Frame, type TrackParams } from '../lib/av/frame.js';
import { GopCache } from './gop-cache.js';
import { ParamsTracker } from './params-tracker.js';
import { RateMeter } from './rate-meter.js';
import { DEFAULT_READER_LIMITS, type ReaderCloseReason, type ReaderIdentity, type ReaderLimits, type StreamSink } from './sink.js';

export type StreamKind = 'live' | 'playback' | 'download';

export interface StreamDescriptor {
  /** unique on the node, e.g. `live/34020000001320000001/main` */
  readonly key: string;
  readonly channelId: string;
  readonly kind: StreamKind;
  /** `main` / `sub` for live, the session id for playback */
  readonly variant: string;
}

export interface ReaderStats {
  id: number;
  identity: ReaderIdentity;
  startedAt: number;
  frames: number;
  bytes: number;
  dropped: number;
}

export interface StreamStats {
  key: string;
  channelId: string;
  kind: StreamKind;
  variant: string;
  state: 'waiting' | 'live' | 'ended';
  startedAt: number;
  firstFrameAt?: number;
  lastFrameAt?: number;
  frames: number;
  bytes: number;
  bitrateKbps: number;
  fps: number;
  /** video frames from one keyframe to the next, the last complete GOP (R12); 0 until two keyframes were seen */
  gop: number;
  readers: number;
  params: TrackParams;
  droppedByReaders: number;
}

class Reader {
  frames = 0;
  bytes = 0;
  dropped = 0;
  waitKey = true;
  closed = false;
  readonly startedAt: number;
  constructor(
    readonly id: number,
    readonly sink: StreamSink,
    readonly identity: ReaderIdentity,
    readonly limits: ReaderLimits,
    now: number,
  ) {
    this.startedAt = now;
  }
}

export interface StreamEvents {
  frame: [Frame];
  params: [TrackParams];
  readers: [number];
  ended: [string];
  'reader.open': [ReaderStats];
  'reader.close': [ReaderStats, ReaderCloseReason];
}

/**
 * One source, many readers (ARCHITECTURE.md "One hub"). The source pushes frames; each reader gets them in order
 * from its first keyframe on. A source can be replaced (re-INVITE after a stall) while readers stay attached.
 */
export class Stream extends EventEmitter<StreamEvents> {
  private readonly readers = new Map<number, Reader>();
  private nextReaderId = 1;
  private readonly gop = new GopCache();
  private readonly tracker = new ParamsTracker();
  private readonly bitrate = new RateMeter();
  private readonly framerate = new RateMeter();
  /** video frames since the last keyframe (-1: none seen yet) and the last complete GOP's length */
  private framesSinceKey = -1;
  private lastGop = 0;
  private state: StreamStats['state'] = 'waiting';
  private frames = 0;
  private bytes = 0;
  private droppedByReaders = 0;
  readonly startedAt: number;
  firstFrameAt?: number;
  lastFrameAt?: number;
  /** when the current source was (re)started; stall detection counts from here or the last frame */
  sourceSince: number;
  private firstFrameWaiters: Array<() => void> = [];
  private offset = 0;
  private rebaseNext = false;
  private lastVideoDts?: number;
  private lastAudioDts?: number;
  private videoStep = 3600;

  constructor(
    readonly desc: StreamDescriptor,
    private readonly now: () => number = Date.now,
  ) {
    super();
    this.setMaxListeners(0);
    this.startedAt = now();
    this.sourceSince = this.startedAt;
  }

  /** A new source feeds this stream (re-INVITE): stall detection starts over, timestamps continue. */
  sourceRestarted(): void {
    this.sourceSince = this.now();
    this.rebaseNext = this.lastVideoDts !== undefined || this.lastAudioDts !== undefined;
  }

  get key(): string {
    return this.desc.key;
  }

  get params(): TrackParams {
    return this.tracker.params;
  }

  get readerCount(): number {
    return this.readers.size;
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  /**
   * Readers must see timestamps that only grow, across a re-INVITE (the new source starts its clock anywhere) and a
   * camera that resets its clock: a jump back, or forward by more than 10 s, is re-based to continue one frame
   * interval after the last frame.
   */
  private rebase(frame: Frame): Frame {
    const video = frame.track === 'video';
    const last = video ? this.lastVideoDts : this.lastAudioDts;
    let dts = frame.dts + this.offset;
    if (this.rebaseNext || (last !== undefined && (dts < last - 45_000 || dts > last + 900_000))) {
      // continue after the later of the two tracks, so neither goes back whichever arrives first
      const latest = Math.max(this.lastVideoDts ?? -Infinity, this.lastAudioDts ?? -Infinity);
      if (Number.isFinite(latest)) {
        this.offset = latest + (video ? this.videoStep : 1800) - frame.dts;
        dts = frame.dts + this.offset;
      }
    }
    this.rebaseNext = false;
    if (last !== undefined && dts <= last) dts = last + 1; // small jitter backwards: keep decode order strictly growing
    if (video) {
      if (this.lastVideoDts !== undefined && dts - this.lastVideoDts > 1 && dts - this.lastVideoDts < 45_000) this.videoStep = dts - this.lastVideoDts;
      this.lastVideoDts = dts;
    } else this.lastAudioDts = dts;
    if (dts === frame.dts) return frame;
    return { ...frame, dts, pts: frame.pts + (dts - frame.dts) } as Frame;
  }

  /** Source side: one access unit. */
  push(input: Frame): void {
    if (this.state === 'ended') return;
    const frame = this.rebase(input);
    const t = this.now();
    const size = frameBytes(frame);
    this.frames++;
    this.bytes += size;
    this.lastFrameAt = t;
    this.bitrate.add(t, size * 8);
    if (frame.track === 'video') {
      this.framerate.add(t, 1);
      if (frame.key) {
        if (this.framesSinceKey > 0) this.lastGop = this.framesSinceKey;
        this.framesSinceKey = 1;
      } else if (this.framesSinceKey >= 0) this.framesSinceKey++;
    }
    const changed = this.tracker.observe(frame);
    if (changed) {
      this.gop.clear();
      for (const r of this.readers.values()) this.startReader(r);
      this.emit('params', this.tracker.params);
    }
    if (!this.tracker.ready) return; // nothing decodable yet (no parameter sets seen)
    if (this.state === 'waiting') {
      this.state = 'live';
      this.firstFrameAt = t;
      for (const w of this.firstFrameWaiters.splice(0)) w();
    }
    this.gop.add(frame, size);
    for (const r of this.readers.values()) this.deliver(r, frame, size);
    if (this.listenerCount('frame')) this.emit('frame', frame);
  }

  private deliver(r: Reader, frame: Frame, size: number): void {
    if (r.closed) return;
    if (r.waitKey) {
      if (frame.track !== 'video' || !frame.key) {
        if (this.tracker.params.video) {
          // skip until a keyframe (audio too, so tracks stay in step); frames skipped after falling behind count as dropped
          if (r.frames > 0 && frame.track === 'video') {
            r.dropped++;
            this.droppedByReaders++;
          }
          return;
        }
      }
      r.waitKey = false;
    }
    const backlog = r.sink.backlog();
    if (backlog > r.limits.hardBytes) {
      this.closeReader(r, 'slow');
      return;
    }
    if (backlog > r.limits.softBytes && frame.track === 'video' && this.tracker.params.video) {
      r.waitKey = true;
      r.dropped++;
      this.droppedByReaders++;
      return;
    }
    r.frames++;
    r.bytes += size;
    r.sink.write(frame);
  }

  private startReader(r: Reader): void {
    r.sink.start(this.tracker.params);
    r.waitKey = true;
  }

  /** Attaches a reader; it gets the codec parameters and the GOP cache at once when the stream is live. */
  attach(sink: StreamSink, identity: ReaderIdentity, limits: ReaderLimits = DEFAULT_READER_LIMITS): { id: number; detach: () => void } {
    if (this.state === 'ended') throw new Error('stream ended');
    const r = new Reader(this.nextReaderId++, sink, identity, limits, this.now());
    this.readers.set(r.id, r);
    if (this.tracker.ready) {
      this.startReader(r);
      for (const f of this.gop.snapshot()) this.deliver(r, f, frameBytes(f));
    }
    this.emit('reader.open', this.readerStats(r));
    this.emit('readers', this.readers.size);
    return { id: r.id, detach: () => this.detach(r.id, 'client-gone') };
  }

  detach(id: number, reason: ReaderCloseReason): void {
    const r = this.readers.get(id);
    if (!r) return;
    this.readers.delete(id);
    r.closed = true;
    this.emit('reader.close', this.readerStats(r), reason);
    this.emit('readers', this.readers.size);
  }

  private closeReader(r: Reader, reason: ReaderCloseReason): void {
    this.detach(r.id, reason);
    try {
      r.sink.close(reason);
    } catch {
      /* a failing sink must not stop the others */
    }
  }

  /** Closes readers matching a predicate (revoked sessions); returns how many. */
  closeReaders(match: (id: ReaderIdentity) => boolean, reason: ReaderCloseReason): number {
    let n = 0;
    for (const r of [...this.readers.values()]) {
      if (match(r.identity)) {
        this.closeReader(r, reason);
        n++;
      }
    }
    return n;
  }

  /** Resolves when the first decodable frame has arrived. */
  whenLive(): Promise<void> {
    if (this.state === 'live') return Promise.resolve();
    if (this.state === 'ended') return Promise.reject(new Error('stream ended'));
    return new Promise((resolve) => this.firstFrameWaiters.push(resolve));
  }

  end(reason: string): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    for (const r of [...this.readers.values()]) this.closeReader(r, 'stream-ended');
    this.gop.clear();
    this.firstFrameWaiters = [];
    this.emit('ended', reason);
  }

  private readerStats(r: Reader): ReaderStats {
    return { id: r.id, identity: r.identity, startedAt: r.startedAt, frames: r.frames, bytes: r.bytes, dropped: r.dropped };
  }

  listReaders(): ReaderStats[] {
    return [...this.readers.values()].map((r) => this.readerStats(r));
  }

  stats(): StreamStats {
    const t = this.now();
    return {
      key: this.desc.key,
      channelId: this.desc.channelId,
      kind: this.desc.kind,
      variant: this.desc.variant,
      state: this.state,
      startedAt: this.startedAt,
      firstFrameAt: this.firstFrameAt,
      lastFrameAt: this.lastFrameAt,
      frames: this.frames,
      bytes: this.bytes,
      bitrateKbps: Math.round(this.bitrate.rate(t) / 1000),
      fps: Math.round(this.framerate.rate(t) * 10) / 10,
      readers: this.readers.size,
      params: this.tracker.params,
      droppedByReaders: this.droppedByReaders,
      gop: this.lastGop,
    };
  }
}

import type { Frame, TrackParams, VideoFrame } from '../../lib/av/frame.js';
import type { ReaderCloseReason, ReaderIdentity, Stream, StreamSink } from '../../stream/index.js';
import { NoVideoError } from './errors.js';

/** What a decoder needs for the newest picture: the last key frame and the video frames after it. */
export interface PictureFrames {
  frames: VideoFrame[];
  params: TrackParams;
  /** when the newest of these frames reached the server */
  at: Date;
}

export const SNAPSHOT_IDENTITY: ReaderIdentity = { protocol: 'snapshot' };

/**
 * A short-lived reader that keeps the video frames since the last key frame (the hub hands a new reader its GOP
 * cache at once, then live frames). Bounded: beyond maxFrames after a key frame the newer frames are not kept, so a
 * snapshot then shows the picture maxFrames after the key frame until the next key frame (decode cost stays bounded
 * for cameras with very long GOPs).
 */
export class PictureCollector implements StreamSink {
  private frames: VideoFrame[] = [];
  private params: TrackParams = {};
  private at = 0;
  private closedWith?: ReaderCloseReason;
  private attachment?: { detach: () => void };
  private waiters: Array<() => void> = [];
  /** frames arrived since attach (any track) */
  received = 0;

  constructor(
    private readonly stream: Stream,
    private readonly maxFrames = 125,
    private readonly identity: ReaderIdentity = SNAPSHOT_IDENTITY,
  ) {}

  /** Attaches to the stream (throws when it has ended); the GOP cache arrives during this call. */
  attach(): this {
    this.attachment = this.stream.attach(this, this.identity, { softBytes: Number.MAX_SAFE_INTEGER, hardBytes: Number.MAX_SAFE_INTEGER });
    return this;
  }

  detach(): void {
    this.attachment?.detach();
    this.attachment = undefined;
    this.wake();
  }

  get closed(): ReaderCloseReason | undefined {
    return this.closedWith;
  }

  /** the frames for the newest picture, or undefined before the first key frame */
  current(): PictureFrames | undefined {
    if (this.frames.length === 0) return undefined;
    return { frames: [...this.frames], params: this.params, at: new Date(this.at) };
  }

  /** Resolves with the frames once there is a key frame; rejects with NoVideoError after timeoutMs or when the stream closes. */
  wait(timeoutMs: number): Promise<PictureFrames> {
    const now = this.current();
    if (now) return Promise.resolve(now);
    return new Promise<PictureFrames>((resolve, reject) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        const cur = this.current();
        if (!cur && !this.closedWith && this.attachment && !timedOut) return; // keep waiting
        done = true;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== finish);
        if (cur) resolve(cur);
        else if (this.closedWith) reject(new NoVideoError(`stream ${this.stream.key} closed (${this.closedWith}) before a video picture`));
        else reject(new NoVideoError(`no video picture on stream ${this.stream.key} within ${timeoutMs} ms`));
      };
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        finish();
      }, timeoutMs);
      this.waiters.push(finish);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  // ---- StreamSink ----

  start(params: TrackParams): void {
    // (re)start: new codec parameters; the hub resumes at the next key frame
    this.params = params;
    this.frames = [];
  }

  write(f: Frame): void {
    this.received++;
    if (f.track !== 'video') return;
    if (f.key) this.frames = [];
    else if (this.frames.length === 0) return;
    if (this.frames.length >= this.maxFrames) return;
    this.frames.push(f);
    this.at = Date.now();
    this.wake();
  }

  backlog(): number {
    return 0;
  }

  close(reason: ReaderCloseReason): void {
    this.closedWith = reason;
    this.attachment = undefined;
    this.wake();
  }
}

import { EventEmitter } from 'node:events';
import { CLOCK_HZ, type Frame, type TrackParams } from '../../lib/av/frame.js';
import { carriedVideo, fmp4Tracks, initSegment, mediaSegment } from '../../lib/fmp4/index.js';
import type { ReaderCloseReason, StreamSink } from '../../stream/index.js';
import type { Logger } from '../../core/logger.js';
import { SegmentWriter } from './segment-writer.js';

/** What the recorder reports about its files; the control side keeps the index from these. */
export interface SegmentEvent {
  phase: 'open' | 'progress' | 'close';
  channelId: string;
  path: string;
  startMs: number;
  endMs: number;
  size: number;
  codec: string;
  checksum?: string;
}

export interface RecorderErrorEvent {
  channelId: string;
  code: 'STORAGE_FULL' | 'RECORD_UNSUPPORTED_CODEC' | 'WRITE_FAILED';
  message: string;
}

export interface RecorderOptions {
  channelId: string;
  /** where the next segment goes (the media node picks the storage root with the most room) */
  pathFor: (channelId: string, startMs: number) => Promise<string>;
  /** target segment length; a segment is cut at the first keyframe after it */
  segmentMs: number;
  /** a fragment is flushed at every keyframe and at least this often, so a crash loses at most this much */
  fragmentMs?: number;
  /** no frame for this long (wall clock) closes the segment: the hole is a gap in the index */
  gapMs?: number;
  /** keep this much (whole GOPs) in memory without writing: alarm recording's pre-record time */
  preBufferMs?: number;
  /** write from the start (true) or only while triggered (alarm plans) */
  writing?: boolean;
  /** progress events at most this often (index end time of the open segment) */
  progressMs?: number;
  now?: () => number;
  log: Logger;
}

export interface RecorderEvents {
  segment: [SegmentEvent];
  error: [RecorderErrorEvent];
}

interface Held {
  frame: Frame;
  at: number;
}

interface OpenSegment {
  writer: SegmentWriter;
  startMs: number;
  firstDts: number;
  lastDts: number;
  lastDuration: number;
  seq: number;
  codec: string;
  progressAt: number;
}

/**
 * Records one stream into fragmented-MP4 segment files, in process, as a hub reader (no ffmpeg per channel). Segments
 * start at a keyframe and are cut at the configured length, on a codec change (new SPS), and when frames stop (gap).
 * Wall-clock time of a sample = segment start + (dts − first dts) / 90 — the file name and the index carry the start.
 */
export class Recorder extends EventEmitter<RecorderEvents> implements StreamSink {
  private params: TrackParams = {};
  private seg?: OpenSegment;
  private opening?: Promise<void>;
  private pending: Frame[] = [];
  private pendingSince?: number;
  private lastArrival?: number;
  private readonly held: Held[] = [];
  private writing: boolean;
  private writeUntil = Number.POSITIVE_INFINITY;
  private stopped = false;
  private failed = false;
  private readonly now: () => number;
  private readonly fragmentMs: number;
  private readonly gapMs: number;
  private readonly progressMs: number;
  /** frames that arrive while a segment file is being opened */
  private waiting: Frame[] = [];

  constructor(private readonly o: RecorderOptions) {
    super();
    this.now = o.now ?? Date.now;
    this.fragmentMs = o.fragmentMs ?? 1000;
    this.gapMs = o.gapMs ?? 5000;
    this.progressMs = o.progressMs ?? 5000;
    this.writing = o.writing ?? true;
  }

  get recording(): boolean {
    return this.seg !== undefined;
  }

  // StreamSink ------------------------------------------------------------------------------------------------------

  start(params: TrackParams): void {
    const before = this.params.video;
    this.params = params;
    if (this.failed) return;
    const v = params.video;
    if (v && !carriedVideo(params)) {
      this.fail('RECORD_UNSUPPORTED_CODEC', `${v.codec} video cannot be recorded into MP4 (H.264/H.265 only)`);
      return;
    }
    // a new SPS (resolution, codec) needs a new init segment: cut here
    if (before && v && (before.codec !== v.codec || before.width !== v.width || before.height !== v.height || !sameBuf(before.sps, v.sps))) void this.cut();
  }

  write(frame: Frame): void {
    if (this.stopped || this.failed) return;
    const at = this.now();
    if (this.lastArrival !== undefined && at - this.lastArrival > this.gapMs && this.seg) void this.cut();
    this.lastArrival = at;
    if (!this.writing) {
      this.hold(frame, at);
      return;
    }
    if (this.writeUntil <= at) {
      // alarm post-record time is over: close and go back to holding
      this.writing = false;
      void this.cut();
      this.hold(frame, at);
      return;
    }
    this.take(frame, at);
  }

  backlog(): number {
    return this.seg?.writer.backlog ?? 0;
  }

  close(reason: ReaderCloseReason): void {
    void this.stop(reason);
  }

  // control ---------------------------------------------------------------------------------------------------------

  /** Alarm recording: write from the held pre-record frames on, until `untilMs` (extended by later triggers). */
  trigger(untilMs: number): void {
    this.writeUntil = Math.max(this.writing && Number.isFinite(this.writeUntil) ? this.writeUntil : 0, untilMs);
    if (this.writing) return;
    this.writing = true;
    const held = this.held.splice(0);
    for (const h of held) this.take(h.frame, h.at);
  }

  /** Record continuously from now on (plan switched to always/schedule). */
  writeAlways(): void {
    this.writeUntil = Number.POSITIVE_INFINITY;
    if (!this.writing) this.trigger(Number.POSITIVE_INFINITY);
  }

  async stop(reason = 'stopped'): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.o.log.debug({ channel: this.o.channelId, reason }, 'recorder stopping');
    await this.cut();
  }

  // internals -------------------------------------------------------------------------------------------------------

  /** Pre-record buffer: whole GOPs covering at least preBufferMs. */
  private hold(frame: Frame, at: number): void {
    const pre = this.o.preBufferMs ?? 0;
    if (pre <= 0) return;
    if (this.held.length === 0 && !(frame.track === 'video' && frame.key)) return;
    this.held.push({ frame, at });
    // drop leading GOPs while the rest still covers the pre-record time
    for (;;) {
      const nextKey = this.held.findIndex((h, i) => i > 0 && h.frame.track === 'video' && h.frame.key);
      if (nextKey < 0 || at - this.held[nextKey].at < pre) break;
      this.held.splice(0, nextKey);
    }
  }

  private take(frame: Frame, at: number): void {
    if (this.opening) {
      this.waiting.push(frame);
      return;
    }
    const video = frame.track === 'video';
    if (!this.seg) {
      if (!video || !frame.key || !carriedVideo(this.params)) return; // a segment starts at a keyframe
      this.open(frame, at);
      return;
    }
    if (video && frame.key) {
      this.flush(frame.dts);
      if (this.durationMs(frame.dts) >= this.o.segmentMs) {
        void this.cut(); // detaches the segment at once; its file closes in the background
        this.open(frame, at);
        return;
      }
    }
    this.pending.push(frame);
    this.pendingSince ??= at;
    if (at - this.pendingSince >= this.fragmentMs) this.flush();
  }

  private durationMs(dts: number): number {
    return this.seg ? (dts - this.seg.firstDts) / (CLOCK_HZ / 1000) : 0;
  }

  private open(first: Frame, at: number): void {
    const params = this.params;
    const codec = params.video?.codec ?? 'unknown';
    this.opening = (async () => {
      try {
        const file = await this.o.pathFor(this.o.channelId, at);
        const writer = await SegmentWriter.create(file, initSegment(params));
        this.seg = { writer, startMs: at, firstDts: first.dts, lastDts: first.dts, lastDuration: 0, seq: 1, codec, progressAt: at };
        this.emit('segment', { phase: 'open', channelId: this.o.channelId, path: file, startMs: at, endMs: at, size: writer.size, codec });
      } catch (e) {
        this.writeFailed(e as NodeJS.ErrnoException);
      }
    })().finally(() => {
      this.opening = undefined;
    });
    void this.opening.then(() => {
      const queued = [first, ...this.waiting.splice(0)];
      if (!this.seg) return;
      for (const f of queued) {
        this.pending.push(f);
        this.pendingSince ??= this.now();
      }
    });
  }

  /** Appends the pending frames as one fragment. */
  private flush(nextVideoDts?: number): void {
    const seg = this.seg;
    if (!seg || this.pending.length === 0) return;
    const frames = this.pending;
    this.pending = [];
    this.pendingSince = undefined;
    const tracks = fmp4Tracks(this.params);
    if (!tracks.length) return;
    let buf: Buffer;
    try {
      buf = mediaSegment(frames, seg.seq++, this.params, { origin: seg.firstDts, nextVideoDts });
    } catch (e) {
      this.o.log.warn({ channel: this.o.channelId, err: (e as Error).message }, 'fragment not muxed');
      return;
    }
    for (const f of frames) {
      if (f.track !== 'video') continue;
      if (f.dts > seg.lastDts) seg.lastDuration = f.dts - seg.lastDts;
      seg.lastDts = Math.max(seg.lastDts, f.dts);
    }
    if (nextVideoDts !== undefined) seg.lastDuration = nextVideoDts - seg.lastDts;
    seg.writer.append(buf);
    const at = this.now();
    if (at - seg.progressAt >= this.progressMs) {
      seg.progressAt = at;
      void seg.writer.flushed().then(() => {
        if (seg.writer.error) return this.writeFailed(seg.writer.error);
        if (this.seg === seg) this.emit('segment', { phase: 'progress', channelId: this.o.channelId, path: seg.writer.file, startMs: seg.startMs, endMs: this.endOf(seg), size: seg.writer.size, codec: seg.codec });
      });
    }
  }

  private endOf(seg: OpenSegment): number {
    return Math.round(seg.startMs + (seg.lastDts - seg.firstDts + (seg.lastDuration || 3600)) / (CLOCK_HZ / 1000));
  }

  /** Closes the open segment (flushing what is pending). The next keyframe opens a new one. */
  private async cut(): Promise<void> {
    if (this.opening) await this.opening;
    const seg = this.seg;
    if (!seg) return;
    this.flush();
    this.seg = undefined;
    const r = await seg.writer.close();
    this.emit('segment', { phase: 'close', channelId: this.o.channelId, path: seg.writer.file, startMs: seg.startMs, endMs: this.endOf(seg), size: r.size, codec: seg.codec, checksum: r.checksum });
    if (r.error) this.writeFailed(r.error);
  }

  private writeFailed(e: NodeJS.ErrnoException): void {
    if (this.failed) return;
    if (e.code === 'ENOSPC' || e.code === 'EDQUOT') this.fail('STORAGE_FULL', `recording storage is full (${e.code}): recording of ${this.o.channelId} stopped (录像存储空间已满)`);
    else this.fail('WRITE_FAILED', `recording write failed: ${e.code ?? ''} ${e.message}`);
  }

  private fail(code: RecorderErrorEvent['code'], message: string): void {
    if (this.failed) return;
    this.failed = true;
    this.o.log.warn({ channel: this.o.channelId, code }, message);
    this.emit('error', { channelId: this.o.channelId, code, message });
    void this.cut();
  }
}

function sameBuf(a?: Buffer, b?: Buffer): boolean {
  return a === b || (!!a && !!b && a.equals(b));
}

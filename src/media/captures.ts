import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Frame, TrackParams } from '../lib/av/frame.js';
import type { Hub, ReaderCloseReason, StreamSink } from '../stream/index.js';
import { planDownload, writeDownload } from './record/mp4-download.js';
import { Recorder, type SegmentEvent } from './record/recorder.js';
import type { SegmentFile } from './record/types.js';

export interface CaptureStart {
  /** the stream to capture (a `download/<channel>/<job>` stream fed by a device) */
  key: string;
  channelId: string;
  /** recording time of the first frame (the requested range start), Unix ms: the file's timeline starts here */
  startMs: number;
}

export interface CaptureState {
  /** content received: the device's own timestamps summed over continuous steps, ms */
  contentMs: number;
  frames: number;
  videoFrames: number;
  bytes: number;
  /** wall clock of the last frame, Unix ms */
  lastFrameAt?: number;
  codec?: string;
  width?: number;
  height?: number;
}

export interface CaptureResult {
  /** the finished MP4 on this node (progressive: moov first) */
  path: string;
  size: number;
  durationMs: number;
  video?: { codec: string; samples: number; width: number; height: number };
}

/** a jump of the device's clock above this counts as a discontinuity (one frame), not content */
const MAX_STEP_MS = 5000;

/** Hub reader feeding a Recorder whose clock is the content clock (requested start + content received). */
class CaptureSink implements StreamSink {
  readonly recorder: Recorder;
  contentMs = 0;
  frames = 0;
  videoFrames = 0;
  bytes = 0;
  lastFrameAt?: number;
  params: TrackParams = {};
  private lastDts?: number;
  private stepMs = 40;
  readonly segments: SegmentFile[] = [];

  constructor(
    readonly req: CaptureStart,
    dir: string,
    log: Logger,
  ) {
    let n = 0;
    const base = req.key.replace(/[^\w-]+/g, '_');
    this.recorder = new Recorder({
      channelId: req.channelId,
      pathFor: async () => path.join(dir, `${base}.${++n}.part.mp4`),
      // one file for the whole download; a fragment per keyframe or second of content
      segmentMs: 48 * 3600_000,
      fragmentMs: 1000,
      // the recorder's clock is content time: a pause in delivery (re-INVITE) is not a hole in the recording
      gapMs: 3600_000,
      progressMs: 1000,
      now: () => req.startMs + this.contentMs,
      log,
    });
    this.recorder.on('segment', (e: SegmentEvent) => {
      if (e.phase === 'close') this.segments.push({ id: this.segments.length + 1, channelId: e.channelId, startMs: e.startMs, endMs: e.endMs, path: e.path, size: e.size });
    });
  }

  start(params: TrackParams): void {
    this.params = params;
    this.recorder.start(params);
  }

  write(frame: Frame): void {
    this.frames++;
    this.lastFrameAt = Date.now();
    for (const u of frame.units) this.bytes += u.length;
    if (frame.track === 'video') {
      this.videoFrames++;
      if (this.lastDts !== undefined) {
        const step = (frame.dts - this.lastDts) / 90;
        if (step > 0 && step <= MAX_STEP_MS) {
          this.contentMs += step;
          if (step < 1000) this.stepMs = step;
        } else this.contentMs += this.stepMs;
      }
      this.lastDts = frame.dts;
    }
    this.recorder.write(frame);
  }

  backlog(): number {
    return this.recorder.backlog();
  }

  close(_reason: ReaderCloseReason): void {
    /* the owner finishes or drops the capture */
  }
}

/**
 * Device downloads on the media node (GB/T 28181 `s=Download`, issue 8): the received stream is recorded by the
 * platform's own Recorder into a fragmented-MP4 part file, on a content clock (the device sends faster than real time
 * at `downloadspeed`), and on finish re-indexed into one progressive MP4 by the download planner — the same bytes path
 * as platform downloads, so the file is standard and starts with its moov.
 */
export class Captures {
  private readonly running = new Map<string, { sink: CaptureSink; detach: () => void }>();

  constructor(
    private readonly hub: Hub,
    private readonly dir: string,
    private readonly log: Logger,
  ) {}

  /** Removes part files left by a crash (the jobs that owned them are gone with the process). */
  async sweep(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    await Promise.all(names.filter((n) => n.endsWith('.part.mp4')).map((n) => unlink(path.join(this.dir, n)).catch(() => undefined)));
  }

  async start(req: CaptureStart): Promise<void> {
    if (this.running.has(req.key)) throw new AppError('CONFLICT', `capture of ${req.key} already running`);
    const stream = this.hub.get(req.key);
    if (!stream || stream.ended) throw new AppError('STREAM_NOT_FOUND', `no stream ${req.key} to capture`);
    await mkdir(this.dir, { recursive: true });
    const sink = new CaptureSink(req, this.dir, this.log);
    // generous limits: the recorder's backlog is the disk queue, and a download arrives faster than real time
    const { detach } = stream.attach(sink, { protocol: 'record' }, { softBytes: 32 * 2 ** 20, hardBytes: 256 * 2 ** 20 });
    this.running.set(req.key, { sink, detach });
  }

  state(key: string): CaptureState | undefined {
    const r = this.running.get(key);
    if (!r) return undefined;
    const s = r.sink;
    const v = s.params.video;
    return { contentMs: Math.round(s.contentMs), frames: s.frames, videoFrames: s.videoFrames, bytes: s.bytes, lastFrameAt: s.lastFrameAt, codec: v?.codec, width: v?.width, height: v?.height };
  }

  /** Closes the part file and writes the MP4 to `file` (under the capture directory); the part file is removed. */
  async finish(key: string, name: string): Promise<CaptureResult> {
    const r = this.running.get(key);
    if (!r) throw new AppError('STREAM_NOT_FOUND', `no capture of ${key}`);
    this.running.delete(key);
    r.detach();
    await r.sink.recorder.stop('download finished');
    const segs = r.sink.segments.filter((s) => s.size > 0 && s.endMs > s.startMs);
    try {
      if (!segs.length) throw new AppError('NO_RECORDINGS', 'the device sent no decodable video (设备未发送可用视频)');
      const startMs = Math.min(...segs.map((s) => s.startMs));
      const endMs = Math.max(...segs.map((s) => s.endMs));
      const plan = await planDownload(segs, startMs, endMs, { onBadSegment: (seg, err) => this.log.warn({ file: seg.path, err: err.message }, 'capture part unreadable') });
      if (!plan.size || !plan.video) throw new AppError('NO_RECORDINGS', 'the received video could not be indexed');
      const out = path.join(this.dir, path.basename(name));
      const ws = createWriteStream(out);
      try {
        await writeDownload(plan, ws, undefined, { end: true });
      } catch (e) {
        ws.destroy();
        await unlink(out).catch(() => undefined);
        throw e;
      }
      return { path: out, size: (await stat(out)).size, durationMs: plan.durationMs, video: plan.video };
    } finally {
      await Promise.all(r.sink.segments.map((s) => unlink(s.path).catch(() => undefined)));
    }
  }

  /** Abandons a capture and deletes its part files. */
  async drop(key: string): Promise<void> {
    const r = this.running.get(key);
    if (!r) return;
    this.running.delete(key);
    r.detach();
    await r.sink.recorder.stop('download dropped');
    await Promise.all(r.sink.segments.map((s) => unlink(s.path).catch(() => undefined)));
  }

  /** Deletes a finished file; only files in the capture directory. */
  async remove(file: string): Promise<void> {
    const abs = path.resolve(file);
    if (path.dirname(abs) !== path.resolve(this.dir)) throw new AppError('VALIDATION_FAILED', `${file} is not a download file`);
    await rm(abs, { force: true });
  }

  async close(): Promise<void> {
    for (const key of [...this.running.keys()]) await this.drop(key);
  }
}

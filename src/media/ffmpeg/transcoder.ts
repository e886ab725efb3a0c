import type { Logger } from '../../core/logger.js';
import { hasTool } from '../../core/tools.js';
import type { AudioFrame, Frame, TrackParams, VideoFrame, VideoParams } from '../../lib/av/frame.js';
import { isH264Keyframe } from '../../lib/h264/index.js';
import type { ReaderCloseReason, ReaderIdentity, Stream, StreamSink } from '../../stream/index.js';
import { ffmpegFormat, frameAnnexB, isAnnexBCodec, isVclUnit, type AnnexBCodec } from './annexb-input.js';
import { AccessUnitSplitter } from './au-splitter.js';
import { FfmpegError, FfmpegUnavailableError } from './errors.js';
import { FfmpegProcess } from './ffmpeg-process.js';
import type { FfmpegRunner } from './ffmpeg-runner.js';
import { NO_FEATURES, probeFeatures, type FfmpegFeatures } from './features.js';
import { pictureTag, takePictureTag } from './picture-tag.js';
import { TimestampQueue } from './timestamp-queue.js';

export { TranscodeLimiter } from './transcode-limiter.js';

export interface TranscoderOptions {
  /** the node's runner: its ffmpeg binary and features, and its close() kills this transcoder's process too */
  runner?: FfmpegRunner;
  /** the ffmpeg binary when there is no runner (default `ffmpeg`) */
  bin?: string;
  source: Stream;
  /** receives the H.264 rendition (with the source's timestamps) and, when `audio`, the source's audio */
  target: Stream;
  log: Logger;
  /** x264 preset (default veryfast) */
  preset?: string;
  /** scale down to at most this width (aspect kept, never up) */
  maxWidth?: number;
  /** constant-ish bitrate (maxrate = bitrate, 2 s buffer); default quality-based (CRF 23) */
  bitrateKbps?: number;
  /** pass the source's audio to the target, kept in step with the transcoded video (default true) */
  audio?: boolean;
  /** x264 threads (default 2: one rendition should not take every core) */
  threads?: number;
  /** decoder threads (default 1: each frame thread adds a frame of delay; 1 core decodes 1080p HEVC at >100 fps) */
  decodeThreads?: number;
  /** bytes queued for ffmpeg's stdin above which source frames are dropped up to the next key frame (default 4 MiB) */
  maxPendingBytes?: number;
  identity?: ReaderIdentity;
  /** the transcoder stopped by itself: the source stream ended, or ffmpeg kept failing */
  onStopped?(reason: string, err?: Error): void;
}

export interface TranscoderStats {
  running: boolean;
  pid?: number;
  framesIn: number;
  framesOut: number;
  /** source frames dropped because ffmpeg could not keep up */
  dropped: number;
  /** pictures ffmpeg did not output (damaged input) */
  lost: number;
  /** ffmpeg processes started */
  processes: number;
  /** pictures inside ffmpeg now */
  inFlight: number;
  /** bytes written to ffmpeg's stdin not yet read by it (bounded by maxPendingBytes + one frame) */
  pendingBytes: number;
}

const featureCache = new Map<string, { available: boolean; features: FfmpegFeatures }>();

function toolInfo(bin: string): { available: boolean; features: FfmpegFeatures } {
  let info = featureCache.get(bin);
  if (!info) {
    const available = hasTool(bin);
    info = { available, features: available ? probeFeatures(bin) : NO_FEATURES };
    featureCache.set(bin, info);
  }
  return info;
}

/** Pictures inside ffmpeg above which it is taken to be stuck and restarted (10 s at 25 fps). */
const MAX_IN_FLIGHT = 250;
const MAX_AUDIO_HELD = 500;
/** a process that produced nothing this many times in a row: give up */
const MAX_FAILED_STARTS = 3;

interface Session {
  proc: FfmpegProcess;
  codec: AnnexBCodec;
  params: VideoParams;
  splitter: AccessUnitSplitter;
  fed: TimestampQueue;
  seq: number;
  skipping: boolean;
  out: number;
}

/**
 * An H.264 rendition of a stream (H.265 cameras for browsers without HEVC), shared by all its viewers: attached to
 * the source as one reader, it pipes the video as Annex-B into
 *   ffmpeg -f hevc|h264 -i pipe:0 -fps_mode passthrough -c:v libx264 -preset veryfast -tune zerolatency -g <2 s> -bf 0 -f h264 pipe:1
 * and cuts stdout into access units that are pushed to `target` with the source pictures' timestamps: one picture
 * in, one out (passthrough, no B-frames), matched through a per-picture SEI tag when this ffmpeg can carry it, else
 * in order (timestamp-queue.ts). ffmpeg is started at a key frame, restarted when the codec parameters change or it
 * dies. When it cannot keep up (its stdin backs up), source frames are dropped up to the next key frame rather than
 * queued. The rendition lags its source by the transcode time plus one frame (an access unit is complete when the
 * next one starts).
 */
export class Transcoder {
  private readonly bin: string;
  private readonly available: boolean;
  private readonly features: FfmpegFeatures;
  private readonly log: Logger;
  private attachment?: { detach: () => void };
  private session?: Session;
  private params: TrackParams = {};
  private stopped = false;
  private retryAt = 0;
  private failedStarts = 0;
  private readonly exits = new Set<Promise<void>>();
  private audioHeld: AudioFrame[] = [];
  private lastOutPts?: number;
  private warnedCodec?: string;
  private lastDropWarn = 0;
  private readonly counters = { framesIn: 0, framesOut: 0, dropped: 0, lost: 0, processes: 0 };

  constructor(private readonly opts: TranscoderOptions) {
    this.bin = opts.runner?.bin ?? opts.bin ?? 'ffmpeg';
    const info = opts.runner ? { available: opts.runner.available, features: opts.runner.features } : toolInfo(this.bin);
    this.available = info.available;
    this.features = info.features;
    this.log = opts.log;
  }

  /** attached to the source and not given up */
  get running(): boolean {
    return !!this.attachment && !this.stopped;
  }

  stats(): TranscoderStats {
    return { running: this.running, pid: this.session?.proc.pid, ...this.counters, lost: this.counters.lost + (this.session?.fed.lost ?? 0), inFlight: this.session?.fed.length ?? 0, pendingBytes: this.session?.proc.stdinBacklog ?? 0 };
  }

  /**
   * Attaches to the source (ffmpeg starts at the first key frame, which the GOP cache gives at once on a live
   * stream). Throws FfmpegUnavailableError without ffmpeg or libx264.
   */
  start(): void {
    if (this.attachment) return;
    if (!this.available) throw new FfmpegUnavailableError(this.bin);
    if (!this.features.libx264) throw new FfmpegUnavailableError(this.bin, 'it has no libx264 encoder');
    this.stopped = false;
    this.failedStarts = 0;
    this.retryAt = 0;
    // a live source hands over its GOP cache inside attach(): ffmpeg starts right here
    const a = this.opts.source.attach(this.sink, this.opts.identity ?? { protocol: 'internal' }, { softBytes: Number.MAX_SAFE_INTEGER, hardBytes: Number.MAX_SAFE_INTEGER });
    if (this.stopped) a.detach(); // failed during the replay (fail() found no attachment to detach yet)
    else this.attachment = a;
  }

  /** Detaches from the source and ends ffmpeg; resolves when no ffmpeg process of this transcoder is left. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.attachment?.detach();
    this.attachment = undefined;
    this.endSession();
    this.audioHeld = [];
    while (this.exits.size) await Promise.all([...this.exits]);
  }

  // ---- the reader on the source (a StreamSink; its start() would clash with ours, hence the adapter) ----

  private readonly sink: StreamSink = {
    start: (p) => this.onParams(p),
    write: (f) => this.onFrame(f),
    backlog: () => 0, // the transcoder drops by itself (onFrame); the hub must not close it as slow
    close: (r) => this.onClose(r),
  };

  private onParams(params: TrackParams): void {
    const v = params.video;
    const cur = this.session?.params;
    this.params = params;
    if (this.session && (!v || !cur || v.codec !== cur.codec || v.width !== cur.width || v.height !== cur.height || !sameBuf(v.sps, cur.sps))) {
      this.log.info({ from: cur && `${cur.codec} ${cur.width}x${cur.height}`, to: v && `${v.codec} ${v.width}x${v.height}` }, 'source parameters changed: restarting the transcode');
      this.endSession();
    }
  }

  private onFrame(f: Frame): void {
    if (this.stopped) return;
    if (f.track === 'audio') {
      if (this.opts.audio === false) return;
      if (this.lastOutPts === undefined) return; // nothing to keep step with yet: the target starts with video
      this.audioHeld.push(f);
      if (this.audioHeld.length > MAX_AUDIO_HELD) this.audioHeld.shift();
      return;
    }
    this.counters.framesIn++;
    if (!isAnnexBCodec(f.codec)) {
      if (this.warnedCodec !== f.codec) this.log.warn({ codec: f.codec }, 'cannot transcode this video codec');
      this.warnedCodec = f.codec;
      return;
    }
    let s = this.session;
    if (!s) {
      if (!f.key || Date.now() < this.retryAt) return;
      s = this.startSession(f.codec);
      if (!s) return;
    }
    if (s.skipping) {
      if (!f.key || s.proc.stdinBacklog > this.maxPending() / 2) {
        this.counters.dropped++;
        return;
      }
      s.skipping = false;
    }
    if (s.proc.stdinBacklog > this.maxPending()) {
      const now = Date.now();
      if (now - this.lastDropWarn > 30_000) {
        this.lastDropWarn = now;
        this.log.warn({ backlog: s.proc.stdinBacklog, dropped: this.counters.dropped }, 'transcode slower than real time: dropping source frames up to the next key frame');
      }
      s.skipping = true;
      this.counters.dropped++;
      return;
    }
    if (s.fed.length > MAX_IN_FLIGHT) {
      this.log.warn({ inFlight: s.fed.length, stderr: s.proc.stderr.tail() }, 'ffmpeg takes pictures without giving any out: restarting it');
      this.endSession();
      return;
    }
    const seq = s.seq++;
    let tag: Buffer | undefined;
    if (this.features.uduSei) tag = pictureTag(s.codec, seq, f.units.find((u) => isVclUnit(s.codec, u)));
    s.fed.push({ seq, pts: f.pts, key: f.key });
    s.proc.write(frameAnnexB(f, s.params, tag));
  }

  private onClose(reason: ReaderCloseReason): void {
    this.attachment = undefined;
    if (this.stopped) return;
    this.stopped = true;
    this.endSession();
    this.opts.onStopped?.(`source closed (${reason})`);
  }

  // ---- ffmpeg ----

  private maxPending(): number {
    return this.opts.maxPendingBytes ?? 4 * 1024 * 1024;
  }

  private args(codec: AnnexBCodec, v: VideoParams): string[] {
    const fps = v.fps > 0 && v.fps <= 120 ? v.fps : 25;
    const gop = Math.max(1, Math.round(fps * 2));
    const o = this.opts;
    // input: no stream analysis beyond the first parameter sets (it would hold seconds of a live pipe), one
    // decoder thread (frame threads each add a frame of delay)
    const args = ['-probesize', '32', '-analyzeduration', '0', '-threads', String(o.decodeThreads ?? 1), '-f', ffmpegFormat(codec), '-framerate', String(fps), '-i', 'pipe:0', '-map', '0:v:0', '-an'];
    args.push(...(this.features.fpsMode ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough']));
    if (o.maxWidth && o.maxWidth > 0) args.push('-vf', `scale=w=min(iw\\,${Math.floor(o.maxWidth)}):h=-2`);
    args.push('-c:v', 'libx264', '-preset', o.preset ?? 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-profile:v', 'high');
    args.push('-g', String(gop), '-bf', '0', '-threads', String(o.threads ?? 2));
    if (o.bitrateKbps && o.bitrateKbps > 0) {
      const k = Math.floor(o.bitrateKbps);
      args.push('-b:v', `${k}k`, '-maxrate', `${k}k`, '-bufsize', `${2 * k}k`);
    } else args.push('-crf', '23');
    if (this.features.uduSei) args.push('-udu_sei', '1');
    args.push('-flush_packets', '1', '-f', 'h264', 'pipe:1');
    return args;
  }

  private startSession(codec: AnnexBCodec): Session | undefined {
    const v = this.params.video;
    if (!v || v.codec !== codec) return undefined;
    const args = this.args(codec, v);
    let proc: FfmpegProcess;
    try {
      proc = new FfmpegProcess(this.bin, args, this.opts.runner);
    } catch (e) {
      this.fail(e as Error);
      return undefined;
    }
    this.counters.processes++;
    const s: Session = { proc, codec, params: v, splitter: new AccessUnitSplitter('h264'), fed: new TimestampQueue(), seq: 0, skipping: false, out: 0 };
    this.session = s;
    this.log.info({ pid: proc.pid, from: `${codec} ${v.width}x${v.height}`, args: args.join(' ') }, 'transcode started');
    proc.child.stdout?.on('data', (b: Buffer) => {
      if (this.session !== s) return;
      for (const au of s.splitter.push(b)) this.output(s, au);
    });
    const exit = proc.exited.then(() => this.onExit(s));
    this.exits.add(exit);
    void exit.finally(() => this.exits.delete(exit));
    return s;
  }

  private output(s: Session, au: Buffer[]): void {
    const { seq, units } = takePictureTag(au);
    const fed = s.fed.take(seq);
    let pts: number;
    if (fed) pts = fed.pts;
    else {
      // an output picture with no input left to match (should not happen): continue one frame on
      const step = Math.round(90_000 / (s.params.fps > 0 ? s.params.fps : 25));
      pts = (this.lastOutPts ?? 0) + step;
    }
    s.out++;
    this.failedStarts = 0;
    this.counters.framesOut++;
    const frame: VideoFrame = { track: 'video', codec: 'h264', pts, dts: pts, key: isH264Keyframe(units), units };
    this.lastOutPts = pts;
    this.opts.target.push(frame);
    while (this.audioHeld.length && this.audioHeld[0].dts <= pts) this.opts.target.push(this.audioHeld.shift() as AudioFrame);
  }

  private onExit(s: Session): void {
    if (this.session === s) {
      // died by itself: what it finished is still good
      for (const au of s.splitter.flush()) this.output(s, au);
      this.session = undefined;
      this.counters.lost += s.fed.lost;
      if (this.stopped) return;
      const p = s.proc;
      const err = p.startError ?? new FfmpegError(`ffmpeg (transcode) exited with ${p.exitCode === null ? `signal ${p.exitSignal}` : `code ${p.exitCode}`} after ${s.out} pictures`, p.exitCode, p.stderr.tail());
      if (s.out === 0) this.failedStarts++;
      if (p.startError || this.failedStarts >= MAX_FAILED_STARTS) {
        this.fail(err);
        return;
      }
      this.retryAt = Date.now() + 1000 * 2 ** Math.max(0, this.failedStarts - 1);
      this.log.warn({ err: err.message, retryInMs: this.retryAt - Date.now() }, 'transcode ffmpeg exited: restarting at a key frame');
    }
  }

  private endSession(): void {
    const s = this.session;
    if (!s) return;
    this.session = undefined;
    this.counters.lost += s.fed.lost;
    void s.proc.kill();
  }

  private fail(err: Error): void {
    this.log.error({ err: err.message }, 'transcode failed: stopping it');
    this.stopped = true;
    this.attachment?.detach();
    this.attachment = undefined;
    this.endSession();
    this.opts.onStopped?.('ffmpeg failed', err);
  }
}

function sameBuf(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === b || (!!a && !!b && a.equals(b));
}

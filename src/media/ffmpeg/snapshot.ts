import type { Frame, TrackParams, VideoFrame } from '../../lib/av/frame.js';
import type { ReaderIdentity, Stream } from '../../stream/index.js';
import { ffmpegFormat, framesAnnexB, isAnnexBCodec } from './annexb-input.js';
import { FfmpegUnavailableError, NoVideoError } from './errors.js';
import type { FfmpegRunner } from './ffmpeg-runner.js';
import { PictureCollector, SNAPSHOT_IDENTITY } from './picture-collector.js';

export { zipJpegs, type ZipEntry } from './zip.js';

export interface SnapshotOptions {
  /** scale down (keeping the aspect ratio) to at most this width; never up */
  maxWidth?: number;
  /** JPEG qscale 2 (best) … 31 (smallest); default 3 */
  quality?: number;
  /** which picture, counted from the key frame (0 = the key frame); default the last frame given (the newest picture) */
  frameIndex?: number;
  /** filters drawn over the picture before scaling, for its height (the watermark's drawtext, issue 8) */
  overlay?: (height: number) => string;
}

/** More frames after a key frame are not decoded for a snapshot (bounds the CPU per snapshot: 5 s at 25 fps). */
export const SNAPSHOT_MAX_FRAMES = 125;

const SOI = 0xffd8;
const EOI = 0xffd9;

export function isJpeg(b: Buffer): boolean {
  return b.length > 4 && b.readUInt16BE(0) === SOI && b.readUInt16BE(b.length - 2) === EOI;
}

/**
 * A JPEG of one picture: the frames from a key frame on (e.g. the GOP cache) are decoded by ffmpeg up to the wanted
 * picture, which is encoded as JPEG. Runs in the runner's pool (limited, killed on timeout). When the decoder yields
 * fewer pictures than frames given (a damaged frame), the key frame's picture is taken instead.
 */
export async function snapshotJpeg(runner: FfmpegRunner, frames: readonly Frame[], params: TrackParams, opts: SnapshotOptions = {}): Promise<Buffer> {
  const codec = params.video?.codec;
  if (!isAnnexBCodec(codec)) throw new NoVideoError(`snapshot: no H.264/H.265 video to decode (video codec: ${codec ?? 'none'})`);
  const video = frames.filter((f): f is VideoFrame => f.track === 'video' && f.codec === codec);
  const k = video.findIndex((f) => f.key);
  if (k < 0) throw new NoVideoError('snapshot: no key frame among the frames given');
  const list = video.slice(k, k + SNAPSHOT_MAX_FRAMES);
  const wanted = Math.min(Math.max(0, Math.floor(opts.frameIndex ?? list.length - 1)), list.length - 1);
  const jpeg = await decodeOne(runner, codec, list.slice(0, wanted + 1), params, opts);
  if (jpeg) return jpeg;
  if (wanted > 0) {
    const key = await decodeOne(runner, codec, list.slice(0, 1), params, opts);
    if (key) return key;
  }
  throw new NoVideoError('snapshot: ffmpeg decoded no picture from the frames');
}

async function decodeOne(runner: FfmpegRunner, codec: 'h264' | 'h265', frames: VideoFrame[], params: TrackParams, opts: SnapshotOptions): Promise<Buffer | undefined> {
  const filters: string[] = [];
  // the input holds exactly the frames up to the wanted one: keep the last picture decoded
  if (frames.length > 1) filters.push(`select=eq(n\\,${frames.length - 1})`);
  if (opts.overlay) filters.push(opts.overlay(params.video?.height ?? 0));
  if (opts.maxWidth && opts.maxWidth > 0) filters.push(`scale=w=min(iw\\,${Math.floor(opts.maxWidth)}):h=-2`);
  const q = Math.min(31, Math.max(2, Math.round(opts.quality ?? 3)));
  const args = ['-f', ffmpegFormat(codec), '-i', 'pipe:0', '-an', ...(filters.length ? ['-vf', filters.join(',')] : []), '-frames:v', '1', '-c:v', 'mjpeg', '-q:v', String(q), '-f', 'image2pipe', 'pipe:1'];
  const out = await runner.run(args, framesAnnexB(frames, params.video));
  return isJpeg(out) ? out : undefined;
}

/**
 * Attaches a short-lived reader and resolves with the frames for the newest picture: the GOP cache (key frame and
 * what followed, at most SNAPSHOT_MAX_FRAMES) at once when the stream is live, else the first key frame to arrive.
 * Rejects with NoVideoError when no video comes within timeoutMs or the stream ends. The reader is detached either way.
 */
export async function takeSnapshotFrames(stream: Stream, timeoutMs: number, identity: ReaderIdentity = SNAPSHOT_IDENTITY): Promise<Frame[]> {
  return (await takeSnapshotPicture(stream, timeoutMs, identity)).frames;
}

/** takeSnapshotFrames with the codec parameters the frames need (what snapshotJpeg takes). */
export async function takeSnapshotPicture(stream: Stream, timeoutMs: number, identity: ReaderIdentity = SNAPSHOT_IDENTITY): Promise<{ frames: Frame[]; params: TrackParams; at: Date }> {
  let c: PictureCollector;
  try {
    c = new PictureCollector(stream, SNAPSHOT_MAX_FRAMES, identity).attach();
  } catch (e) {
    throw new NoVideoError(`stream ${stream.key}: ${(e as Error).message}`);
  }
  try {
    return await c.wait(timeoutMs);
  } finally {
    c.detach();
  }
}

/** One call: the newest picture of a stream as JPEG (waits up to timeoutMs for video). */
export async function streamSnapshot(runner: FfmpegRunner, stream: Stream, timeoutMs: number, opts: SnapshotOptions & { identity?: ReaderIdentity } = {}): Promise<{ at: Date; jpeg: Buffer }> {
  const p = await takeSnapshotPicture(stream, timeoutMs, opts.identity);
  return { at: p.at, jpeg: await snapshotJpeg(runner, p.frames, p.params, opts) };
}

export interface ContinuousOptions extends SnapshotOptions {
  /** pictures to take, 1…100 */
  count: number;
  /** between pictures, ≥ 200 ms */
  intervalMs: number;
  /** called with the number of JPEGs done so far */
  onProgress?(n: number): void;
  /** how long to wait for the first picture (default max(5 s, intervalMs)) */
  firstPictureTimeoutMs?: number;
  /** stops taking pictures (client gone); the promise rejects with the signal's reason */
  signal?: AbortSignal;
  identity?: ReaderIdentity;
}

export const CONTINUOUS_MAX_COUNT = 100;
export const CONTINUOUS_MIN_INTERVAL_MS = 200;

/**
 * `count` JPEGs `intervalMs` apart: one reader stays attached and keeps the frames since the last key frame; at each
 * tick the newest picture is handed to the runner (pool-limited, so encodes may finish after later ticks; the
 * pictures are still the ones of their tick). `at` = when the picture's newest frame reached the server: a stalled
 * camera gives repeated pictures with the same time. Rejects when the stream ends midway or a JPEG fails.
 */
export async function continuousSnapshots(runner: FfmpegRunner, stream: Stream, opts: ContinuousOptions): Promise<Array<{ at: Date; jpeg: Buffer }>> {
  const { count, intervalMs } = opts;
  if (!Number.isInteger(count) || count < 1 || count > CONTINUOUS_MAX_COUNT) throw new RangeError(`count must be an integer 1…${CONTINUOUS_MAX_COUNT} (got ${count})`);
  if (!(intervalMs >= CONTINUOUS_MIN_INTERVAL_MS)) throw new RangeError(`intervalMs must be ≥ ${CONTINUOUS_MIN_INTERVAL_MS} (got ${intervalMs})`);
  if (!runner.available) throw new FfmpegUnavailableError(runner.bin);
  const signal = opts.signal;
  signal?.throwIfAborted();
  let collector: PictureCollector;
  try {
    collector = new PictureCollector(stream, 250, opts.identity ?? SNAPSHOT_IDENTITY).attach();
  } catch (e) {
    throw new NoVideoError(`stream ${stream.key}: ${(e as Error).message}`);
  }
  const jobs: Array<Promise<{ at: Date; jpeg: Buffer }>> = [];
  let done = 0;
  try {
    await collector.wait(opts.firstPictureTimeoutMs ?? Math.max(5000, intervalMs));
    const t0 = Date.now();
    for (let i = 0; i < count; i++) {
      if (i > 0) await sleep(t0 + i * intervalMs - Date.now(), signal);
      signal?.throwIfAborted();
      const pic = collector.closed ? undefined : collector.current();
      if (!pic) throw new NoVideoError(`stream ${stream.key} ended after ${i} of ${count} pictures`);
      const job = snapshotJpeg(runner, pic.frames, pic.params, opts).then((jpeg) => {
        done++;
        opts.onProgress?.(done);
        return { at: pic.at, jpeg };
      });
      job.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
      jobs.push(job);
    }
  } catch (e) {
    await Promise.allSettled(jobs);
    throw e;
  } finally {
    collector.detach();
  }
  const results = await Promise.allSettled(jobs);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<{ at: Date; jpeg: Buffer }>).value);
}

/**
 * ZIP entries for continuous snapshots: `<prefix>-001-20240501T120000.123Z.jpg` (index first so a listing sorts in
 * order; UTC without colons, which Windows refuses in file names).
 */
export function snapshotZipEntries(shots: ReadonlyArray<{ at: Date; jpeg: Buffer }>, prefix = 'snapshot'): Array<{ name: string; data: Buffer; at: Date }> {
  const width = Math.max(3, String(shots.length).length);
  return shots.map((s, i) => ({
    name: `${prefix}-${String(i + 1).padStart(width, '0')}-${s.at.toISOString().replace(/[-:]/g, '')}.jpg`,
    data: s.jpeg,
    at: s.at,
  }));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason ?? new Error('aborted'));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

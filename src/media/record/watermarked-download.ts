/**
 * A watermarked download (issue 8): the planned MP4 (mp4-download.ts) is fed to ffmpeg, which draws the watermark
 * and re-encodes the video (libx264, veryfast) while copying the audio, and the result is streamed on as fragmented
 * MP4 (`frag_keyframe+empty_moov`: a pipe cannot be seeked back to write a moov at the end).
 *
 * This is a transcode: much slower than the plain download (which copies bytes), CPU-bound, and the size is not known
 * before the end (no Content-Length). Progress counts the source bytes ffmpeg has taken.
 */
import { once } from 'node:events';
import { AppError } from '../../core/errors.js';
import type { FfmpegRunner } from '../ffmpeg/ffmpeg-runner.js';
import { StderrTail } from '../ffmpeg/ffmpeg-runner.js';
import type { PreparedWatermark } from '../ffmpeg/watermark.js';
import { writeDownload, type DownloadPlan } from './mp4-download.js';

export interface WatermarkedWriteOptions {
  onProgress?: (sourceBytesDone: number, sourceTotal: number) => void;
  signal?: AbortSignal;
}

/** Streams the watermarked file to `out`; resolves with the bytes written. `out` is left open. */
export async function writeWatermarked(runner: FfmpegRunner, plan: DownloadPlan, wm: PreparedWatermark, out: NodeJS.WritableStream, o: WatermarkedWriteOptions = {}): Promise<number> {
  const height = plan.video?.height ?? 0;
  const args = [
    '-f', 'mp4', '-i', 'pipe:0',
    '-map', '0:v:0', '-map', '0:a:0?',
    '-vf', wm.filter(height),
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p',
    '-c:a', 'copy',
    '-movflags', 'frag_keyframe+empty_moov+default_base_moof',
    '-f', 'mp4', 'pipe:1',
  ];
  const child = runner.spawn(args, { stdin: true });
  const err = new StderrTail();
  child.stderr?.on('data', (b: Buffer) => err.push(b));
  const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  exited.catch(() => undefined);
  const feed = (async () => {
    try {
      await writeDownload(plan, child.stdin!, o.onProgress, { end: true, signal: o.signal });
    } catch (e) {
      // ffmpeg gone (it failed, or was killed below): its exit says why; the feed error is secondary
      child.stdin?.destroy();
      throw e;
    }
  })();
  feed.catch(() => undefined);
  let written = 0;
  const node = out as NodeJS.WritableStream & { destroyed?: boolean; writableNeedDrain?: boolean };
  try {
    for await (const chunk of child.stdout! as AsyncIterable<Buffer>) {
      o.signal?.throwIfAborted();
      if (node.destroyed) throw new Error('download sink closed');
      written += chunk.length;
      if (!node.write(chunk) && node.writableNeedDrain !== false) await drained(node);
    }
    const [code, sig] = await exited;
    if (code !== 0) throw new AppError('INTERNAL', `watermark transcode failed (ffmpeg ${code === null ? `signal ${sig}` : `exit ${code}`}): ${err.tail()}`);
    await feed;
    return written;
  } catch (e) {
    child.kill('SIGKILL');
    await exited.catch(() => undefined);
    throw e;
  }
}

/** Resolves on 'drain', rejects when the writable closes first; no listener is left behind either way. */
async function drained(w: NodeJS.WritableStream): Promise<void> {
  const ac = new AbortController();
  try {
    await Promise.race([
      once(w, 'drain', { signal: ac.signal }),
      once(w, 'close', { signal: ac.signal }).then(() => {
        throw new Error('download sink closed');
      }),
    ]);
  } finally {
    ac.abort();
  }
}

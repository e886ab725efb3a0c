import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../../core/logger.js';
import { hasTool } from '../../core/tools.js';
import { FfmpegBusyError, FfmpegError, FfmpegUnavailableError } from './errors.js';
import { NO_FEATURES, probeFeatures, probeFeaturesAsync, type FfmpegFeatures } from './features.js';

export interface FfmpegRunnerOptions {
  /** the ffmpeg executable (default `ffmpeg`, found on PATH) */
  bin?: string;
  /** short jobs (snapshots) running at once; the rest wait in FIFO order */
  maxConcurrent: number;
  log: Logger;
  /** a job running longer is killed (SIGKILL) and rejected; default 10 s. Time spent queued does not count. */
  timeoutMs?: number;
  /** jobs allowed to wait; beyond, run() rejects at once with FfmpegBusyError (default 64) */
  maxQueued?: number;
  /** a job writing more to stdout is killed (default 64 MiB) */
  maxOutputBytes?: number;
}

/** Arguments put before every command: no banner, never read the terminal, only errors on stderr. */
export const FFMPEG_QUIET = ['-hide_banner', '-nostdin', '-loglevel', 'error'] as const;

const STDERR_KEEP = 4096;

/** The last part of a process's stderr, kept bounded. */
export class StderrTail {
  private text = '';
  push(chunk: Buffer | string): void {
    this.text += chunk.toString();
    if (this.text.length > STDERR_KEEP * 2) this.text = this.text.slice(-STDERR_KEEP);
  }
  /** the last `max` characters, whitespace-trimmed, on one line */
  tail(max = 600): string {
    return this.text.slice(-max).trim().replace(/\s*\n\s*/g, ' | ');
  }
}

interface Waiting {
  go: () => void;
  reject: (e: Error) => void;
}

/**
 * ffmpeg as a separate, optional process (src/core/tools.ts): a pool of short jobs (args → stdout), at most
 * `maxConcurrent` at once, each killed after `timeoutMs`; long-running processes (transcoders) are started with
 * spawn() outside the pool but tracked too, so close() leaves no child behind.
 */
export class FfmpegRunner {
  readonly bin: string;
  /** ffmpeg was found at start; when false every run() rejects with FfmpegUnavailableError */
  readonly available: boolean;
  /** resolves once the features are known (probed in the background from the constructor) */
  readonly featuresReady: Promise<FfmpegFeatures>;
  private probed?: FfmpegFeatures;
  private readonly maxConcurrent: number;
  private readonly timeoutMs: number;
  private readonly maxQueued: number;
  private readonly maxOutputBytes: number;
  private readonly log: Logger;
  private active = 0;
  private readonly waiting: Waiting[] = [];
  private readonly children = new Set<ChildProcess>();
  private closed = false;

  constructor(opts: FfmpegRunnerOptions) {
    this.bin = opts.bin ?? 'ffmpeg';
    this.maxConcurrent = Math.max(1, Math.floor(opts.maxConcurrent));
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxQueued = opts.maxQueued ?? 64;
    this.maxOutputBytes = opts.maxOutputBytes ?? 64 * 1024 * 1024;
    this.log = opts.log;
    this.available = hasTool(this.bin);
    if (!this.available) {
      this.probed = NO_FEATURES;
      this.featuresReady = Promise.resolve(NO_FEATURES);
      this.log.warn({ bin: this.bin }, 'ffmpeg not found: server snapshots and H.265→H.264 transcoding are off (apt-get install ffmpeg)');
    } else {
      this.featuresReady = probeFeaturesAsync(this.bin).then((f) => {
        this.probed ??= f;
        if (!f.libx264) this.log.warn({ bin: this.bin }, 'ffmpeg has no libx264 encoder: H.265→H.264 transcoding is off');
        return this.probed;
      });
    }
  }

  /** What this ffmpeg can do (asked once; if read before the background probe finished, asked synchronously). */
  get features(): FfmpegFeatures {
    this.probed ??= probeFeatures(this.bin);
    return this.probed;
  }

  /** jobs running now (long-running spawn() processes not counted) */
  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** process ids of every live child (jobs and spawned processes) */
  get pids(): number[] {
    return [...this.children].map((c) => c.pid).filter((p): p is number => p !== undefined);
  }

  /**
   * Runs `ffmpeg <FFMPEG_QUIET> <args>`, writes `input` (if any) to its stdin and resolves with its stdout. Waits in
   * line beyond maxConcurrent. Rejects with FfmpegError (non-zero exit, timeout, output too large; the end of stderr
   * in the message), FfmpegUnavailableError or FfmpegBusyError.
   */
  run(args: readonly string[], input?: Buffer, opts: { timeoutMs?: number } = {}): Promise<Buffer> {
    if (!this.available) return Promise.reject(new FfmpegUnavailableError(this.bin));
    if (this.closed) return Promise.reject(new FfmpegError('ffmpeg runner closed', null, ''));
    if (this.active >= this.maxConcurrent && this.waiting.length >= this.maxQueued) return Promise.reject(new FfmpegBusyError(this.waiting.length));
    return new Promise<Buffer>((resolve, reject) => {
      const go = (): void => {
        this.active++;
        this.exec(args, input, opts.timeoutMs ?? this.timeoutMs)
          .then(resolve, reject)
          .finally(() => {
            this.active--;
            this.waiting.shift()?.go();
          });
      };
      if (this.active < this.maxConcurrent) go();
      else this.waiting.push({ go, reject });
    });
  }

  private exec(args: readonly string[], input: Buffer | undefined, timeoutMs: number): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = this.spawn(args, { stdin: input !== undefined });
      } catch (e) {
        reject(new FfmpegUnavailableError(this.bin, (e as Error).message));
        return;
      }
      const out: Buffer[] = [];
      let outBytes = 0;
      const err = new StderrTail();
      let failure: string | undefined;
      let timedOut = false;
      let settled = false;
      const settle = (e: Error | undefined, value?: Buffer): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (e) reject(e);
        else resolve(value ?? Buffer.alloc(0));
      };
      const kill = (why: string): void => {
        failure ??= why;
        child.kill('SIGKILL');
      };
      const timer = setTimeout(() => {
        timedOut = true;
        kill(`ffmpeg killed after ${timeoutMs} ms (timeout)`);
      }, timeoutMs);
      child.stdout?.on('data', (b: Buffer) => {
        outBytes += b.length;
        if (outBytes > this.maxOutputBytes) kill(`ffmpeg output exceeded ${this.maxOutputBytes} bytes`);
        else out.push(b);
      });
      child.stderr?.on('data', (b: Buffer) => err.push(b));
      // ENOENT / EACCES (the binary went away after start); 'close' may or may not follow
      child.on('error', (e) => settle(new FfmpegUnavailableError(this.bin, e.message)));
      if (input !== undefined && child.stdin) {
        // ffmpeg may stop reading early (it has its one picture): EPIPE is then expected, not an error
        child.stdin.on('error', () => undefined);
        child.stdin.end(input);
      }
      child.on('close', (code, signal) => {
        if (failure) settle(new FfmpegError(failure, code, err.tail(), timedOut));
        else if (code !== 0) settle(new FfmpegError(`ffmpeg exited with ${code === null ? `signal ${signal}` : `code ${code}`}`, code, err.tail()));
        else settle(undefined, Buffer.concat(out));
      });
    });
  }

  /**
   * Starts a long-running `ffmpeg <FFMPEG_QUIET> <args>` (not pooled, no timeout) with stdout and stderr piped and
   * stdin piped when asked. The child is tracked until it exits; close() kills it. Throws FfmpegUnavailableError
   * when ffmpeg was not found.
   */
  spawn(args: readonly string[], opts: { stdin?: boolean } = {}): ChildProcess {
    if (!this.available) throw new FfmpegUnavailableError(this.bin);
    if (this.closed) throw new FfmpegError('ffmpeg runner closed', null, '');
    const child = spawn(this.bin, [...FFMPEG_QUIET, ...args], { stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    child.on('close', () => this.children.delete(child));
    child.on('error', () => this.children.delete(child));
    return child;
  }

  /** Node stopping: rejects waiting jobs, kills every child and waits for them to exit. */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.reject(new FfmpegError('ffmpeg runner closed', null, ''));
    const exits = [...this.children].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('close', () => resolve());
          c.kill('SIGKILL');
        }),
    );
    await Promise.all(exits);
  }
}

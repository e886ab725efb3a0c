import { spawn, type ChildProcess } from 'node:child_process';
import { FfmpegUnavailableError } from './errors.js';
import { FFMPEG_QUIET, StderrTail, type FfmpegRunner } from './ffmpeg-runner.js';

/**
 * One long-running ffmpeg with piped stdin/stdout (a transcoder's worker): started through the runner when there is
 * one (so the node's runner.close() kills it too), else directly. kill() ends it and resolves once it has exited:
 * stdin closed, SIGTERM, SIGKILL after `graceMs`.
 */
export class FfmpegProcess {
  readonly child: ChildProcess;
  readonly stderr = new StderrTail();
  /** resolves when the process is gone (exit or failed start) */
  readonly exited: Promise<void>;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  startError?: Error;
  private gone = false;

  constructor(bin: string, args: readonly string[], runner?: FfmpegRunner) {
    this.child = runner ? runner.spawn(args, { stdin: true }) : spawn(bin, [...FFMPEG_QUIET, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin?.on('error', () => undefined); // EPIPE when ffmpeg dies first: seen through 'close'
    this.child.stderr?.on('data', (b: Buffer) => this.stderr.push(b));
    this.exited = new Promise<void>((resolve) => {
      this.child.once('error', (e) => {
        this.startError = new FfmpegUnavailableError(bin, e.message);
        this.gone = true;
        resolve();
      });
      this.child.once('close', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        this.gone = true;
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.gone;
  }

  /** bytes written to stdin that ffmpeg has not read yet */
  get stdinBacklog(): number {
    return this.child.stdin?.writableLength ?? 0;
  }

  write(b: Buffer): void {
    const s = this.child.stdin;
    if (!this.gone && s && !s.destroyed && s.writable) s.write(b);
  }

  async kill(graceMs = 2000): Promise<void> {
    if (!this.gone) {
      this.child.stdin?.destroy();
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(t);
    }
    await this.exited;
  }
}

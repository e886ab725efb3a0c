/** Errors of the ffmpeg-backed tools, so the API can map them (503 unavailable / busy, 504 no picture, 500 failed). */

/** ffmpeg is not installed (or not runnable): the feature is off, not broken. */
export class FfmpegUnavailableError extends Error {
  readonly code = 'FFMPEG_UNAVAILABLE';
  constructor(bin: string, detail?: string) {
    super(`ffmpeg is not available (${JSON.stringify(bin)} not found or not runnable${detail ? `: ${detail}` : ''}): server snapshots and transcoding are off; install it (apt-get install ffmpeg)`);
    this.name = 'FfmpegUnavailableError';
  }
}

/** An ffmpeg run failed: non-zero exit, killed on timeout, or output too large. Carries the end of its stderr. */
export class FfmpegError extends Error {
  readonly code = 'FFMPEG_FAILED';
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
    readonly timedOut = false,
  ) {
    super(stderrTail ? `${message}: ${stderrTail}` : message);
    this.name = 'FfmpegError';
  }
}

/** Too many ffmpeg jobs are waiting already (storm control): try again later. */
export class FfmpegBusyError extends Error {
  readonly code = 'FFMPEG_BUSY';
  constructor(queued: number) {
    super(`ffmpeg is busy: ${queued} jobs are already waiting`);
    this.name = 'FfmpegBusyError';
  }
}

/** The stream gave no decodable video picture in time (camera offline, audio only, still connecting). */
export class NoVideoError extends Error {
  readonly code = 'NO_VIDEO';
  constructor(message: string) {
    super(message);
    this.name = 'NoVideoError';
  }
}

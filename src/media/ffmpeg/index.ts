// ffmpeg-backed media tools (optional: without ffmpeg the node runs and these report FfmpegUnavailableError).
export { FfmpegBusyError, FfmpegError, FfmpegUnavailableError, NoVideoError } from './errors.js';
export type { FfmpegFeatures } from './features.js';
export { FFMPEG_QUIET, FfmpegRunner, type FfmpegRunnerOptions } from './ffmpeg-runner.js';
export {
  CONTINUOUS_MAX_COUNT,
  CONTINUOUS_MIN_INTERVAL_MS,
  continuousSnapshots,
  isJpeg,
  SNAPSHOT_MAX_FRAMES,
  snapshotJpeg,
  snapshotZipEntries,
  streamSnapshot,
  takeSnapshotFrames,
  takeSnapshotPicture,
  zipJpegs,
  type ContinuousOptions,
  type SnapshotOptions,
  type ZipEntry,
} from './snapshot.js';
export { TranscodeLimiter, Transcoder, type TranscoderOptions, type TranscoderStats } from './transcoder.js';

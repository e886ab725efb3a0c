/** What the access-unit assemblers report to their demuxer. */
import type { Frame } from '../av/frame.js';
import type { DemuxErrorCode } from './errors.js';

export interface FrameSink {
  frame(f: Frame): void;
  error(code: DemuxErrorCode, detail: string): void;
  /** a frame (or the bytes of one) was thrown away */
  dropped(): void;
}

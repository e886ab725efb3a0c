import type { Frame } from '../av/frame.js';

/** What a demuxer reports through onError(code, detail). Frames it cannot deliver whole are dropped, never cut. */
export type DemuxErrorCode =
  /** bytes that are not the expected start code / packet sync were skipped */
  | 'RESYNC'
  /** a PES ended early (a pack header inside its claimed length) or its length ran past the next start code */
  | 'PES_TRUNCATED'
  /** a frame grew beyond maxFrameBytes: dropped, the rest of it skipped */
  | 'FRAME_TOO_LARGE'
  /** the PSM says one codec, the parameter sets another: the parameter sets win */
  | 'CODEC_MISMATCH'
  /** video with no PSM and no parameter set to tell H.264 from H.265 yet: frames dropped until one comes */
  | 'CODEC_UNKNOWN'
  /** a video frame with no NAL unit start code */
  | 'NO_NAL_UNITS'
  /** an audio PES of an AAC stream without a valid ADTS frame */
  | 'BAD_ADTS'
  /** a malformed pack header, PES header, PSM or PSI section */
  | 'BAD_HEADER'
  /** timestamps jumped (back > 2 s or forward > 10 min): rebased to continue */
  | 'TIME_JUMP'
  /** TS packets lost or damaged (continuity_counter gap, transport_error_indicator): the picture is dropped */
  | 'DISCONTINUITY';

export interface DemuxOptions {
  onFrame(f: Frame): void;
  onError?(code: DemuxErrorCode, detail: string): void;
  /** largest frame kept (default 8 MiB); a larger one is dropped with FRAME_TOO_LARGE, memory stays bounded */
  maxFrameBytes?: number;
}

export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

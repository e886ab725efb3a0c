import type { Frame } from '../../lib/av/frame.js';

/**
 * Shared shapes of platform recording (issue 7). The recorder writes fragmented-MP4 segment files (one moov with
 * empty sample tables, then moof+mdat fragments, 90 kHz video timescale); the index row of each segment says where
 * it is and which wall-clock span it covers.
 */
export interface SegmentFile {
  id: number;
  channelId: string;
  /** wall clock (Unix ms) of the first frame */
  startMs: number;
  /** wall clock (Unix ms) just after the last frame; for the open segment, as of its last flush */
  endMs: number;
  /** absolute path on the node that holds it */
  path: string;
  size: number;
  /** the S3 object holding it once uploaded (issue 8): read from there when the local file is gone */
  objectKey?: string | null;
  /** the object's ETag (ranged reads send If-Match) */
  etag?: string | null;
}

/** A recorded frame with the wall-clock time it was recorded at. */
export interface TimedFrame {
  frame: Frame;
  /** Unix ms of this frame on the recording's timeline (segment start + (dts − first dts of the segment) / 90) */
  atMs: number;
}

/**
 * Frames of a channel's recordings in time order across segments, for playback. `from(t)` starts at the last video
 * keyframe at or before t (or the first keyframe after t when t falls in a gap) so a decoder can start there.
 * Iteration ends at the end of the recordings in range. Gaps between segments show as jumps in atMs.
 */
export interface RecordedFrames {
  from(atMs: number): AsyncIterableIterator<TimedFrame>;
  /** earliest and latest recorded instants in range, Unix ms */
  readonly span: { startMs: number; endMs: number };
}

import type { Frame, TrackParams } from '../lib/av/frame.js';

/**
 * What an output (FLV connection, HLS session, RTSP session, recorder, cascade sender) gives the hub to receive
 * frames. Writes are synchronous; the sink's own send buffer is its queue, and `backlog()` tells the hub how full it is
 * so a slow reader is made to skip to the next keyframe or is closed (backpressure by dropping, ARCHITECTURE.md).
 */
export interface StreamSink {
  /** Called once before the first frame, and again whenever the codec parameters change (new SPS, resolution). */
  start(params: TrackParams): void;
  write(frame: Frame): void;
  /** bytes accepted but not yet sent */
  backlog(): number;
  /** the hub closes the reader (slow, stream ended, revoked) */
  close(reason: ReaderCloseReason): void;
}

export type ReaderCloseReason = 'slow' | 'stream-ended' | 'revoked' | 'client-gone' | 'node-stopping';

/** Who is reading: carried so views are audited and a revoked session's readers are cut (R11). */
export interface ReaderIdentity {
  userId?: string;
  /** the login session (token id) the media URL was signed for */
  sessionId?: string;
  protocol: 'flv' | 'ws-flv' | 'hls' | 'rtsp' | 'record' | 'cascade' | 'snapshot' | 'internal';
  remote?: string;
}

export interface ReaderLimits {
  /** backlog above which the reader skips video until the next keyframe */
  softBytes: number;
  /** backlog above which the reader is closed */
  hardBytes: number;
}

export const DEFAULT_READER_LIMITS: ReaderLimits = { softBytes: 2 * 1024 * 1024, hardBytes: 16 * 1024 * 1024 };

import type { TrackParams } from '../lib/av/frame.js';
import type { CaptureResult, CaptureStart, CaptureState } from './captures.js';
import type { RetimeOp, RetimeState } from './ingest/playback-retimer.js';
import type { SendEnded, SendInfo, SendOpened, SendRequest } from './out/send-types.js';
import type { WatermarkSpec } from './ffmpeg/watermark.js';

export type { CaptureResult, CaptureStart, CaptureState, RetimeOp, RetimeState, WatermarkSpec };
// sending to an upper platform (cascade, issue 11)
export type { SendEndReason, SendEnded, SendInfo, SendOpened, SendRequest, SendState, SendTransport } from './out/send-types.js';

/**
 * The one door between the control side (GB/T 28181 signalling, live/playback services, cascade, cluster) and the
 * media side (RTP ingest, hub, outputs). Control code never touches a stream directly, so a stream can live on
 * another node (ARCHITECTURE.md §Principles): in `all` mode this is LocalMediaNode, in a cluster a NATS proxy.
 * Everything is async and serialisable for that reason.
 */
export type RtpTransport = 'udp' | 'tcp-passive' | 'tcp-active';
export type StreamKind = 'live' | 'playback' | 'download';

export interface StreamRef {
  /** unique per node: `live/<channelId>/<main|sub>` or `playback/<channelId>/<session>` */
  key: string;
  channelId: string;
  kind: StreamKind;
  variant: string;
}

export interface ReceiveRequest {
  stream: StreamRef;
  /** udp: device sends to our port; tcp-passive: the device connects to our port; tcp-active: we connect to the device */
  transport: RtpTransport;
  /** the SSRC we offer in `y=` (GB/T 28181-2016 附录F) */
  ssrc: number;
}

export interface ReceivePort {
  nodeId: string;
  /** address to put in the SDP `c=` line; undefined = the address the signalling socket uses toward the device */
  host?: string;
  port: number;
  transport: RtpTransport;
}

export interface ReceiveAnswer {
  /** the device's own `y=`, accepted instead of ours when present */
  ssrc?: number;
  /** for tcp-active: where the device listens */
  host?: string;
  port?: number;
  /** payload types the device announced with their encoding names (96 PS, 98 H264, 99 H265 ...) */
  rtpmap?: Record<number, string>;
}

export interface StreamInfo {
  key: string;
  channelId: string;
  kind: StreamKind;
  variant: string;
  nodeId: string;
  state: 'waiting' | 'live' | 'ended';
  startedAt: string;
  firstFrameAt?: string;
  lastFrameAt?: string;
  readers: number;
  frames: number;
  bytes: number;
  bitrateKbps: number;
  fps: number;
  /** frames per GOP (keyframe to keyframe) as the hub measured it (R12); 0 until known */
  gop?: number;
  codec?: string;
  width?: number;
  height?: number;
  audio?: string;
  transport?: RtpTransport;
  packets?: { received: number; lost: number; reordered: number; badSsrc: number };
  /** pulled/pushed sources: connecting, playing, retrying with the error */
  source?: SourceState;
}

export interface ReaderEvent {
  stream: StreamRef;
  userId?: string;
  sessionId?: string;
  protocol: string;
  remote?: string;
  durationMs?: number;
  bytes?: number;
  reason?: string;
}

export interface PullRequest {
  stream: StreamRef;
  /** rtsp://[user:pass@]host[:port]/path */
  url: string;
  transport: 'auto' | 'tcp' | 'udp';
}

export type SourceErrorCode = 'AUTH_FAILED' | 'UNREACHABLE' | 'TIMEOUT' | 'NOT_FOUND' | 'UNSUPPORTED_CODEC' | 'PROTOCOL';

/** A pulled or pushed source's state, reported so the channel shows it (R9: errors visible per channel). */
export interface SourceState {
  status: 'connecting' | 'playing' | 'retrying' | 'stopped';
  error?: { code: SourceErrorCode | string; message: string };
  since: number;
  attempts: number;
}

/** A recording asked of the node that holds the live stream (issue 7). */
export interface RecordStart {
  key: string;
  channelId: string;
  segmentMs: number;
  preBufferMs?: number;
  /** false: hold pre-record frames only, until triggered by an alarm */
  writing: boolean;
}

/** What a recorder says about a segment file; the control side keeps the index from it. */
export interface SegmentReport {
  phase: 'open' | 'progress' | 'close';
  nodeId: string;
  channelId: string;
  path: string;
  startMs: number;
  endMs: number;
  size: number;
  codec: string;
  checksum?: string;
}

export interface RecordError {
  nodeId: string;
  channelId: string;
  code: 'STORAGE_FULL' | 'RECORD_UNSUPPORTED_CODEC' | 'WRITE_FAILED';
  message: string;
}

export interface StorageInfo {
  nodeId: string;
  path: string;
  totalBytes: number;
  freeBytes: number;
  ok: boolean;
  error?: string;
}

/** A recorded file as the index knows it, handed to the node that holds it for playback and download. */
export interface SegmentLocation {
  id: number;
  channelId: string;
  startMs: number;
  endMs: number;
  path: string;
  size: number;
  /** the media node that wrote the file (cluster: playback runs there unless the object is in S3) */
  nodeId?: string;
  /** uploaded to S3 (issue 8): the node reads the object when the local file is gone */
  objectKey?: string | null;
  etag?: string | null;
}

export interface PlaybackStart {
  stream: StreamRef;
  segments: SegmentLocation[];
  startMs: number;
  endMs: number;
  speed: number;
  /** `content`: keep the recording's timestamps and send k× faster (GB download to an upper); default `wall` */
  timestamps?: 'wall' | 'content';
}

export type PlaybackAction = { action: 'pause' } | { action: 'resume' } | { action: 'seek'; time: number } | { action: 'speed'; speed: number } | { action: 'step'; direction: 'forward' | 'backward' };

export interface PlaybackState {
  positionMs: number;
  speed: number;
  paused: boolean;
  ended: boolean;
  startMs: number;
  endMs: number;
}

export interface MediaNodeEvents {
  /** a recorder opened, advanced or closed a segment file */
  segment: (r: SegmentReport) => void;
  /** a recorder stopped on an error (disk full, codec MP4 cannot hold) */
  'record.error': (e: RecordError) => void;
  /** a playback reached its end or the recordings ran out */
  'playback.ended': (s: StreamRef) => void;
  /** an RTSP pull or RTMP publish changed state */
  'source.state': (s: StreamRef, st: SourceState) => void;
  /** nobody has watched the stream for the linger time: the owner should stop the source (BYE) and close it */
  idle: (s: StreamRef) => void;
  /** the source sent nothing for the stall time: re-INVITE if viewers remain */
  stalled: (s: StreamRef) => void;
  /** parameters first known or changed (codec/resolution), for R12 channel quality */
  params: (s: StreamRef, p: TrackParams) => void;
  'reader.open': (e: ReaderEvent) => void;
  'reader.close': (e: ReaderEvent) => void;
  /** a send to an upper platform ended: stopped, stream ended, TCP peer closed, connect failed or timed out, too slow */
  'send.ended': (e: SendEnded) => void;
}

export interface MediaNode {
  readonly id: string;
  /** Allocates a receive port for a stream (creating the stream if needed; its readers stay if it already runs). */
  openReceive(req: ReceiveRequest): Promise<ReceivePort>;
  /** The device answered the INVITE: set the SSRC to accept, connect out for tcp-active. */
  confirmReceive(key: string, answer: ReceiveAnswer): Promise<void>;
  /** Stops the current source (BYE sent or received) but keeps the stream and its readers for a new source. */
  stopReceive(key: string): Promise<void>;
  /** Ends the stream and its readers. */
  closeStream(key: string, reason: string): Promise<void>;
  /** Resolves when the stream has its first decodable frame; rejects with MEDIA_TIMEOUT. */
  waitLive(key: string, timeoutMs: number): Promise<StreamInfo>;
  /** Restarts the linger timer (someone is about to connect). */
  touch(key: string): Promise<void>;
  stream(key: string): Promise<StreamInfo | undefined>;
  streams(): Promise<StreamInfo[]>;
  /** Pulls an RTSP URL into the stream (reconnecting with back-off) until the stream is closed. Idempotent. */
  openPull(req: PullRequest): Promise<void>;
  /**
   * JPEG of the current picture (the cached keyframe decoded by ffmpeg); FEATURE_UNAVAILABLE without ffmpeg.
   * `watermark`: lines burnt in with drawtext (issue 8); FEATURE_UNAVAILABLE when it cannot be drawn (never left out).
   */
  snapshot(key: string, opts?: { maxWidth?: number; watermark?: WatermarkSpec }): Promise<Buffer>;
  /** N pictures at an interval, for continuous snapshots. */
  snapshots(key: string, opts: { count: number; intervalMs: number; watermark?: WatermarkSpec }): Promise<Array<{ at: string; jpeg: Buffer }>>;
  /** An H.264 rendition of the stream (for browsers without H.265), shared by its viewers; returns the rendition's key. */
  openRendition(key: string, codec: 'h264'): Promise<string>;
  /** Records a running stream (hub reader writing fMP4 segments); idempotent, `writing: true` upgrades a holding recorder. */
  startRecording(req: RecordStart): Promise<void>;
  /** Alarm recording: write from the pre-record buffer until untilMs. */
  triggerRecording(key: string, untilMs: number): Promise<boolean>;
  stopRecording(key: string): Promise<void>;
  recordingList(): Promise<Array<{ key: string; channelId: string; writing: boolean; segmentOpen: boolean }>>;
  storage(): Promise<StorageInfo[]>;
  deleteSegments(paths: string[]): Promise<{ deleted: number; failed: Array<{ path: string; error: string }> }>;
  checkSegment(path: string, expect: { size: number; checksum?: string | null }): Promise<{ state: 'ok' | 'missing' | 'truncated' | 'checksum' | 'unreadable'; size?: number; message?: string }>;
  /** Start-up repair of a segment left open by a crash: cut the torn tail, report what remains. */
  repairSegment(path: string, startMs: number): Promise<{ endMs: number; size: number; checksum: string; cutBytes: number; codec?: string } | undefined>;
  /** Segment files present on this node's recording directories. */
  segmentFiles(): Promise<string[]>;
  // S3-compatible storage of recordings (issue 8) ------------------------------------------------------------------
  /** Where this node keeps uploaded recordings (never the credentials); undefined when S3 is off. */
  objectStorage(): Promise<{ endpoint: string; bucket: string; region: string } | undefined>;
  /**
   * Uploads a closed segment file as `objectKey`. The file must still have the indexed size and SHA-256
   * (RECORD_DAMAGED otherwise); OBJECT_STORE_UNAVAILABLE when S3 cannot be reached or refuses; FEATURE_UNAVAILABLE when S3 is off.
   */
  uploadSegment(path: string, objectKey: string, expect: { size: number; checksum?: string | null }): Promise<{ etag: string; size: number }>;
  /** Deletes uploaded objects (retention, quota); one already gone counts as deleted. */
  deleteObjects(keys: string[]): Promise<{ deleted: number; failed: Array<{ key: string; error: string }> }>;
  /** Integrity of an uploaded segment: HEAD size and ETag. */
  checkObject(key: string, expect: { size: number; etag?: string | null }): Promise<{ state: 'ok' | 'missing' | 'truncated' | 'checksum' | 'unreadable'; size?: number; message?: string }>;
  /** Starts a paced playback of recorded segments into a stream (served by the same FLV/WS-FLV/HLS outputs as live). */
  openPlayback(req: PlaybackStart): Promise<PlaybackState>;
  controlPlayback(key: string, a: PlaybackAction): Promise<PlaybackState>;
  playbackState(key: string): Promise<PlaybackState | undefined>;
  // device recordings over GB/T 28181 (issue 8) -------------------------------------------------------------------
  /**
   * Device playback (`playback/…` streams fed by RTP): output timestamps = device timestamps / scale, so viewers play at
   * wall pace while content advances `scale`× (the device sends that much faster after MANSRTSP `Scale`).
   */
  setPlaybackScale(key: string, scale: number): Promise<void>;
  /** Device playback: `mark` a seek (re-anchor at the next keyframe), `hold`/`release` frames (pause), `step` one video frame; returns progress. */
  retime(key: string, op?: RetimeOp): Promise<RetimeState | undefined>;
  /** Device download: records the stream (already opened by openReceive) into a part file on a content clock. */
  startCapture(req: CaptureStart): Promise<void>;
  captureState(key: string): Promise<CaptureState | undefined>;
  /** Ends the capture and writes one progressive MP4 named `name` in the node's download directory. */
  finishCapture(key: string, name: string): Promise<CaptureResult>;
  /** Abandons a capture (part files deleted). */
  dropCapture(key: string): Promise<void>;
  /** Deletes a finished download file. */
  removeCaptureFile(path: string): Promise<void>;
  // sending to an upper platform (cascade, issue 11) ----------------------------------------------------------------
  /**
   * INVITE from the upper: a PS-over-RTP send of stream `key` (a hub reader, so the stream lives while the upper
   * watches). Allocates our port for the answer's m= line (udp: bound, tcp-passive: listening, tcp-active: the port
   * we will connect from) and holds the stream's current GOP; nothing is sent before startSend.
   */
  openSend(req: SendRequest): Promise<SendOpened>;
  /**
   * ACK from the upper: send (tcp-active connects now and resolves once connected or failed; tcp-passive sends once
   * the upper has connected, which it must within `connectTimeoutMs`). Failures end the send with 'send.ended'.
   */
  startSend(id: string): Promise<void>;
  /** BYE (either way): ends the send and frees its port; idempotent. */
  stopSend(id: string): Promise<void>;
  sends(): Promise<SendInfo[]>;
  /** Cuts readers of revoked sessions or users (R11). */
  revoke(match: { sessionIds?: string[]; userId?: string }): Promise<number>;
  on<E extends keyof MediaNodeEvents>(event: E, fn: MediaNodeEvents[E]): () => void;
}

export type LiveVariant = 'main' | 'sub' | 'main-h264' | 'sub-h264';

export function liveKey(channelId: string, variant: LiveVariant): string {
  return `live/${channelId}/${variant}`;
}

/** The key of a stream's H.264 rendition: `live/<ch>/main` → `live/<ch>/main-h264`. */
export function renditionKey(key: string): string {
  return `${key}-h264`;
}

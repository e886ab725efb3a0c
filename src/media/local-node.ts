import { EventEmitter } from 'node:events';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { Hub, type Stream, type StreamStats } from '../stream/index.js';
import { continuousSnapshots, snapshotJpeg, takeSnapshotFrames } from './ffmpeg/snapshot.js';
import type { FfmpegRunner } from './ffmpeg/ffmpeg-runner.js';
import { TranscodeLimiter, Transcoder } from './ffmpeg/transcoder.js';
import { PortPool } from './ingest/port-pool.js';
import { RtspPuller } from './ingest/rtsp-pull.js';
import { StreamIngest } from './ingest/stream-ingest.js';
import { Recordings } from './record/recordings.js';
import { StorageRoots } from './record/storage-roots.js';
import { Playbacks } from './record/playbacks.js';
import { planDownload, writeDownload } from './record/mp4-download.js';
import { ObjectStore, type ObjectStoreSettings } from './record/object-store.js';
import type { SegmentOpener } from './record/random-access.js';
import { writeWatermarked } from './record/watermarked-download.js';
import { prepareWatermark, type WatermarkSpec } from './ffmpeg/watermark.js';
import { Captures, type CaptureStart } from './captures.js';
import { PlaybackRetimer, type RetimeOp, type RetimeState } from './ingest/playback-retimer.js';
import { RtpSends } from './out/rtp-sends.js';
import type { SendInfo, SendOpened, SendRequest } from './out/send-types.js';
import { renditionKey, type MediaNode, type PlaybackAction, type PlaybackStart, type SegmentLocation, type PlaybackState, type RecordStart, type StorageInfo, type MediaNodeEvents, type PullRequest, type ReceiveAnswer, type ReceivePort, type ReceiveRequest, type SourceState, type StreamInfo, type StreamRef } from './node.js';

export interface LocalMediaOptions {
  id: string;
  /** address RTP sockets bind */
  bindHost: string;
  /** address advertised in SDP; undefined = let signalling use its own local address toward the device */
  publicHost?: string;
  portRange: { min: number; max: number };
  lingerMs: number;
  stallMs: number;
  /** a TCP media peer that connects and sends nothing for this long is dropped (default 10 s) */
  tcpIdleMs?: number;
  log: Logger;
  /** ffmpeg for snapshots and renditions (optional system tool) */
  ffmpeg?: FfmpegRunner;
  /** concurrent H.265→H.264 transcodes allowed (measured: ≈ 0.15 core at 360p, 0.75–1 core at 1080p) */
  maxTranscodes?: number;
  /** recording directories (SHARPEYE_RECORD_DIRS) and the free space below which no new segment starts */
  recordDirs?: string[];
  recordMinFreeBytes?: number;
  /** where device downloads are assembled and kept until fetched (default: <os tmp>/sharpeye-downloads-<pid>) */
  downloadDir?: string;
  /** S3-compatible storage of closed segments (issue 8); absent = local disks only */
  s3?: ObjectStoreSettings;
}

/** The media node inside this process (`SHARPEYE_ROLE=all` or `media`): owns the hub, RTP ports and outputs. */
export class LocalMediaNode implements MediaNode {
  readonly id: string;
  readonly hub: Hub;
  private readonly ports: PortPool;
  private readonly ingests = new Map<string, { ingest: StreamIngest; port: number }>();
  private readonly pulls = new Map<string, RtspPuller>();
  private readonly renditions = new Map<string, Transcoder>();
  private readonly transcodes: TranscodeLimiter;
  private readonly sourceStates = new Map<string, SourceState>();
  private readonly ee = new EventEmitter();
  private readonly log: Logger;
  readonly recordings: Recordings;
  readonly playbacks: Playbacks;
  /** device playback retiming per stream key (issue 8), kept across re-INVITEs of the stream */
  private readonly retimers = new Map<string, PlaybackRetimer>();
  readonly captures: Captures;
  /** PS over RTP to upper platforms (cascade, issue 11) */
  readonly rtpSends: RtpSends;
  /** uploaded recordings (issue 8) */
  readonly objects?: ObjectStore;

  constructor(private readonly opts: LocalMediaOptions) {
    this.id = opts.id;
    this.log = opts.log;
    this.ee.setMaxListeners(0);
    this.ports = new PortPool(opts.portRange.min, opts.portRange.max);
    this.transcodes = new TranscodeLimiter(opts.maxTranscodes ?? 2);
    this.hub = new Hub({ lingerMs: opts.lingerMs, stallMs: opts.stallMs });
    this.recordings = new Recordings(this.hub, new StorageRoots(opts.recordDirs ?? []), { minFreeBytes: opts.recordMinFreeBytes ?? 0, log: this.log.child({ part: 'record' }) });
    this.recordings.on('segment', (e) => this.ee.emit('segment', { ...e, nodeId: this.id }));
    this.recordings.on('error', (e) => this.ee.emit('record.error', { ...e, nodeId: this.id }));
    this.objects = opts.s3 ? new ObjectStore(opts.s3) : undefined;
    this.playbacks = new Playbacks(this.hub, this.log.child({ part: 'playback' }), this.openSegment);
    this.playbacks.on('ended', (s) => this.ee.emit('playback.ended', refOf(s)));
    this.captures = new Captures(this.hub, opts.downloadDir ?? path.join(os.tmpdir(), `sharpeye-downloads-${process.pid}`), this.log.child({ part: 'download' }));
    void this.captures.sweep();
    this.rtpSends = new RtpSends({ hub: this.hub, ports: this.ports, bindHost: opts.bindHost, publicHost: opts.publicHost, log: this.log.child({ part: 'send' }) });
    this.rtpSends.on('ended', (e) => this.ee.emit('send.ended', e));
    this.hub.on('idle', (s) => {
      // a rendition nobody watches is stopped here; the source stream's own idle is the owner's decision
      if (this.renditions.has(s.key)) void this.closeStream(s.key, 'rendition unused');
      else this.ee.emit('idle', refOf(s));
    });
    this.hub.on('removed', (s) => void this.dropExtras(s.key));
    this.hub.on('stalled', (s) => {
      if (this.ingests.has(s.key)) this.ee.emit('stalled', refOf(s));
    });
    this.hub.on('opened', (s) => s.on('params', (p) => this.ee.emit('params', refOf(s), p)));
    this.hub.on('reader.open', (s, r) => this.ee.emit('reader.open', { stream: refOf(s), userId: r.identity.userId, sessionId: r.identity.sessionId, protocol: r.identity.protocol, remote: r.identity.remote }));
    this.hub.on('reader.close', (s, r, why) =>
      this.ee.emit('reader.close', { stream: refOf(s), userId: r.identity.userId, sessionId: r.identity.sessionId, protocol: r.identity.protocol, remote: r.identity.remote, durationMs: Date.now() - r.startedAt, bytes: r.bytes, reason: why }),
    );
  }

  on<E extends keyof MediaNodeEvents>(event: E, fn: MediaNodeEvents[E]): () => void {
    this.ee.on(event, fn as (...a: unknown[]) => void);
    return () => this.ee.off(event, fn as (...a: unknown[]) => void);
  }

  async openReceive(req: ReceiveRequest): Promise<ReceivePort> {
    const stream = this.hub.open(req.stream);
    await this.stopReceive(req.stream.key); // a previous source of this stream (re-INVITE)
    // A port the OS refuses (taken by another program) is set aside and the next one tried.
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = this.ports.take();
      try {
        const push = req.stream.kind === 'playback' ? this.retimerFor(req.stream.key, stream) : undefined;
        const ingest = await StreamIngest.open({ stream, transport: req.transport, host: this.opts.bindHost, port, ssrc: req.ssrc, log: this.log, tcpIdleMs: this.opts.tcpIdleMs, push });
        this.ingests.set(req.stream.key, { ingest, port });
        this.hub.resetStall(req.stream.key);
        return { nodeId: this.id, host: this.opts.publicHost, port, transport: req.transport };
      } catch (e) {
        this.ports.release(port);
        if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      }
    }
    throw new AppError('MEDIA_NO_PORT', 'no bindable receive port in SHARPEYE_RTP_PORT_RANGE');
  }

  async confirmReceive(key: string, answer: ReceiveAnswer): Promise<void> {
    const i = this.ingests.get(key);
    if (!i) throw new AppError('STREAM_NOT_FOUND', `no receiver for ${key}`);
    await i.ingest.confirm(answer);
  }

  async stopReceive(key: string): Promise<void> {
    const i = this.ingests.get(key);
    if (!i) return;
    this.ingests.delete(key);
    await i.ingest.close();
    this.ports.release(i.port);
  }

  async closeStream(key: string, reason: string): Promise<void> {
    await this.stopReceive(key);
    await this.dropExtras(key);
    this.hub.remove(key, reason);
    if (this.hub.get(renditionKey(key))) await this.closeStream(renditionKey(key), 'source closed');
  }

  /** Pulls, transcoders, recorders and playbacks tied to a stream key go with it. */
  private async dropExtras(key: string): Promise<void> {
    await this.recordings.stop(key);
    this.retimers.delete(key);
    await this.captures.drop(key);
    this.playbacks.stop(key);
    const pull = this.pulls.get(key);
    if (pull) {
      this.pulls.delete(key);
      await pull.stop();
      this.setSourceState(key, { status: 'stopped', since: Date.now(), attempts: 0 });
    }
    const tr = this.renditions.get(key);
    if (tr) {
      this.renditions.delete(key);
      await tr.stop();
      this.transcodes.release();
    }
  }

  private setSourceState(key: string, st: SourceState): void {
    this.sourceStates.set(key, st);
    const s = this.hub.get(key);
    if (s) this.ee.emit('source.state', refOf(s), st);
    if (st.status === 'stopped') this.sourceStates.delete(key);
  }

  async openPull(req: PullRequest): Promise<void> {
    const stream = this.hub.open(req.stream);
    if (this.pulls.has(req.stream.key)) return;
    const puller = new RtspPuller({
      url: req.url,
      transport: req.transport,
      stream,
      log: this.log.child({ pull: req.stream.key }),
      onState: (st) => this.setSourceState(req.stream.key, st),
    });
    this.pulls.set(req.stream.key, puller);
    this.hub.resetStall(req.stream.key);
    puller.start();
  }

  /** A publisher (RTMP) feeds this stream: it exists while the publisher does. */
  openPublished(ref: StreamRef): Stream {
    const s = this.hub.open(ref);
    this.hub.resetStall(ref.key);
    return s;
  }

  async snapshot(key: string, opts: { maxWidth?: number; watermark?: WatermarkSpec } = {}): Promise<Buffer> {
    const runner = this.ffmpeg();
    const s = this.hub.get(key);
    if (!s) throw new AppError('STREAM_NOT_FOUND', `no stream ${key}`);
    const wm = opts.watermark ? await prepareWatermark(opts.watermark, runner.bin) : undefined;
    try {
      const frames = await takeSnapshotFrames(s, 5000).catch(() => {
        throw new AppError('MEDIA_TIMEOUT', `no picture on ${key} within 5 s (无视频画面)`);
      });
      return await snapshotJpeg(runner, frames, s.params, { maxWidth: opts.maxWidth, overlay: wm ? (h) => wm.filter(h) : undefined });
    } finally {
      await wm?.dispose();
    }
  }

  async snapshots(key: string, opts: { count: number; intervalMs: number; watermark?: WatermarkSpec }): Promise<Array<{ at: string; jpeg: Buffer }>> {
    const runner = this.ffmpeg();
    const s = this.hub.get(key);
    if (!s) throw new AppError('STREAM_NOT_FOUND', `no stream ${key}`);
    const wm = opts.watermark ? await prepareWatermark(opts.watermark, runner.bin) : undefined;
    try {
      const shots = await continuousSnapshots(runner, s, { count: opts.count, intervalMs: opts.intervalMs, overlay: wm ? (h) => wm.filter(h) : undefined });
      return shots.map((x) => ({ at: x.at.toISOString(), jpeg: x.jpeg }));
    } finally {
      await wm?.dispose();
    }
  }

  async openRendition(key: string, codec: 'h264'): Promise<string> {
    if (codec !== 'h264') throw new AppError('VALIDATION_FAILED', `no ${codec} rendition`);
    const runner = this.ffmpeg();
    const source = this.hub.get(key);
    if (!source) throw new AppError('STREAM_NOT_FOUND', `no stream ${key}`);
    const rkey = renditionKey(key);
    if (this.renditions.has(rkey) && this.hub.get(rkey)) return rkey;
    if (!this.transcodes.tryAcquire()) throw new AppError('MEDIA_BUSY', `all ${this.opts.maxTranscodes ?? 2} transcoders are busy (转码资源不足)`);
    const target = this.hub.open({ key: rkey, channelId: source.desc.channelId, kind: source.desc.kind, variant: `${source.desc.variant}-h264` });
    const tr = new Transcoder({ runner, source, target, log: this.log.child({ rendition: rkey }) });
    this.renditions.set(rkey, tr);
    tr.start();
    return rkey;
  }

  private ffmpeg(): FfmpegRunner {
    if (!this.opts.ffmpeg?.available) throw new AppError('FEATURE_UNAVAILABLE', 'ffmpeg is not installed on this media node (apt-get install ffmpeg): snapshots and transcoding are off');
    return this.opts.ffmpeg;
  }

  async waitLive(key: string, timeoutMs: number): Promise<StreamInfo> {
    const s = this.hub.get(key);
    if (!s) throw new AppError('STREAM_NOT_FOUND', `no stream ${key}`);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        s.whenLive(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new AppError('MEDIA_TIMEOUT', `no decodable video on ${key} within ${Math.round(timeoutMs / 1000)} s (未收到视频流)`, this.diagnose(key))), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    return this.info(s);
  }

  /** What arrived, for the timeout error: tells "nothing came" from "wrong SSRC" from "not PS". */
  private diagnose(key: string): Record<string, unknown> {
    const i = this.ingests.get(key);
    if (!i) return {};
    return { port: i.port, transport: i.ingest.transport, ...i.ingest.receiver.stats, format: i.ingest.format };
  }

  async touch(key: string): Promise<void> {
    this.hub.touch(key);
  }

  async stream(key: string): Promise<StreamInfo | undefined> {
    const s = this.hub.get(key);
    return s ? this.info(s) : undefined;
  }

  async streams(): Promise<StreamInfo[]> {
    return this.hub.list().map((s) => this.info(s));
  }

  /**
   * What this node carries right now, for the cluster's load reports (issue 13): egress is each stream's bitrate times
   * its readers (what the node has committed to send), ingress the streams' own bitrates.
   */
  loadFigures(): { streams: number; viewers: number; ingressKbps: number; egressKbps: number; rtpPortsFree: number; rtpPortsTotal: number } {
    let viewers = 0;
    let ingressKbps = 0;
    let egressKbps = 0;
    const all = this.hub.stats();
    for (const s of all) {
      viewers += s.readers;
      ingressKbps += s.bitrateKbps;
      egressKbps += s.bitrateKbps * s.readers;
    }
    return { streams: all.length, viewers, ingressKbps, egressKbps, rtpPortsFree: this.ports.available, rtpPortsTotal: this.ports.available + this.ports.inUse };
  }

  // recording (issue 7) -------------------------------------------------------------------------------------------

  async startRecording(req: RecordStart): Promise<void> {
    this.recordings.start(req);
  }

  async triggerRecording(key: string, untilMs: number): Promise<boolean> {
    return this.recordings.trigger(key, untilMs);
  }

  async stopRecording(key: string): Promise<void> {
    await this.recordings.stop(key);
  }

  async recordingList() {
    return this.recordings.list();
  }

  async storage(): Promise<StorageInfo[]> {
    return this.recordings.storage().map((r) => ({ nodeId: this.id, ...r }));
  }

  deleteSegments(paths: string[]) {
    return this.recordings.delete(paths);
  }

  checkSegment(path: string, expect: { size: number; checksum?: string | null }) {
    return this.recordings.check(path, expect);
  }

  repairSegment(path: string, startMs: number) {
    return this.recordings.repair(path, startMs);
  }

  segmentFiles(): Promise<string[]> {
    return this.recordings.files();
  }

  /**
   * One MP4 of a range, streamed from this node's segment files, or their S3 objects once uploaded (the moov is built
   * first from the fragments' tables, so the size is known before the first byte). Not part of MediaNode: another
   * node's files are fetched over HTTP.
   *
   * With `watermark` (issue 8) the file goes through ffmpeg (drawtext + libx264): `size` is then the source size
   * (for progress) and `watermarked` is true — the output is fragmented MP4 whose size is known only at the end.
   * Takes one of the node's transcode slots (MEDIA_BUSY when none is free); FEATURE_UNAVAILABLE without ffmpeg,
   * libx264, drawtext or a font.
   */
  async download(segments: SegmentLocation[], startMs: number, endMs: number, opts: { watermark?: WatermarkSpec } = {}) {
    let runner: FfmpegRunner | undefined;
    if (opts.watermark) {
      runner = this.ffmpeg();
      if (!(await runner.featuresReady).libx264) throw new AppError('FEATURE_UNAVAILABLE', 'this ffmpeg has no libx264 encoder: watermarked downloads are unavailable');
    }
    const plan = await planDownload(segments, startMs, endMs, { onBadSegment: (seg, err) => this.log.warn({ segment: seg.path, err: err.message }, 'segment skipped in download (录像文件损坏或丢失)'), open: this.openSegment });
    const common = {
      size: plan.size,
      durationMs: plan.durationMs,
      skipped: plan.skipped.map((s) => ({ start: new Date(s.segment.startMs).toISOString(), end: new Date(s.segment.endMs).toISOString(), reason: s.reason })),
    };
    if (!runner || !opts.watermark || !plan.size) return { ...common, watermarked: false, write: (out: NodeJS.WritableStream, onProgress?: (done: number, total: number) => void) => writeDownload(plan, out, onProgress) };
    const spec = opts.watermark;
    const ff = runner;
    if (!this.transcodes.tryAcquire()) throw new AppError('MEDIA_BUSY', `all ${this.opts.maxTranscodes ?? 2} transcoders are busy: a watermarked download needs one (转码资源不足)`);
    let wm;
    try {
      wm = await prepareWatermark(spec, ff.bin);
    } catch (e) {
      this.transcodes.release();
      throw e;
    }
    const prepared = wm;
    return {
      ...common,
      watermarked: true,
      write: async (out: NodeJS.WritableStream, onProgress?: (done: number, total: number) => void) => {
        try {
          return await writeWatermarked(ff, plan, prepared, out, { onProgress });
        } finally {
          this.transcodes.release();
          await prepared.dispose();
        }
      },
    };
  }

  /** A segment's bytes: the local file while it is there, else its S3 object (issue 8). */
  private readonly openSegment: SegmentOpener = async (seg) => {
    try {
      return await open(seg.path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || !seg.objectKey || !this.objects) throw e;
      return this.objects.reader(seg.objectKey, { size: seg.size, etag: seg.etag });
    }
  };

  // S3-compatible storage (issue 8) ---------------------------------------------------------------------------------

  private objectStore(): ObjectStore {
    if (!this.objects) throw new AppError('FEATURE_UNAVAILABLE', 'S3 storage is not configured on this media node (SHARPEYE_S3_BUCKET)');
    return this.objects;
  }

  async objectStorage() {
    return this.objects?.description;
  }

  async uploadSegment(file: string, objectKey: string, expect: { size: number; checksum?: string | null }): Promise<{ etag: string; size: number }> {
    const store = this.objectStore();
    if (!this.recordings.roots.rootOf(path.resolve(file))) throw new AppError('VALIDATION_FAILED', `${file} is not under a recording directory`);
    return store.put(objectKey, file, expect);
  }

  deleteObjects(keys: string[]) {
    return this.objectStore().delete(keys);
  }

  checkObject(key: string, expect: { size: number; etag?: string | null }) {
    return this.objectStore().check(key, expect);
  }

  async openPlayback(req: PlaybackStart): Promise<PlaybackState> {
    return this.playbacks.open(req);
  }

  async controlPlayback(key: string, a: PlaybackAction): Promise<PlaybackState> {
    return this.playbacks.control(key, a);
  }

  async playbackState(key: string): Promise<PlaybackState | undefined> {
    return this.playbacks.state(key);
  }

  // device recordings (issue 8) ------------------------------------------------------------------------------------

  /** A device playback fed by RTP passes the retimer (one per stream; a new INVITE is a new source of the same stream). */
  private retimerFor(key: string, stream: Stream): (f: import('../lib/av/frame.js').Frame) => void {
    let r = this.retimers.get(key);
    if (!r) {
      r = new PlaybackRetimer((f) => stream.push(f));
      this.retimers.set(key, r);
    } else r.newSource();
    const rt = r;
    return (f) => rt.push(f);
  }

  async setPlaybackScale(key: string, scale: number): Promise<void> {
    const r = this.retimers.get(key);
    if (!r) throw new AppError('STREAM_NOT_FOUND', `no device playback ${key}`);
    r.setScale(scale);
  }

  async retime(key: string, op?: RetimeOp): Promise<RetimeState | undefined> {
    const r = this.retimers.get(key);
    if (!r) return undefined;
    return op ? r.control(op) : r.state();
  }

  async startCapture(req: CaptureStart): Promise<void> {
    await this.captures.start(req);
  }

  async captureState(key: string) {
    return this.captures.state(key);
  }

  async finishCapture(key: string, name: string) {
    return this.captures.finish(key, name);
  }

  async dropCapture(key: string): Promise<void> {
    await this.captures.drop(key);
  }

  async removeCaptureFile(file: string): Promise<void> {
    await this.captures.remove(file);
  }

  // sending to an upper platform (cascade, issue 11) ----------------------------------------------------------------

  async openSend(req: SendRequest): Promise<SendOpened> {
    return this.rtpSends.open(req);
  }

  async startSend(id: string): Promise<void> {
    await this.rtpSends.start(id);
  }

  async stopSend(id: string): Promise<void> {
    await this.rtpSends.stop(id);
  }

  async sends(): Promise<SendInfo[]> {
    return this.rtpSends.list();
  }

  async revoke(match: { sessionIds?: string[]; userId?: string }): Promise<number> {
    const ids = new Set(match.sessionIds ?? []);
    return this.hub.closeReaders((r) => (match.userId !== undefined && r.userId === match.userId) || (r.sessionId !== undefined && ids.has(r.sessionId)), 'revoked');
  }

  private info(s: Stream): StreamInfo {
    const st: StreamStats = s.stats();
    const i = this.ingests.get(s.key);
    const v = st.params.video;
    return {
      key: st.key,
      channelId: st.channelId,
      kind: st.kind,
      variant: st.variant,
      nodeId: this.id,
      state: st.state,
      startedAt: new Date(st.startedAt).toISOString(),
      firstFrameAt: st.firstFrameAt ? new Date(st.firstFrameAt).toISOString() : undefined,
      lastFrameAt: st.lastFrameAt ? new Date(st.lastFrameAt).toISOString() : undefined,
      readers: st.readers,
      frames: st.frames,
      bytes: st.bytes,
      bitrateKbps: st.bitrateKbps,
      fps: st.fps,
      gop: st.gop,
      codec: v?.codec,
      width: v?.width,
      height: v?.height,
      audio: st.params.audio?.codec,
      transport: i?.ingest.transport,
      packets: i?.ingest.stats(),
      source: this.sourceStates.get(s.key),
    };
  }

  get load(): { streams: number; readers: number; portsFree: number } {
    let readers = 0;
    for (const s of this.hub.list()) readers += s.readerCount;
    return { streams: this.hub.list().length, readers, portsFree: this.ports.available };
  }

  async close(): Promise<void> {
    this.rtpSends.close();
    await this.captures.close();
    await this.recordings.close();
    this.playbacks.close();
    for (const key of [...this.ingests.keys()]) await this.stopReceive(key);
    for (const key of [...this.pulls.keys(), ...this.renditions.keys()]) await this.dropExtras(key);
    this.hub.close();
    this.objects?.close();
  }
}

function refOf(s: Stream): StreamRef {
  return { key: s.desc.key, channelId: s.desc.channelId, kind: s.desc.kind, variant: s.desc.variant };
}

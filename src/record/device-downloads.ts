import { randomBytes } from 'node:crypto';
import { AppError, isAppError } from '../core/errors.js';
import { Limiter } from '../core/limiter.js';
import type { Logger } from '../core/logger.js';
import type { MediaDialog } from '../gb28181/invites.js';
import type { GbService } from '../gb28181/service.js';
import { MEDIA_STATUS_END_OF_FILE } from '../lib/manscdp/index.js';
import type { MediaNode, StreamRef } from '../media/node.js';
import type { Store } from '../store/index.js';
import { inviteHistory } from './device-invite.js';
import { waitAtMost } from '../core/wait.js';

export type DeviceDownloadState = 'queued' | 'starting' | 'receiving' | 'finishing' | 'done' | 'failed' | 'aborted';

export interface DeviceDownloadJob {
  id: string;
  channelId: string;
  deviceId: string;
  userId: string;
  start: string;
  end: string;
  /** a=downloadspeed asked of the device */
  speed: number;
  state: DeviceDownloadState;
  /** percent of the range received (content time), 0–100; 100 only when the MP4 is ready */
  progress: number;
  /** recording time received so far, ms */
  receivedMs: number;
  bytesReceived: number;
  /** INVITEs sent: 1, plus one per resume after the device stopped mid-way */
  attempts: number;
  /** the finished MP4 */
  file?: { name: string; size: number; durationMs: number; codec?: string; width?: number; height?: number };
  error?: { code: string; message: string };
  startedAt: string;
  finishedAt?: string;
  /** content received per wall second while receiving (≈ downloadspeed when the device honours it) */
  rate?: number;
  /** how it ended: MediaStatus 121, or the device stopped at the range end */
  endedBy?: string;
}

export interface DeviceDownloadSettings {
  /** a device that stops mid-way (BYE without MediaStatus 121, or no video for stallMs) is re-INVITEd for the rest this many times */
  maxResumes: number;
  /** no video for this long while receiving counts as stopped */
  stallMs: number;
  /** the first picture must arrive within this after each INVITE */
  firstFrameTimeoutMs: number;
  /** finished files are kept this long for fetching */
  keepMs: number;
  /** downloads receiving at once on this node; more wait (state queued) */
  concurrent: number;
}

export const DEFAULT_DEVICE_DOWNLOAD_SETTINGS: DeviceDownloadSettings = { maxResumes: 2, stallMs: 10_000, firstFrameTimeoutMs: 10_000, keepMs: 24 * 3600_000, concurrent: 4 };

/** received within this of the range end counts as complete when the device stops without MediaStatus 121 */
const END_SLACK_MS = 1500;
const POLL_MS = 250;

interface Running {
  job: DeviceDownloadJob;
  ref: StreamRef;
  startMs: number;
  endMs: number;
  t0: number;
  dialog?: MediaDialog;
  /** what the device said last: 'eof' (121) or 'bye' */
  signal?: 'eof' | 'bye';
  cancelled?: boolean;
  path?: string;
  keepUntil?: number;
  wake?: () => void;
  /** settles when the job's run (and its clean-up) is over */
  settled?: Promise<void>;
}

/**
 * Downloads of a device's own recordings (R5, GB/T 28181-2016 §9.9): INVITE `s=Download` with `a=downloadspeed`, the
 * stream recorded on the media node into an MP4 on the content clock, progress from the device's timestamps, done at
 * MediaStatus 121. A device that stops mid-way (BYE, or silence for stallMs) is re-INVITEd for the remaining range
 * (up to maxResumes times; the resumed part starts at the device's keyframe at or before the resume second, so up to
 * one GOP may repeat); after that the job fails with the reason. Jobs live in memory (a restart forgets them and
 * removes their part files); finished files are kept `keepMs`.
 */
export class DeviceDownloads {
  private readonly jobs = new Map<string, Running>();
  private readonly limiter: Limiter;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly d: { store: Store; gb?: GbService; media: MediaNode; log: Logger; settings: DeviceDownloadSettings }) {
    this.limiter = new Limiter(d.settings.concurrent);
    this.sweeper = setInterval(() => void this.sweep(), 10 * 60_000);
    this.sweeper.unref?.();
  }

  start(o: { userId: string; channelId: string; deviceId: string; startMs: number; endMs: number; speed: number }): DeviceDownloadJob {
    if (!this.d.gb) throw new AppError('FEATURE_UNAVAILABLE', 'GB/T 28181 signalling is not running on this node: device recordings cannot be downloaded');
    this.d.gb.outbound.session(o.deviceId); // DEVICE_OFFLINE at once, not as a failed job
    const id = randomBytes(8).toString('hex');
    const job: DeviceDownloadJob = {
      id,
      channelId: o.channelId,
      deviceId: o.deviceId,
      userId: o.userId,
      start: new Date(o.startMs).toISOString(),
      end: new Date(o.endMs).toISOString(),
      speed: o.speed,
      state: 'queued',
      progress: 0,
      receivedMs: 0,
      bytesReceived: 0,
      attempts: 0,
      startedAt: new Date().toISOString(),
    };
    const r: Running = { job, ref: { key: `download/${o.channelId}/${id}`, channelId: o.channelId, kind: 'download', variant: id }, startMs: o.startMs, endMs: o.endMs, t0: 0 };
    this.jobs.set(id, r);
    this.trim();
    r.settled = this.limiter.run(() => this.run(r)).catch((e) => this.d.log.error({ job: id, err: e }, 'device download crashed'));
    return { ...job };
  }

  get(id: string): DeviceDownloadJob | undefined {
    const r = this.jobs.get(id);
    return r ? { ...r.job } : undefined;
  }

  list(userId?: string): DeviceDownloadJob[] {
    return [...this.jobs.values()]
      .filter((r) => !userId || r.job.userId === userId)
      .map((r) => ({ ...r.job }))
      .reverse();
  }

  /** The finished file on the media node (FEATURE_UNAVAILABLE elsewhere is the route's concern). */
  file(id: string): { path: string; name: string; size: number } {
    const r = this.jobs.get(id);
    if (!r) throw new AppError('NOT_FOUND', `no device download ${id}`);
    if (r.job.state === 'failed') throw new AppError('DOWNLOAD_FAILED', r.job.error?.message ?? 'the device download failed', r.job.error);
    if (r.job.state !== 'done' || !r.path || !r.job.file) throw new AppError('DOWNLOAD_NOT_READY', `device download ${id} is ${r.job.state} (${r.job.progress}%)`, { state: r.job.state, progress: r.job.progress });
    return { path: r.path, name: r.job.file.name, size: r.job.file.size };
  }

  /** Stops a running download (BYE, part files deleted) or deletes a finished one. */
  async cancel(id: string): Promise<void> {
    const r = this.jobs.get(id);
    if (!r) throw new AppError('NOT_FOUND', `no device download ${id}`);
    if (r.job.state === 'done' || r.job.state === 'failed' || r.job.state === 'aborted') {
      this.jobs.delete(id);
      if (r.path) await this.d.media.removeCaptureFile(r.path).catch(() => undefined);
      return;
    }
    r.cancelled = true;
    r.wake?.();
  }

  private trim(): void {
    if (this.jobs.size <= 200) return;
    for (const [id, r] of this.jobs) {
      if (this.jobs.size <= 200) break;
      if (r.job.state === 'done' || r.job.state === 'failed' || r.job.state === 'aborted') {
        this.jobs.delete(id);
        if (r.path) void this.d.media.removeCaptureFile(r.path).catch(() => undefined);
      }
    }
  }

  private async sweep(): Promise<void> {
    const now = Date.now();
    for (const [id, r] of this.jobs) {
      if (r.keepUntil !== undefined && r.keepUntil <= now) {
        this.jobs.delete(id);
        if (r.path) await this.d.media.removeCaptureFile(r.path).catch(() => undefined);
      }
    }
  }

  private async run(r: Running): Promise<void> {
    const { job } = r;
    const media = this.d.media;
    const key = r.ref.key;
    if (r.cancelled) return this.end(r, 'aborted');
    job.state = 'starting';
    r.t0 = Date.now();
    const total = r.endMs - r.startMs;
    try {
      for (;;) {
        const receivedBefore = job.receivedMs;
        const fromMs = r.startMs + Math.floor(receivedBefore / 1000) * 1000;
        job.attempts++;
        r.signal = undefined;
        r.dialog = await inviteHistory({ store: this.d.store, gb: this.d.gb!, media }, {
          ref: r.ref,
          deviceId: job.deviceId,
          channelId: job.channelId,
          subject: 'Download',
          fromMs,
          toMs: r.endMs,
          downloadSpeed: job.speed,
          onBye: (dl) => {
            if (r.dialog?.callId !== dl.callId) return;
            r.dialog = undefined;
            r.signal ??= 'bye';
            r.wake?.();
          },
          onMediaStatus: (dl, t) => {
            if (r.dialog?.callId !== dl.callId || t !== MEDIA_STATUS_END_OF_FILE) return;
            r.signal = 'eof';
            r.wake?.();
          },
        });
        if (job.attempts === 1) await media.startCapture({ key, channelId: job.channelId, startMs: r.startMs });
        job.state = 'receiving';
        const why = await this.receive(r, total);
        if (r.cancelled) throw new Error('cancelled'); // the catch below sends BYE and removes the part file
        if (r.dialog) {
          const d = r.dialog;
          r.dialog = undefined;
          await this.d.gb!.invites.bye(d.callId).catch(() => undefined);
        }
        if (why === 'eof' || job.receivedMs >= total - END_SLACK_MS) {
          job.endedBy = why === 'eof' ? 'MediaStatus 121' : `device stopped at the range end (${why})`;
          break;
        }
        if (job.attempts > this.d.settings.maxResumes) {
          throw new AppError('DOWNLOAD_FAILED', `the device stopped sending at ${Math.round(job.receivedMs / 1000)} s of ${Math.round(total / 1000)} s (${why}) and did not finish after ${job.attempts} INVITEs (设备下载中断)`, { receivedMs: job.receivedMs, attempts: job.attempts });
        }
        this.d.log.warn({ job: job.id, why, receivedMs: job.receivedMs, attempt: job.attempts }, 'device download interrupted: re-INVITE for the rest');
        await media.stopReceive(key).catch(() => undefined);
        if (job.receivedMs === receivedBefore && why === 'no video') {
          throw new AppError('MEDIA_TIMEOUT', `no video from the device within ${Math.round(this.d.settings.firstFrameTimeoutMs / 1000)} s of the INVITE (未收到录像数据)`);
        }
      }
      job.state = 'finishing';
      const res = await media.finishCapture(key, `${job.id}.mp4`);
      r.path = res.path;
      const name = `${job.channelId}_${job.start.replace(/[-:]/g, '').slice(0, 15)}_${job.end.replace(/[-:]/g, '').slice(0, 15)}_device.mp4`;
      job.file = { name, size: res.size, durationMs: res.durationMs, codec: res.video?.codec, width: res.video?.width, height: res.video?.height };
      await media.closeStream(key, 'download finished').catch(() => undefined);
      this.end(r, 'done');
    } catch (e) {
      if (r.dialog) await this.d.gb!.invites.bye(r.dialog.callId).catch(() => undefined);
      r.dialog = undefined;
      await media.dropCapture(key).catch(() => undefined);
      await media.closeStream(key, 'download failed').catch(() => undefined);
      if (r.cancelled) return this.end(r, 'aborted');
      job.error = isAppError(e) ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: (e as Error).message };
      this.d.log.warn({ job: job.id, channel: job.channelId, err: job.error }, 'device download failed');
      this.end(r, 'failed');
    }
  }

  /** Follows one dialog until the device ends it, goes silent, or the job is cancelled; keeps progress current. */
  private async receive(r: Running, total: number): Promise<'eof' | 'bye' | 'no video' | 'cancelled'> {
    const { job } = r;
    let lastSeen = Date.now();
    let lastFrames: number | undefined;
    let moved = false;
    for (;;) {
      const cs = await this.d.media.captureState(r.ref.key);
      if (cs) {
        job.receivedMs = Math.min(total, cs.contentMs);
        job.bytesReceived = cs.bytes;
        job.progress = Math.min(99.9, Math.floor((job.receivedMs / total) * 1000) / 10);
        const secs = (Date.now() - r.t0) / 1000;
        if (secs > 0.5) job.rate = Math.round((job.receivedMs / 1000 / secs) * 100) / 100;
        if (lastFrames !== undefined && cs.frames !== lastFrames) {
          moved = true;
          lastSeen = Date.now();
        }
        lastFrames = cs.frames;
      }
      if (r.cancelled) return 'cancelled';
      if (r.signal === 'eof') return 'eof';
      if (r.signal === 'bye') return 'bye';
      const limit = moved ? this.d.settings.stallMs : this.d.settings.firstFrameTimeoutMs;
      if (Date.now() - lastSeen > limit) return 'no video';
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, POLL_MS);
        r.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      r.wake = undefined;
    }
  }

  private end(r: Running, state: 'done' | 'failed' | 'aborted'): void {
    r.job.state = state;
    r.job.finishedAt = new Date().toISOString();
    if (state === 'done') r.job.progress = 100;
    r.keepUntil = Date.now() + this.d.settings.keepMs;
  }

  /** Cancels running downloads (BYE, part files removed), waiting a little for their clean-up. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    const running = [...this.jobs.values()].filter((r) => !['done', 'failed', 'aborted'].includes(r.job.state));
    for (const r of running) {
      r.cancelled = true;
      r.wake?.();
    }
    await waitAtMost(Promise.all(running.map((r) => r.settled)), 3000);
  }
}

import type { Logger } from '../core/logger.js';
import { isAppError } from '../core/errors.js';
import type { MediaNode } from '../media/node.js';
import { objectKeyFor } from '../media/record/segment-path.js';
import type { SegmentRow } from '../store/repos/record-segments.js';
import type { Store } from '../store/index.js';

export interface UploaderSettings {
  /** a closed segment also stays on local disk this long after its upload (SHARPEYE_S3_KEEP_LOCAL_HOURS) */
  keepLocalMs: number;
  /** how often the queue is looked at (closed segments also kick it) */
  intervalMs: number;
  /** uploads at once */
  concurrency: number;
  /** back-off after a failure: base × 2^(failures−1), at most max */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_UPLOADER_SETTINGS: Omit<UploaderSettings, 'keepLocalMs'> = { intervalMs: 10_000, concurrency: 2, backoffBaseMs: 5_000, backoffMaxMs: 10 * 60_000 };

export interface UploadPass {
  uploaded: number;
  failed: number;
  bytes: number;
  localRemoved: number;
  /** the store could not be reached: the pass stopped and the queue waits until `retryAt` */
  unavailable?: { error: string; retryAt: string };
}

/**
 * The S3 upload queue (issue 8). The queue is the segment index itself, so it survives restarts: a closed segment
 * is `local`, becomes `uploading` while its node PUTs it, and `s3` with its object key and ETag once the PUT
 * succeeded. A failed upload goes back to `local` with its attempts, error and a back-off time; when the store
 * cannot be reached at all the whole queue backs off (5 s, 10 s, 20 s … 10 min) so a down endpoint is probed once
 * per step, not once per segment. Nothing is removed locally before it is in S3; after the keep-local time the local
 * file goes (playback and download then read the object). Rows left `uploading` by a crash start again.
 * File I/O happens on the media node that holds the files (MediaNode.uploadSegment / deleteSegments).
 */
export class SegmentUploader {
  private timer?: NodeJS.Timeout;
  private kickTimer?: NodeJS.Timeout;
  private running?: Promise<UploadPass>;
  private failures = 0;
  private pausedUntil = 0;
  private lastError: string | undefined;
  private off?: () => void;
  private stopped = false;

  constructor(private readonly d: { store: Store; media: MediaNode; log: Logger; settings: UploaderSettings; now?: () => number }) {}

  private now(): number {
    return this.d.now?.() ?? Date.now();
  }

  async start(): Promise<void> {
    const reset = await this.d.store.segments.resetUploading(this.d.media.id);
    if (reset) this.d.log.warn({ reset }, 'uploads interrupted by a restart start again (录像上传续传)');
    this.timer = setInterval(() => void this.tick(), this.d.settings.intervalMs);
    this.timer.unref();
    // a segment just closed: look soon (after the index has it)
    this.off = this.d.media.on('segment', (r) => {
      if (r.phase === 'close') this.kick(1000);
    });
    this.kick(0);
  }

  stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.kickTimer);
    this.off?.();
    return this.running?.then(() => undefined, () => undefined) ?? Promise.resolve();
  }

  private kick(delayMs: number): void {
    if (this.stopped || this.kickTimer) return;
    this.kickTimer = setTimeout(() => {
      this.kickTimer = undefined;
      void this.tick();
    }, delayMs);
    this.kickTimer.unref();
  }

  private tick(): void {
    if (this.stopped || this.now() < this.pausedUntil) return;
    void this.run().catch((err) => this.d.log.error({ err }, 'segment upload pass failed'));
  }

  /** The queue's state for the storage answer. */
  status(): { failures: number; pausedUntil: string | null; lastError: string | null } {
    return { failures: this.failures, pausedUntil: this.pausedUntil > this.now() ? new Date(this.pausedUntil).toISOString() : null, lastError: this.lastError ?? null };
  }

  /** One pass now (never concurrent: a second caller shares the running one). `force` ignores the back-off. */
  run(force = false): Promise<UploadPass> {
    if (force) this.pausedUntil = 0;
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private backoff(n: number): number {
    const s = this.d.settings;
    return Math.min(s.backoffMaxMs, s.backoffBaseMs * 2 ** Math.max(0, n - 1));
  }

  private async pass(): Promise<UploadPass> {
    const r: UploadPass = { uploaded: 0, failed: 0, bytes: 0, localRemoved: 0 };
    const nodeId = this.d.media.id;
    const { segments } = this.d.store;
    // 1. uploads, oldest first, a few at once, until the queue is empty or the store is unreachable
    for (;;) {
      if (this.stopped || this.now() < this.pausedUntil) break;
      const due = await segments.uploadDue(nodeId, new Date(this.now()).toISOString(), this.d.settings.concurrency * 4);
      if (!due.length) break;
      let stop = false;
      for (let i = 0; i < due.length && !stop; i += this.d.settings.concurrency) {
        const results = await Promise.all(due.slice(i, i + this.d.settings.concurrency).map((s) => this.uploadOne(s, r)));
        if (results.includes('unavailable')) {
          this.failures++;
          this.pausedUntil = this.now() + this.backoff(this.failures);
          r.unavailable = { error: this.lastError ?? 'unavailable', retryAt: new Date(this.pausedUntil).toISOString() };
          this.d.log.warn({ err: this.lastError, failures: this.failures, retryAt: r.unavailable.retryAt }, 'S3 upload failed: segments stay local and are retried (对象存储不可用)');
          stop = true;
        }
        stop ||= this.stopped;
      }
      if (stop) break;
    }
    // 2. local copies past the keep-local time
    const before = new Date(this.now() - this.d.settings.keepLocalMs).toISOString();
    for (;;) {
      const batch = await segments.localCopies(nodeId, before, 200);
      if (!batch.length) break;
      r.localRemoved += await this.dropLocal(batch);
      if (batch.length < 200) break;
    }
    if (r.uploaded || r.failed || r.localRemoved) this.d.log.info(r, 'recording upload pass (录像上传)');
    return r;
  }

  /** Removes local copies of uploaded segments (keep-local time passed, or low space); returns how many went. */
  async dropLocal(rows: SegmentRow[]): Promise<number> {
    const up = rows.filter((s) => s.storage === 's3' && s.localCopy);
    if (!up.length) return 0;
    const res = await this.d.media.deleteSegments(up.map((s) => s.path));
    const failed = new Set(res.failed.map((f) => f.path));
    const gone = up.filter((s) => !failed.has(s.path));
    await this.d.store.segments.markLocalGone(gone.map((s) => s.id));
    for (const f of res.failed) this.d.log.warn({ file: f.path, err: f.error }, 'uploaded recording kept locally: not deleted');
    return gone.length;
  }

  private async uploadOne(s: SegmentRow, r: UploadPass): Promise<'ok' | 'failed' | 'unavailable' | 'skipped'> {
    const { segments } = this.d.store;
    if (!(await segments.claimUpload(s.id))) return 'skipped';
    const key = objectKeyFor(s.channelId, s.startMs);
    try {
      const res = await this.d.media.uploadSegment(s.path, key, { size: s.size, checksum: s.checksum });
      if (!(await segments.finishUpload(s.id, { objectKey: key, etag: res.etag, uploadedAt: new Date(this.now()).toISOString() }))) {
        // retention removed the row while the PUT ran: the object is an orphan
        await this.d.media.deleteObjects([key]).catch(() => undefined);
        return 'skipped';
      }
      r.uploaded++;
      r.bytes += res.size;
      if (this.failures) this.d.log.info({ after: this.failures }, 'S3 reachable again: uploads resumed (对象存储已恢复)');
      this.failures = 0;
      this.lastError = undefined;
      return 'ok';
    } catch (e) {
      const msg = (e as Error).message;
      const unavailable = !isAppError(e) || e.code !== 'RECORD_DAMAGED';
      const attempts = s.uploadAttempts + 1;
      // a damaged file waits long (the verifier marks it); an unreachable store waits by the queue's back-off
      const wait = unavailable ? this.backoff(this.failures + 1) : Math.max(this.backoff(attempts), 3600_000);
      await segments.failUpload(s.id, { attempts, after: new Date(this.now() + wait).toISOString(), error: msg });
      r.failed++;
      if (!unavailable) {
        this.d.log.warn({ segment: s.path, err: msg }, 'segment not uploaded');
        return 'failed';
      }
      this.lastError = msg;
      return 'unavailable';
    }
  }
}

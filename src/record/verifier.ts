import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { MediaNode } from '../media/node.js';
import { ALL_CHANNELS } from '../store/scope.js';
import type { Store } from '../store/index.js';

export interface VerifyReport {
  checked: number;
  ok: number;
  missing: number;
  corrupt: number;
  /** segments found damaged earlier that are readable again (a disk remounted) */
  recovered: number;
  /** of those checked, how many were checked in S3 (HEAD size/ETag) instead of on disk (issue 8) */
  objects: number;
  /** S3 objects found missing or wrong while the local file was still good: queued for upload again */
  reupload: number;
  /** uploaded segments not checked because S3 could not be reached (not marked) */
  unverified: number;
  problems: Array<{ channelId: string; segmentId: number; start: string; end: string; state: string; message: string }>;
  durationMs: number;
}

/**
 * Integrity (R16): every closed segment is checked for presence, size and SHA-256 against the index; damaged ones are
 * marked (search and playback skip them, the gap list shows them) and reported in the device log of their channel.
 */
export class Verifier {
  private timer?: NodeJS.Timeout;
  private running?: Promise<VerifyReport>;

  constructor(private readonly d: { store: Store; media: MediaNode; clock: Clock; log: Logger; intervalMs: number }) {}

  start(): void {
    this.timer = setInterval(() => void this.run().catch((err) => this.d.log.error({ err }, 'recording verification failed')), this.d.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  run(channelId?: string): Promise<VerifyReport> {
    if (this.running) return this.running;
    this.running = this.pass(channelId).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(channelId?: string): Promise<VerifyReport> {
    const t0 = Date.now();
    const r: VerifyReport = { checked: 0, ok: 0, missing: 0, corrupt: 0, recovered: 0, objects: 0, reupload: 0, unverified: 0, problems: [], durationMs: 0 };
    const nodeId = this.d.media.id;
    let after = 0;
    for (;;) {
      const batch = await this.d.store.segments.closedAfter(after, 200, nodeId, channelId);
      if (!batch.length) break;
      after = batch[batch.length - 1].id;
      for (const s of batch) {
        r.checked++;
        let c: Awaited<ReturnType<MediaNode['checkSegment']>>;
        if (s.storage === 's3' && s.objectKey) {
          // uploaded: the object is the copy that counts (the local file may be gone)
          r.objects++;
          c = await this.d.media.checkObject(s.objectKey, { size: s.size, etag: s.etag });
          if (c.state !== 'ok' && c.state !== 'unreadable' && s.localCopy && (await this.d.media.checkSegment(s.path, { size: s.size, checksum: s.checksum })).state === 'ok') {
            // the local file is still good: upload it again instead of calling the recording damaged
            r.reupload++;
            await this.d.store.segments.update(s.id, { storage: 'local', objectKey: null, etag: null });
            this.d.log.warn({ segment: s.path, object: s.objectKey, problem: c.message }, 'S3 object damaged or missing: uploaded again from the local copy');
            c = { state: 'ok', size: s.size };
          }
        } else c = await this.d.media.checkSegment(s.path, { size: s.size, checksum: s.checksum });
        if (c.state === 'unreadable' && s.storage === 's3') {
          // the store could not be asked (down): that says nothing about the recording, nothing is marked
          r.unverified++;
          continue;
        }
        const at = this.d.clock.now().toISOString();
        if (c.state === 'ok') {
          r.ok++;
          if (s.state !== 'closed') {
            r.recovered++;
            await this.d.store.segments.update(s.id, { state: 'closed', error: null, verifiedAt: at });
          } else await this.d.store.segments.update(s.id, { verifiedAt: at });
          continue;
        }
        const state = c.state === 'missing' ? 'missing' : 'corrupt';
        if (state === 'missing') r.missing++;
        else r.corrupt++;
        const message = c.message ?? c.state;
        r.problems.push({ channelId: s.channelId, segmentId: s.id, start: new Date(s.startMs).toISOString(), end: new Date(s.endMs).toISOString(), state, message });
        if (s.state === state) continue; // already reported
        await this.d.store.segments.update(s.id, { state, error: message, verifiedAt: at });
        const ch = await this.d.store.channels.get(s.channelId, ALL_CHANNELS).catch(() => undefined);
        await this.d.store.logs.appendDevice({
          at,
          deviceId: ch?.deviceId ?? s.channelId,
          channelId: s.channelId,
          event: state === 'missing' ? 'record.missing' : 'record.corrupt',
          level: 'warn',
          detail: `${new Date(s.startMs).toISOString()} – ${new Date(s.endMs).toISOString()}: ${message} (${s.path})`,
        });
      }
    }
    r.durationMs = Date.now() - t0;
    if (r.missing || r.corrupt) this.d.log.warn({ missing: r.missing, corrupt: r.corrupt, checked: r.checked }, 'damaged recordings found (录像完整性异常)');
    return r;
  }
}

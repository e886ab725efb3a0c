import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { MediaNode } from '../media/node.js';
import type { SegmentRow } from '../store/repos/record-segments.js';
import { ALL_CHANNELS } from '../store/scope.js';
import type { Store } from '../store/index.js';

const DAY = 86_400_000;

export interface SpaceSettings {
  defaultRetentionDays: number;
  minFreeBytes: number;
  /** after expired recordings are gone and space is still short: delete the oldest (NVR-style) or stop and alarm */
  overwrite: boolean;
  intervalMs: number;
}

export interface SpaceReport {
  expired: number;
  overQuota: number;
  overwritten: number;
  freedBytes: number;
  /** local copies of segments already in S3 removed because a directory ran low (nothing lost: issue 8) */
  localCopiesDropped: number;
  lowSpace: Array<{ nodeId: string; path: string; freeBytes: number }>;
}

/**
 * Space management (R16): retention in days per channel (plan), per org (inherited down the tree) or the platform
 * default; per-channel quotas; and when a recording directory runs low, the oldest recordings beyond retention go
 * first (the retention pass), then — if overwrite is on — the oldest of all, with an alarm either way.
 */
export class SpaceKeeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<SpaceReport>;
  private lowAlarmed = new Set<string>();

  constructor(private readonly d: { store: Store; media: MediaNode; clock: Clock; bus: EventBus; log: Logger; settings: SpaceSettings }) {}

  start(): void {
    this.timer = setInterval(() => void this.run().catch((err) => this.d.log.error({ err }, 'recording cleanup failed')), this.d.settings.intervalMs);
    this.timer.unref();
    void this.run().catch((err) => this.d.log.error({ err }, 'recording cleanup failed'));
  }

  /** Stops the timer and waits for a pass in flight (nothing touches the store after close). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass (runs are never concurrent; a second caller shares the running pass). */
  run(): Promise<SpaceReport> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Retention days of each channel that has recordings: plan → org chain → default. */
  async retentionDays(channelId: string, orgs?: Map<string, { parentId: string | null; days: number | null }>): Promise<number> {
    const plan = await this.d.store.recordPlans.get(channelId);
    if (plan?.retentionDays) return plan.retentionDays;
    const ch = await this.d.store.channels.get(channelId, ALL_CHANNELS).catch(() => undefined);
    orgs ??= await this.d.store.recordPlans.orgRetention();
    for (let org = ch?.orgId ?? null, hops = 0; org && hops < 32; hops++) {
      const o = orgs.get(org);
      if (!o) break;
      if (o.days) return o.days;
      org = o.parentId;
    }
    return this.d.settings.defaultRetentionDays;
  }

  private async pass(): Promise<SpaceReport> {
    const report: SpaceReport = { expired: 0, overQuota: 0, overwritten: 0, freedBytes: 0, localCopiesDropped: 0, lowSpace: [] };
    const now = this.d.clock.now().getTime();
    const usage = await this.d.store.segments.usage();
    const orgs = await this.d.store.recordPlans.orgRetention();
    // 1. retention, per channel
    for (const u of usage) {
      const days = await this.retentionDays(u.channelId, orgs);
      for (;;) {
        const old = await this.d.store.segments.oldest({ channelId: u.channelId, beforeMs: now - days * DAY, limit: 500 });
        if (!old.length) break;
        report.expired += old.length;
        const freed = await this.remove(old);
        report.freedBytes += freed;
        if (old.length < 500 || !freed) break; // nothing went (S3 down): the next pass tries again
      }
    }
    // 2. quotas
    for (const plan of await this.d.store.recordPlans.all()) {
      if (!plan.quotaMb) continue;
      const limit = plan.quotaMb * 2 ** 20;
      let [u] = await this.d.store.segments.usage(plan.channelId);
      while (u && u.bytes > limit) {
        const old = await this.d.store.segments.oldest({ channelId: plan.channelId, limit: 20 });
        if (!old.length) break;
        let freed = 0;
        const take: SegmentRow[] = [];
        for (const s of old) {
          if (u.bytes - freed <= limit) break;
          take.push(s);
          freed += s.size;
        }
        report.overQuota += take.length;
        const gone = await this.remove(take);
        report.freedBytes += gone;
        if (!gone) break;
        [u] = await this.d.store.segments.usage(plan.channelId);
      }
    }
    // 3. low space on a directory
    for (const root of await this.d.media.storage()) {
      if (!root.ok || root.freeBytes >= this.d.settings.minFreeBytes) {
        this.lowAlarmed.delete(root.path);
        continue;
      }
      report.lowSpace.push({ nodeId: root.nodeId, path: root.path, freeBytes: root.freeBytes });
      let free = root.freeBytes;
      const target = this.d.settings.minFreeBytes * 2;
      // S3 (issue 8): local copies of uploaded segments go first, keep-local time or not — nothing is lost
      if (free < target) {
        const batch = (await this.d.store.segments.localCopies(root.nodeId, '9999', 1000)).filter((s) => s.path.startsWith(root.path));
        const take: SegmentRow[] = [];
        for (let need = target - free; take.length < batch.length && need > 0; need -= batch[take.length].size) take.push(batch[take.length]);
        const res = await this.d.media.deleteSegments(take.map((s) => s.path));
        const failed = new Set(res.failed.map((f) => f.path));
        const gone = take.filter((s) => !failed.has(s.path));
        await this.d.store.segments.markLocalGone(gone.map((s) => s.id));
        report.localCopiesDropped += gone.length;
        free += gone.reduce((n, s) => n + s.size, 0);
      }
      if (this.d.settings.overwrite) {
        // NVR-style overwrite: oldest first until twice the minimum is free (hysteresis: not one segment per pass);
        // only segments with a local file free anything here
        while (free < target) {
          const batch = (await this.d.store.segments.oldest({ nodeId: root.nodeId, limit: 50, localOnly: true })).filter((s) => s.path.startsWith(root.path));
          if (!batch.length) break;
          // only as many of the oldest as the shortfall needs
          const old: SegmentRow[] = [];
          for (let need = target - free; old.length < batch.length && need > 0; need -= batch[old.length].size) old.push(batch[old.length]);
          const freed = await this.remove(old);
          report.overwritten += old.length;
          report.freedBytes += freed;
          free += freed;
          if (!freed) break;
        }
      }
      await this.alarmLow(root.path, free);
    }
    if (report.expired || report.overQuota || report.overwritten) this.d.log.info(report, 'recording space cleaned');
    return report;
  }

  /**
   * Deletes segments: the local file (while there is one) and the S3 object (once uploaded, issue 8). A row stays in
   * the index until both are gone, so a failed delete is tried again on the next pass.
   */
  private async remove(segs: SegmentRow[]): Promise<number> {
    if (!segs.length) return 0;
    const local = segs.filter((s) => s.localCopy);
    const res = await this.d.media.deleteSegments(local.map((s) => s.path));
    const failed = new Set(res.failed.map((f) => f.path));
    for (const f of res.failed) this.d.log.warn({ file: f.path, err: f.error }, 'recording file not deleted');
    const keys = segs.filter((s) => s.objectKey && !failed.has(s.path)).map((s) => s.objectKey!);
    if (keys.length) {
      const o = await this.d.media.deleteObjects(keys).catch((e: Error) => ({ deleted: 0, failed: keys.map((key) => ({ key, error: e.message })) }));
      for (const f of o.failed) this.d.log.warn({ object: f.key, err: f.error }, 'S3 recording object not deleted: tried again on the next pass');
      const failedKeys = new Set(o.failed.map((f) => f.key));
      for (const s of segs) if (s.objectKey && failedKeys.has(s.objectKey)) failed.add(s.path);
      // local files that did go are not tried again
      const localGone = segs.filter((s) => s.localCopy && failed.has(s.path) && s.objectKey && failedKeys.has(s.objectKey));
      if (localGone.length) await this.d.store.segments.markLocalGone(localGone.map((s) => s.id));
    }
    const gone = segs.filter((s) => !failed.has(s.path));
    await this.d.store.segments.delete(gone.map((s) => s.id));
    return gone.reduce((n, s) => n + s.size, 0);
  }

  private async alarmLow(path: string, free: number): Promise<void> {
    if (this.lowAlarmed.has(path)) return;
    this.lowAlarmed.add(path);
    const at = this.d.clock.now().toISOString();
    const description = `recording directory ${path} has ${Math.round(free / 2 ** 20)} MiB free (below ${Math.round(this.d.settings.minFreeBytes / 2 ** 20)} MiB)${this.d.settings.overwrite ? '; oldest recordings are overwritten' : '; new recordings stop until space returns'} (录像存储空间不足)`;
    await this.d.store.logs.appendAlarm({ at, deviceId: 'platform', channelId: null, alarmType: 'platform_storage_low', priority: 1, method: 'platform', description });
    this.d.bus.emit('event', { type: 'alarm', at, data: { alarmType: 'STORAGE_LOW', description, platform: true } });
    this.d.log.warn({ path, free }, description);
  }
}

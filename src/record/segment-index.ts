import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { MediaNode, SegmentReport } from '../media/node.js';
import { parseSegmentPath } from '../media/record/segment-path.js';
import type { Store } from '../store/index.js';

/** A segment holding less than this is only the init header: no picture, dropped instead of indexed. */
const EMPTY_SEGMENT_BYTES = 2048;

/**
 * Keeps the segment index in step with what recorders report (issue 7): the open segment is a row from its first
 * keyframe (search finds it), its end moves forward while it is written, and it is closed with size and SHA-256.
 * At start it repairs what a crash left behind: open rows are cut back to their last whole fragment, and files the
 * index never heard of are indexed.
 */
export class SegmentIndex {
  private readonly ids = new Map<string, number>();
  /** index writes in arrival order per file (open before progress before close) */
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly d: { store: Store; media: MediaNode; clock: Clock; log: Logger }) {
    d.media.on('segment', (r) => this.enqueue(r.path, () => this.onReport(r)));
  }

  private enqueue(key: string, fn: () => Promise<void>): void {
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev.then(fn).catch((err) => this.d.log.error({ err, segment: key }, 'segment index write failed'));
    this.chains.set(key, next);
    void next.then(() => this.chains.get(key) === next && this.chains.delete(key));
  }

  /** Resolves when every report received so far is in the database. */
  async settled(): Promise<void> {
    while (this.chains.size) await Promise.all([...this.chains.values()]);
  }

  private async onReport(r: SegmentReport): Promise<void> {
    const { segments } = this.d.store;
    if (r.phase === 'open') {
      const id = await segments.insert({ channelId: r.channelId, startMs: r.startMs, endMs: r.endMs, size: r.size, path: r.path, nodeId: r.nodeId, codec: r.codec, checksum: null, state: 'open' });
      this.ids.set(r.path, id);
      return;
    }
    const id = this.ids.get(r.path) ?? (await segments.byPath(r.path))?.id;
    if (id === undefined) return;
    if (r.phase === 'progress') {
      await segments.update(id, { endMs: r.endMs, size: r.size });
      return;
    }
    this.ids.delete(r.path);
    if (r.size <= EMPTY_SEGMENT_BYTES) {
      await segments.delete([id]);
      await this.d.media.deleteSegments([r.path]);
      return;
    }
    await segments.update(id, { endMs: r.endMs, size: r.size, checksum: r.checksum ?? null, state: 'closed' });
  }

  /** Start-up repair on this node (ARCHITECTURE.md: nothing lost on crash but the open segment's last seconds). */
  async repair(nodeId: string): Promise<{ repaired: number; cutBytes: number; indexed: number; dropped: number }> {
    const { segments } = this.d.store;
    let repaired = 0;
    let cutBytes = 0;
    let indexed = 0;
    let dropped = 0;
    for (const row of await segments.open(nodeId)) {
      const r = await this.d.media.repairSegment(row.path, row.startMs).catch(() => undefined);
      if (!r || r.size <= EMPTY_SEGMENT_BYTES || r.endMs <= row.startMs) {
        await segments.delete([row.id]);
        await this.d.media.deleteSegments([row.path]).catch(() => undefined);
        dropped++;
        continue;
      }
      await segments.update(row.id, { endMs: r.endMs, size: r.size, checksum: r.checksum, state: 'closed', error: r.cutBytes ? `repaired after crash: ${r.cutBytes} torn bytes cut` : null });
      repaired++;
      cutBytes += r.cutBytes;
    }
    for (const file of await this.d.media.segmentFiles()) {
      if (await segments.byPath(file)) continue;
      const p = parseSegmentPath(file);
      if (!p) continue;
      const r = await this.d.media.repairSegment(file, p.startMs).catch(() => undefined);
      if (!r || r.size <= EMPTY_SEGMENT_BYTES || r.endMs <= p.startMs) continue;
      await segments.insert({ channelId: p.channelId, startMs: p.startMs, endMs: r.endMs, size: r.size, path: file, nodeId, codec: r.codec ?? null, checksum: r.checksum, state: 'closed' });
      indexed++;
    }
    if (repaired || indexed || dropped) this.d.log.warn({ repaired, cutBytes, indexed, dropped }, 'recording index repaired at start (录像索引已修复)');
    return { repaired, cutBytes, indexed, dropped };
  }
}

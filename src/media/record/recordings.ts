import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat, truncate, unlink } from 'node:fs/promises';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import { AppError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Hub } from '../../stream/index.js';
import { Recorder, type RecorderErrorEvent, type SegmentEvent } from './recorder.js';
import { segmentPath } from './segment-path.js';
import type { StorageRoot, StorageRoots } from './storage-roots.js';
import { scanSegment } from './segment-reader.js';

export interface RecordRequest {
  /** the live stream to record (it must be running: the control side starts it) */
  key: string;
  channelId: string;
  segmentMs: number;
  /** alarm plans: hold this much in memory and write only when triggered */
  preBufferMs?: number;
  /** false = hold only (alarm plan waiting for an alarm) */
  writing: boolean;
}

export interface RecordingInfo {
  key: string;
  channelId: string;
  writing: boolean;
  segmentOpen: boolean;
}

export type SegmentCheck = { state: 'ok'; size: number } | { state: 'missing' | 'truncated' | 'checksum' | 'unreadable'; size?: number; message: string };

export interface RepairResult {
  endMs: number;
  size: number;
  checksum: string;
  cutBytes: number;
  codec?: string;
}

/** The recorders of a media node and the files they own: where segments go, checks, repair and deletion. */
export class Recordings extends EventEmitter<{ segment: [SegmentEvent]; error: [RecorderErrorEvent] }> {
  private readonly recorders = new Map<string, { recorder: Recorder; detach: () => void; req: RecordRequest }>();

  constructor(
    private readonly hub: Hub,
    readonly roots: StorageRoots,
    private readonly o: { minFreeBytes: number; log: Logger; now?: () => number },
  ) {
    super();
  }

  start(req: RecordRequest): void {
    const running = this.recorders.get(req.key);
    if (running) {
      if (req.writing) running.recorder.writeAlways();
      return;
    }
    const stream = this.hub.get(req.key);
    if (!stream || stream.ended) throw new AppError('STREAM_NOT_FOUND', `no stream ${req.key} to record`);
    const recorder = new Recorder({
      channelId: req.channelId,
      segmentMs: req.segmentMs,
      preBufferMs: req.preBufferMs,
      writing: req.writing,
      now: this.o.now,
      log: this.o.log,
      pathFor: async (channelId, startMs) => {
        const root = this.roots.pick(this.o.minFreeBytes);
        if (!root) throw Object.assign(new Error(`no recording directory has more than ${Math.round(this.o.minFreeBytes / 2 ** 20)} MiB free`), { code: 'ENOSPC' });
        return segmentPath(root.path, channelId, startMs);
      },
    });
    recorder.on('segment', (e) => this.emit('segment', e));
    recorder.on('error', (e) => {
      this.emit('error', e);
      this.stop(req.key);
    });
    // generous limits: the recorder's backlog is the disk queue; a disk that cannot keep up skips to keyframes
    const { detach } = stream.attach(recorder, { protocol: 'record' }, { softBytes: 8 * 2 ** 20, hardBytes: 64 * 2 ** 20 });
    this.recorders.set(req.key, { recorder, detach, req });
    stream.once('ended', () => this.recorders.get(req.key)?.recorder === recorder && this.recorders.delete(req.key));
  }

  trigger(key: string, untilMs: number): boolean {
    const r = this.recorders.get(key);
    if (!r) return false;
    r.recorder.trigger(untilMs);
    return true;
  }

  stop(key: string): Promise<void> {
    const r = this.recorders.get(key);
    if (!r) return Promise.resolve();
    this.recorders.delete(key);
    r.detach();
    return r.recorder.stop('plan');
  }

  list(): RecordingInfo[] {
    return [...this.recorders.entries()].map(([key, r]) => ({ key, channelId: r.req.channelId, writing: r.req.writing, segmentOpen: r.recorder.recording }));
  }

  storage(): StorageRoot[] {
    return this.roots.list(true);
  }

  /** Deletes segment files (retention, quota); only files under a recording root, never anything else. */
  async delete(paths: string[]): Promise<{ deleted: number; failed: Array<{ path: string; error: string }> }> {
    let deleted = 0;
    const failed: Array<{ path: string; error: string }> = [];
    for (const p of paths) {
      if (!this.roots.rootOf(path.resolve(p))) {
        failed.push({ path: p, error: 'not under a recording directory' });
        continue;
      }
      try {
        await unlink(p);
        deleted++;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') deleted++;
        else failed.push({ path: p, error: `${code} ${(e as Error).message}` });
      }
    }
    return { deleted, failed };
  }

  /** Integrity check (R16): present, the indexed size, the indexed SHA-256. */
  async check(file: string, expect: { size: number; checksum?: string | null }): Promise<SegmentCheck> {
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return code === 'ENOENT' ? { state: 'missing', message: 'file missing (录像文件丢失)' } : { state: 'unreadable', message: `${code}` };
    }
    if (size < expect.size) return { state: 'truncated', size, message: `file has ${size} of ${expect.size} bytes (录像文件被截断)` };
    if (!expect.checksum) return { state: 'ok', size };
    try {
      const sum = await sha256File(file);
      if (sum !== expect.checksum || size !== expect.size) return { state: 'checksum', size, message: 'checksum mismatch (录像文件校验失败)' };
    } catch (e) {
      return { state: 'unreadable', size, message: (e as Error).message };
    }
    return { state: 'ok', size };
  }

  /**
   * After a crash: the open segment's file ends with at most one torn fragment. Cut it back to the last whole
   * fragment and report what the file now holds.
   */
  async repair(file: string, startMs: number): Promise<RepairResult | undefined> {
    let scan: Awaited<ReturnType<typeof scanSegment>>;
    try {
      scan = await scanSegment(file);
    } catch (e) {
      this.o.log.warn({ file, err: (e as Error).message }, 'segment not repairable');
      return undefined;
    }
    const size = (await stat(file)).size;
    if (scan.validBytes < size) await truncate(file, scan.validBytes);
    const dur = scan.durationMs ?? 0;
    return { endMs: startMs + dur, size: scan.validBytes, checksum: await sha256File(file), cutBytes: size - scan.validBytes, codec: scan.codec };
  }

  /** Every segment file under the roots (for the start-up repair to find files the index never heard of). */
  async files(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, depth: number): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = path.join(dir, e.name);
        if (e.isDirectory() && depth < 2) await walk(p, depth + 1);
        else if (e.isFile() && depth === 2 && e.name.endsWith('.mp4')) out.push(p);
      }
    };
    for (const r of this.roots.paths) await walk(r, 0);
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([...this.recorders.keys()].map((k) => this.stop(k)));
  }
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file, { highWaterMark: 1 << 20 })
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

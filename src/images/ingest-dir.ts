import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../core/logger.js';
import type { ImageIngest } from './ingest.js';
import { SnapshotError } from './ingest.js';
import { hasJpegEnd, isJpeg } from './jpeg.js';

export interface IngestDirOptions {
  /** a file is taken once its size and mtime stayed the same this long */
  stableMs: number;
  /** full scan period (fs.watch only speeds things up; the scan is what is relied on) */
  scanMs: number;
}

/** Names an uploader is still writing under (renamed when complete): left alone. */
const PARTIAL = /^\.|\.(tmp|part|partial|filepart|crdownload|uploading)$/i;
const MAX_DEPTH = 8;

/**
 * The ingest directory (SHARPEYE_IMAGE_INGEST_DIR, issue 12 §4) for cameras that upload pictures by FTP:
 * `<dir>/<device or channel ID>/<any sub-directories>/<file>`. A file whose size and mtime have not changed for
 * `stableMs` is read; a JPEG of an archived ID is stored as a snapshot capture (`source: "ftp"`) and the file
 * removed; anything else (not a JPEG, truncated, too large, unknown ID, a file outside an ID directory) is moved to
 * `<dir>/rejected/<same relative path>` with a log line. A storage failure leaves the file for the next scan.
 */
export class IngestDirectory {
  private readonly seen = new Map<string, { size: number; mtimeMs: number; since: number }>();
  private readonly busy = new Set<string>();
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private soon: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  readonly counters = { stored: 0, duplicates: 0, rejected: 0, failed: 0 };

  constructor(
    readonly dir: string,
    private readonly ingest: ImageIngest,
    private readonly log: Logger,
    private readonly o: IngestDirOptions = { stableMs: 2000, scanMs: 5000 },
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await mkdir(path.join(this.dir, 'rejected'), { recursive: true });
    try {
      // recursive watching is native on Linux from Node 20; when it fails the periodic scan still finds everything
      this.watcher = watch(this.dir, { recursive: true }, () => this.kick());
      this.watcher.on('error', (e) => {
        this.log.warn({ err: e, dir: this.dir }, 'ingest directory watch failed; periodic scan only');
        this.watcher?.close();
        this.watcher = null;
      });
    } catch (e) {
      this.log.warn({ err: e, dir: this.dir }, 'ingest directory cannot be watched; periodic scan only');
    }
    this.timer = setInterval(() => this.kick(), this.o.scanMs);
    this.timer.unref();
    this.kick();
    this.log.info({ dir: this.dir }, 'image ingest directory watched');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    this.timer = this.soon = null;
    await this.scanning;
  }

  /** A scan now (or right after the running one). Also when a file was seen changing: re-check after stableMs. */
  private kick(delayMs = 100): void {
    if (this.stopped) return;
    if (this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = null;
      void this.scan();
    }, delayMs);
    this.soon.unref();
  }

  /** One pass over the directory; concurrent calls fold into one more pass. */
  scan(): Promise<void> {
    if (this.scanning) {
      this.again = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      do {
        this.again = false;
        try {
          await this.pass();
        } catch (e) {
          this.log.error({ err: e, dir: this.dir }, 'ingest directory scan failed');
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.scanning = null;
    });
    return this.scanning;
  }

  private async pass(): Promise<void> {
    const now = Date.now();
    const present = new Set<string>();
    let waiting = false;
    for await (const rel of this.walk('', 0)) {
      present.add(rel);
      if (this.busy.has(rel)) continue;
      let st;
      try {
        st = await stat(path.join(this.dir, rel));
      } catch {
        continue; // gone meanwhile
      }
      const prev = this.seen.get(rel);
      if (!prev || prev.size !== st.size || prev.mtimeMs !== st.mtimeMs) {
        this.seen.set(rel, { size: st.size, mtimeMs: st.mtimeMs, since: now });
        waiting = true;
        continue;
      }
      if (now - prev.since < this.o.stableMs) {
        waiting = true;
        continue;
      }
      this.busy.add(rel);
      try {
        await this.take(rel, st.mtimeMs);
      } finally {
        this.busy.delete(rel);
        this.seen.delete(rel);
      }
    }
    for (const k of this.seen.keys()) if (!present.has(k)) this.seen.delete(k);
    // files still settling: look again when they may be stable, not only at the next periodic scan
    if (waiting && !this.stopped) this.kick(Math.min(this.o.stableMs + 50, this.o.scanMs));
  }

  private async *walk(rel: string, depth: number): AsyncGenerator<string> {
    let entries;
    try {
      entries = await readdir(path.join(this.dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel ? path.join(rel, e.name) : e.name;
      if (depth === 0 && (e.name === 'rejected' || e.name === 'done')) continue;
      if (e.isDirectory()) {
        if (depth < MAX_DEPTH) yield* this.walk(r, depth + 1);
      } else if (e.isFile() && !PARTIAL.test(e.name)) yield r;
    }
  }

  private async take(rel: string, mtimeMs: number): Promise<void> {
    const abs = path.join(this.dir, rel);
    const parts = rel.split(path.sep);
    if (parts.length < 2) return this.reject(rel, 'not inside a device or channel directory (<dir>/<ID>/...)');
    const gate = parts[0];
    let buf: Buffer;
    try {
      const st = await stat(abs);
      if (st.size > this.ingest.maxBytes) return this.reject(rel, `${st.size} bytes, over the limit of ${this.ingest.maxBytes}`);
      buf = await readFile(abs);
    } catch (e) {
      this.log.warn({ err: e, file: rel }, 'ingest file could not be read; next scan');
      return;
    }
    if (!isJpeg(buf)) return this.reject(rel, 'not a JPEG');
    if (!hasJpegEnd(buf)) return this.reject(rel, 'truncated JPEG (no end marker)');
    try {
      const r = await this.ingest.saveSnapshot(gate, buf, { source: 'ftp', capturedMs: mtimeMs, meta: { file: rel } });
      if (r.duplicate) this.counters.duplicates++;
      else this.counters.stored++;
      this.log.debug({ file: rel, id: r.id, duplicate: r.duplicate }, 'ingest file stored');
    } catch (e) {
      if (e instanceof SnapshotError && e.reason !== 'storage') return this.reject(rel, e.reason === 'unknown-device' ? `device or channel ${gate} is not in the archive` : e.message);
      this.counters.failed++;
      this.log.error({ err: e, file: rel }, 'ingest file could not be stored; next scan');
      return;
    }
    await unlink(abs).catch((e) => this.log.warn({ err: e, file: rel }, 'ingested file could not be removed (a later scan finds it a duplicate)'));
  }

  private async reject(rel: string, why: string): Promise<void> {
    this.counters.rejected++;
    const to = path.join(this.dir, 'rejected', rel);
    try {
      await mkdir(path.dirname(to), { recursive: true });
      let target = to;
      for (let i = 1; await exists(target); i++) target = `${to}.${i}`;
      await rename(path.join(this.dir, rel), target);
      this.log.warn({ file: rel, movedTo: path.relative(this.dir, target), why }, 'ingest file rejected');
    } catch (e) {
      this.log.error({ err: e, file: rel, why }, 'ingest file rejected but could not be moved');
    }
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

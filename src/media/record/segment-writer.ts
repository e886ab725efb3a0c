import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/**
 * One segment file being written: appends are queued and written in order, the SHA-256 of everything written is kept
 * as we go (the index stores it; the verifier recomputes it), and the file is fdatasync'ed on close so a closed
 * segment survives a crash. A write error (ENOSPC, EIO) is kept and reported once; later appends are ignored.
 */
export class SegmentWriter {
  private fh?: FileHandle;
  private chain: Promise<void> = Promise.resolve();
  private readonly hash: Hash = createHash('sha256');
  private queued = 0;
  /** bytes on disk (written and acknowledged) */
  size = 0;
  error?: NodeJS.ErrnoException;
  private closed = false;

  private constructor(readonly file: string) {}

  static async create(file: string, init: Buffer): Promise<SegmentWriter> {
    await mkdir(path.dirname(file), { recursive: true });
    const w = new SegmentWriter(file);
    w.fh = await open(file, 'wx'); // never overwrite an existing segment
    w.append(init);
    await w.flushed();
    if (w.error) throw w.error;
    return w;
  }

  /** bytes accepted but not yet on disk (the hub's backlog measure for the recorder reader) */
  get backlog(): number {
    return this.queued;
  }

  append(buf: Buffer): void {
    if (this.closed || this.error) return;
    this.queued += buf.length;
    this.chain = this.chain.then(async () => {
      this.queued -= buf.length;
      if (this.error || !this.fh) return;
      try {
        let off = 0;
        while (off < buf.length) {
          const { bytesWritten } = await this.fh.write(buf, off, buf.length - off, null);
          off += bytesWritten;
        }
        this.hash.update(buf);
        this.size += buf.length;
      } catch (e) {
        this.error = e as NodeJS.ErrnoException;
        // a partial write leaves a torn fragment: cut the file back to the last whole one
        await this.fh.truncate(this.size).catch(() => undefined);
      }
    });
  }

  /** Resolves when everything appended so far is written (or failed). */
  flushed(): Promise<void> {
    return this.chain;
  }

  /** Waits for pending writes, syncs and closes; returns the checksum of what is on disk. */
  async close(): Promise<{ size: number; checksum: string; error?: NodeJS.ErrnoException }> {
    this.closed = true;
    await this.chain;
    if (this.fh) {
      await this.fh.datasync().catch(() => undefined);
      await this.fh.close().catch(() => undefined);
      this.fh = undefined;
    }
    return { size: this.size, checksum: this.hash.digest('hex'), error: this.error };
  }
}

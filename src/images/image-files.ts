import { randomBytes } from 'node:crypto';
import { readFile as readFileCb, writeFile as writeFileCb } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';

// the callback forms: fs/promises opens a FileHandle per call, which cost ~0.25 ms of main-thread time per file
const writeFile = promisify(writeFileCb);
const readFile = promisify(readFileCb);

/**
 * Capture images on disk: `<root>/<kind>/<YYYY-MM-DD>/<gate id>/<capture id>-<name>.<ext>`, the day being the local
 * day the capture was received (retention removes whole old days). Every file is written to a temporary name and
 * renamed, so a reader (or a crash) never sees half a file; when one file of a capture fails, the others are removed.
 */
export class ImageFiles {
  private readonly dirs = new Set<string>();

  constructor(readonly root: string) {}

  /** Absolute path of a stored relative path; refuses anything that leaves the root. */
  abs(rel: string): string {
    const p = path.resolve(this.root, rel);
    if (!p.startsWith(this.root + path.sep)) throw new Error(`image path outside the store: ${rel}`);
    return p;
  }

  /** Writes the files of one capture; returns their relative paths, in order. All or nothing. */
  async writeAll(dirRel: string, files: { name: string; buf: Buffer }[]): Promise<string[]> {
    try {
      return await this.tryWriteAll(dirRel, files);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      // the directory went away under us (removed by hand or by a cleanup): make it again, once
      this.dirs.delete(this.abs(dirRel));
      return this.tryWriteAll(dirRel, files);
    }
  }

  private async tryWriteAll(dirRel: string, files: { name: string; buf: Buffer }[]): Promise<string[]> {
    const dir = this.abs(dirRel);
    if (!this.dirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      if (this.dirs.size > 10_000) this.dirs.clear();
      this.dirs.add(dir);
    }
    const done: string[] = [];
    try {
      await Promise.all(
        files.map(async (f) => {
          const final = path.join(dir, f.name);
          const tmp = `${final}.${randomBytes(4).toString('hex')}.tmp`;
          try {
            await writeFile(tmp, f.buf);
            await rename(tmp, final);
            done.push(final);
          } catch (e) {
            await unlink(tmp).catch(() => undefined);
            throw e;
          }
        }),
      );
    } catch (e) {
      await Promise.all(done.map((p) => unlink(p).catch(() => undefined)));
      throw e;
    }
    return files.map((f) => path.posix.join(dirRel, f.name));
  }

  async read(rel: string): Promise<Buffer> {
    return readFile(this.abs(rel));
  }

  /** Removes files (missing ones are fine); returns how many were removed. */
  async remove(rels: string[]): Promise<number> {
    let n = 0;
    await Promise.all(
      rels.map(async (r) => {
        try {
          await unlink(this.abs(r));
          n++;
        } catch {
          /* already gone */
        }
      }),
    );
    return n;
  }

  /** Day directories of a kind (`YYYY-MM-DD`), oldest first. */
  async days(kind: string): Promise<string[]> {
    try {
      return (await readdir(path.join(this.root, kind))).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d)).sort();
    } catch {
      return [];
    }
  }

  /** Removes empty gate directories of a day and the day itself when empty. */
  async pruneDay(kind: string, day: string): Promise<void> {
    const dayDir = path.join(this.root, kind, day);
    let gates: string[] = [];
    try {
      gates = await readdir(dayDir);
    } catch {
      return;
    }
    for (const g of gates) await rmdir(path.join(dayDir, g)).catch(() => undefined);
    await rmdir(dayDir).catch(() => undefined);
    this.dirs.clear();
  }

  /** Removes a whole day directory (files left by a crash between writing and indexing). */
  async removeDay(kind: string, day: string): Promise<void> {
    await rm(path.join(this.root, kind, day), { recursive: true, force: true });
    this.dirs.clear();
  }
}

/** Content type of an image from its first bytes (falls back to the declared type). */
export function imageMime(buf: Buffer, type: string): string {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'image/jpeg';
  if (buf.length >= 8 && buf.readUInt32BE(0) === 0x89504e47) return 'image/png';
  if (buf.length >= 6 && buf.toString('latin1', 0, 4) === 'GIF8') return 'image/gif';
  if (buf.length >= 2 && buf[0] === 0x42 && buf[1] === 0x4d) return 'image/bmp';
  if (buf.length >= 12 && buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  const t = type.toLowerCase();
  if (t === 'jpg' || t === 'jpeg') return 'image/jpeg';
  if (['png', 'gif', 'bmp', 'webp'].includes(t)) return `image/${t}`;
  return 'application/octet-stream';
}

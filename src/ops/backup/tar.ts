import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';

/**
 * The backup container: a gzip'd POSIX ustar archive (IEEE 1003.1-1988 / POSIX.1-2001 pax "ustar" header), so an
 * operator can look inside with `tar tzf`. Only plain files, names < 100 bytes, sizes < 8 GiB (11 octal digits).
 */
const BLOCK = 512;
const MAX_SIZE = 8 ** 11 - 1;

export interface TarSource {
  name: string;
  /** a file to stream, or bytes */
  file?: string;
  data?: Buffer;
  size: number;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

export function tarHeader(name: string, size: number, mtimeSec: number): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  if (Buffer.byteLength(name) >= 100) throw new Error(`tar: name too long: ${name}`);
  if (size > MAX_SIZE) throw new Error(`tar: ${name} is larger than 8 GiB`);
  h.write(name, 0, 'utf8');
  h.write(octal(0o600, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(mtimeSec, 12), 136, 'ascii');
  h.fill(0x20, 148, 156); // checksum counted as spaces
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

function parseHeader(h: Buffer): { name: string; size: number } | null {
  if (h.every((b) => b === 0)) return null;
  const stored = parseInt(h.subarray(148, 156).toString('ascii').replace(/[\0 ]/g, '') || 'x', 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
  if (stored !== sum) throw new Error('tar header checksum mismatch');
  const name = h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
  const size = parseInt(h.subarray(124, 136).toString('ascii').replace(/[\0 ]/g, '') || '0', 8);
  if (!Number.isFinite(size) || size < 0) throw new Error('tar header size unreadable');
  const type = String.fromCharCode(h[156] || 0x30);
  if (type !== '0') throw new Error(`tar entry ${name} is not a plain file`);
  return { name, size };
}

/** Writes `<file>.tar.gz` from the sources in order (streamed: memory stays small whatever the database size). */
export async function writeTarGz(out: string, sources: TarSource[], mtime = new Date()): Promise<void> {
  const sec = Math.floor(mtime.getTime() / 1000);
  async function* blocks() {
    for (const s of sources) {
      yield tarHeader(s.name, s.size, sec);
      if (s.data) yield s.data;
      else if (s.file) for await (const chunk of createReadStream(s.file)) yield chunk as Buffer;
      const pad = (BLOCK - (s.size % BLOCK)) % BLOCK;
      if (pad) yield Buffer.alloc(pad);
    }
    yield Buffer.alloc(BLOCK * 2);
  }
  await pipeline(blocks(), createGzip({ level: 6 }), createWriteStream(out, { mode: 0o600 }));
}

/** Pulls exact byte counts from an async chunk source. */
class Bytes {
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  constructor(private readonly it: AsyncIterator<Buffer>) {}

  private async fill(n: number): Promise<boolean> {
    while (this.buf.length < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else this.buf = this.buf.length ? Buffer.concat([this.buf, r.value]) : r.value;
    }
    return this.buf.length >= n;
  }

  async exact(n: number): Promise<Buffer | null> {
    if (!(await this.fill(n))) return null;
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Hands `n` bytes to `sink` chunk by chunk. */
  async stream(n: number, sink: (b: Buffer) => Promise<void> | void): Promise<boolean> {
    let left = n;
    while (left > 0) {
      if (!this.buf.length && !(await this.fill(1))) return false;
      const take = Math.min(left, this.buf.length);
      await sink(this.buf.subarray(0, take));
      this.buf = this.buf.subarray(take);
      left -= take;
    }
    return true;
  }
}

export interface ExtractedEntry {
  name: string;
  size: number;
  sha256: string;
}

/**
 * Reads a .tar.gz entry by entry. `onEntry` sees each name first and answers where to write it (a file path), or
 * 'memory' to get the bytes back (the manifest), or throws to stop. Every entry's SHA-256 is computed on the way.
 * Damage (gzip CRC, truncation, a bad header) throws.
 */
export async function readTarGz(file: string, onEntry: (name: string, size: number, bytes?: Buffer) => Promise<string | 'memory'> | string | 'memory', afterMemory?: (name: string, bytes: Buffer) => Promise<void> | void): Promise<ExtractedEntry[]> {
  const gunzip = createReadStream(file).pipe(createGunzip());
  const src = new Bytes(gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
  const out: ExtractedEntry[] = [];
  try {
    for (;;) {
      const h = await src.exact(BLOCK);
      if (!h) throw new Error('archive ends without its end marker (truncated)');
      const e = parseHeader(h);
      if (!e) {
        // read to the end so gunzip checks its CRC-32 and length trailer (RFC 1952 §2.3.1)
        while (await src.exact(BLOCK));
        break;
      }
      const where = await onEntry(e.name, e.size);
      const hash = createHash('sha256');
      if (where === 'memory') {
        if (e.size > 16 * 2 ** 20) throw new Error(`${e.name} is too large to be a manifest`);
        const bytes = await src.exact(e.size);
        if (!bytes) throw new Error(`${e.name} is truncated`);
        hash.update(bytes);
        await afterMemory?.(e.name, Buffer.from(bytes));
      } else {
        const ws = createWriteStream(where, { mode: 0o600 });
        const ok = await src.stream(e.size, async (b) => {
          hash.update(b);
          if (!ws.write(b)) await once(ws, 'drain');
        });
        ws.end();
        await once(ws, 'close');
        if (!ok) throw new Error(`${e.name} is truncated`);
      }
      out.push({ name: e.name, size: e.size, sha256: hash.digest('hex') });
      const pad = (BLOCK - (e.size % BLOCK)) % BLOCK;
      if (pad && !(await src.exact(pad))) throw new Error('archive truncated');
    }
  } finally {
    gunzip.destroy();
  }
  return out;
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest('hex');
}

/**
 * ISO/IEC 14496-12 §4.2 box headers: size (32) + type (4CC); size 1 → a 64-bit largesize follows the type; size 0 →
 * the box runs to the end of its container (the file, for a top-level box); type 'uuid' adds a 16-byte usertype.
 * Reading only: writers are in ../fmp4/box.ts.
 */

export class Mp4Error extends Error {
  override readonly name = 'Mp4Error';
}

export interface BoxHeader {
  type: string;
  /** offset of the box's first byte, in the coordinates of the buffer (or file) it was read from */
  start: number;
  /** header bytes (8, 16 with largesize, +16 for 'uuid') */
  headerSize: number;
  /** total size including the header */
  size: number;
  /** start + size */
  end: number;
}

/**
 * Reads the header of the box at `b[at]`. `base` is added to offsets (so headers read from a slice of a file carry
 * file offsets), `containerEnd` (same coordinates as the result) resolves size 0. Returns undefined when fewer bytes
 * than the header are available; throws Mp4Error on a size smaller than its own header.
 */
export function readBoxHeader(b: Buffer, at: number, containerEnd: number, base = 0): BoxHeader | undefined {
  if (at + 8 > b.length) return undefined;
  const size32 = b.readUInt32BE(at);
  const type = b.toString('latin1', at + 4, at + 8);
  let headerSize = 8;
  let size: number;
  if (size32 === 1) {
    if (at + 16 > b.length) return undefined;
    const big = b.readBigUInt64BE(at + 8);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Mp4Error(`box '${printable(type)}' largesize ${big} too large`);
    size = Number(big);
    headerSize = 16;
  } else if (size32 === 0) {
    size = containerEnd - (base + at);
  } else size = size32;
  if (type === 'uuid') headerSize += 16;
  if (size < headerSize) throw new Mp4Error(`box '${printable(type)}' at ${base + at} has size ${size} < its header`);
  const start = base + at;
  return { type, start, headerSize, size, end: start + size };
}

/** A box's header plus its payload (a subarray, no copy). */
export interface Box extends BoxHeader {
  body: Buffer;
}

/**
 * The boxes of one level of `b[from, to)` in order (§4.2). `base` maps buffer offsets to file offsets. Throws
 * Mp4Error when a box overruns the range: callers that expect truncation read headers with readBoxHeader instead.
 */
export function* iterateBoxes(b: Buffer, from = 0, to = b.length, base = 0): Generator<Box> {
  let o = from;
  while (o < to) {
    if (to - o < 8) throw new Mp4Error(`${to - o} stray bytes at ${base + o}`);
    const h = readBoxHeader(b.subarray(0, to), o, base + to, base);
    if (!h) throw new Mp4Error(`truncated box header at ${base + o}`);
    if (h.end > base + to) throw new Mp4Error(`box '${printable(h.type)}' at ${h.start} overruns its container`);
    yield { ...h, body: b.subarray(o + h.headerSize, o + h.size) };
    o += h.size;
  }
}

/** The children of a box. */
export function children(box: Box): Generator<Box> {
  return iterateBoxes(box.body, 0, box.body.length, box.start + box.headerSize);
}

/** The first child of this type, following a path of types (e.g. 'mdia', 'minf', 'stbl'). */
export function findBox(parent: Box, ...path: string[]): Box | undefined {
  let cur: Box | undefined = parent;
  for (const type of path) {
    let next: Box | undefined;
    for (const c of children(cur!))
      if (c.type === type) {
        next = c;
        break;
      }
    if (!next) return undefined;
    cur = next;
  }
  return cur;
}

/** Like findBox, throwing Mp4Error when a box on the path is missing. */
export function requireBox(parent: Box, ...path: string[]): Box {
  const b = findBox(parent, ...path);
  if (!b) throw new Mp4Error(`no ${path.join('/')} in '${parent.type}'`);
  return b;
}

/** FullBox (§4.2.2) version and flags, the first 4 bytes of the body. */
export function fullBoxHeader(box: Box): { version: number; flags: number } {
  if (box.body.length < 4) throw new Mp4Error(`'${box.type}' too short for a FullBox`);
  return { version: box.body[0], flags: box.body.readUIntBE(1, 3) };
}

/** 64-bit big-endian field as a number (exact up to 2^53). */
export function readU64(b: Buffer, at: number): number {
  const v = b.readBigUInt64BE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Mp4Error(`64-bit value ${v} too large`);
  return Number(v);
}

/** 'moov' etc.; non-printable types shown in hex so errors on garbage stay readable. */
export function printable(type: string): string {
  return /^[\x20-\x7e]{4}$/.test(type) ? type : Buffer.from(type, 'latin1').toString('hex');
}

/** True when a 4CC is made of printable ASCII: used to tell a real box from garbage after a crash. */
export function isPlausibleType(type: string): boolean {
  return /^[\x20-\x7e]{4}$/.test(type);
}

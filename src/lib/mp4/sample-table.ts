/**
 * A track's sample table (ISO/IEC 14496-12 §8.5–§8.7) built sample by sample, and its boxes: stts (§8.6.1.2),
 * ctts (§8.6.1.3, only when some composition offset is non-zero; version 1 when one is negative), stss (§8.6.2),
 * stsz (§8.7.3.2), stsc (§8.7.4) and stco / co64 (§8.7.5). Written straight into Buffers: tables of an hours-long
 * download hold hundreds of thousands of entries.
 */
import { Mp4Error } from './box.js';

const U32_MAX = 0xffffffff;

export class SampleTable {
  readonly durations: number[] = [];
  readonly sizes: number[] = [];
  readonly ctos: number[] = [];
  /** 1-based numbers of the sync samples */
  readonly syncSamples: number[] = [];
  /** per chunk: offset from the first byte of the mdat payload, sample count, 1-based stsd entry index */
  readonly chunkOffsets: number[] = [];
  readonly chunkCounts: number[] = [];
  readonly chunkEntries: number[] = [];
  /** sum of durations (track timescale) */
  mediaDuration = 0;
  /** sum of sizes */
  dataSize = 0;

  get count(): number {
    return this.sizes.length;
  }

  /** Starts a chunk: the samples added next are stored contiguously from `offset` (relative to the mdat payload). */
  chunk(offset: number, entry = 1): void {
    this.chunkOffsets.push(offset);
    this.chunkCounts.push(0);
    this.chunkEntries.push(entry);
  }

  add(duration: number, size: number, cto: number, key: boolean): void {
    if (this.chunkCounts.length === 0) throw new Mp4Error('SampleTable.add before chunk()');
    if (duration < 0 || size < 0) throw new Mp4Error(`negative sample duration ${duration} or size ${size}`);
    this.durations.push(duration);
    this.sizes.push(size);
    this.ctos.push(cto);
    if (key) this.syncSamples.push(this.sizes.length);
    this.chunkCounts[this.chunkCounts.length - 1]++;
    this.mediaDuration += duration;
    this.dataSize += size;
  }

  /** Changes a sample's duration once it is known (the next sample's time, the end of a requested range). */
  setDuration(index: number, duration: number): void {
    if (index < 0 || index >= this.durations.length || duration < 0) throw new Mp4Error(`bad duration ${duration} for sample ${index}`);
    this.mediaDuration += duration - this.durations[index];
    this.durations[index] = duration;
  }
}

/** A FullBox of `bodySize` payload bytes after version/flags; returns the buffer and the write position. */
function fullBoxBuffer(type: string, version: number, flags: number, bodySize: number): [Buffer, number] {
  const size = 12 + bodySize;
  if (size > U32_MAX) throw new Mp4Error(`'${type}' box of ${size} bytes`);
  const b = Buffer.allocUnsafe(size);
  b.writeUInt32BE(size, 0);
  b.write(type, 4, 4, 'latin1');
  b.writeUInt32BE(((version & 0xff) << 24) | (flags & 0xffffff), 8);
  return [b, 12];
}

/** stts: run-length (sample_count, sample_delta) pairs. */
export function sttsBox(t: SampleTable): Buffer {
  const runs = runLengths(t.durations);
  const [b, o0] = fullBoxBuffer('stts', 0, 0, 4 + 8 * runs.length / 2);
  let o = b.writeUInt32BE(runs.length / 2, o0);
  for (let i = 0; i < runs.length; i += 2) {
    o = b.writeUInt32BE(runs[i], o);
    o = b.writeUInt32BE(runs[i + 1] >>> 0, o);
  }
  return b;
}

/** ctts, or undefined when every offset is 0 (then composition time = decode time). */
export function cttsBox(t: SampleTable): Buffer | undefined {
  let any = false;
  let negative = false;
  for (const c of t.ctos) {
    if (c !== 0) any = true;
    if (c < 0) negative = true;
  }
  if (!any) return undefined;
  const runs = runLengths(t.ctos);
  const [b, o0] = fullBoxBuffer('ctts', negative ? 1 : 0, 0, 4 + 8 * runs.length / 2);
  let o = b.writeUInt32BE(runs.length / 2, o0);
  for (let i = 0; i < runs.length; i += 2) {
    o = b.writeUInt32BE(runs[i], o);
    o = negative ? b.writeInt32BE(runs[i + 1], o) : b.writeUInt32BE(runs[i + 1], o);
  }
  return b;
}

/** stss: the sync samples (omitted for tracks where every sample is sync, e.g. audio). */
export function stssBox(t: SampleTable): Buffer | undefined {
  if (t.syncSamples.length === t.count) return undefined;
  const [b, o0] = fullBoxBuffer('stss', 0, 0, 4 + 4 * t.syncSamples.length);
  let o = b.writeUInt32BE(t.syncSamples.length, o0);
  for (const n of t.syncSamples) o = b.writeUInt32BE(n, o);
  return b;
}

/** stsz: one sample_size when all are equal, else the table. */
export function stszBox(t: SampleTable): Buffer {
  const n = t.count;
  const same = n > 0 && t.sizes.every((s) => s === t.sizes[0]);
  const [b, o0] = fullBoxBuffer('stsz', 0, 0, 8 + (same ? 0 : 4 * n));
  let o = b.writeUInt32BE(same ? t.sizes[0] : 0, o0);
  o = b.writeUInt32BE(n, o);
  if (!same) for (const s of t.sizes) o = b.writeUInt32BE(s, o);
  return b;
}

/** stsc: (first_chunk, samples_per_chunk, sample_description_index) whenever the latter two change. */
export function stscBox(t: SampleTable): Buffer {
  const rows: number[] = [];
  for (let c = 0; c < t.chunkCounts.length; c++) {
    const k = rows.length;
    if (k > 0 && rows[k - 2] === t.chunkCounts[c] && rows[k - 1] === t.chunkEntries[c]) continue;
    rows.push(c + 1, t.chunkCounts[c], t.chunkEntries[c]);
  }
  const [b, o0] = fullBoxBuffer('stsc', 0, 0, 4 + 4 * rows.length);
  let o = b.writeUInt32BE(rows.length / 3, o0);
  for (const v of rows) o = b.writeUInt32BE(v, o);
  return b;
}

/** Size of the chunk offset box for this table: stco 4 bytes an entry, co64 8. */
export function chunkOffsetBoxSize(t: SampleTable, co64: boolean): number {
  return 16 + t.chunkOffsets.length * (co64 ? 8 : 4);
}

/** stco or co64 with offsets made absolute by adding `base` (the file offset of the mdat payload). */
export function chunkOffsetBox(t: SampleTable, base: number, co64: boolean): Buffer {
  const n = t.chunkOffsets.length;
  const [b, o0] = fullBoxBuffer(co64 ? 'co64' : 'stco', 0, 0, 4 + n * (co64 ? 8 : 4));
  let o = b.writeUInt32BE(n, o0);
  for (const rel of t.chunkOffsets) {
    const abs = base + rel;
    if (co64) o = b.writeBigUInt64BE(BigInt(abs), o);
    else {
      if (abs > U32_MAX) throw new Mp4Error(`chunk offset ${abs} needs co64`);
      o = b.writeUInt32BE(abs, o);
    }
  }
  return b;
}

/** The largest chunk offset, relative to the mdat payload (0 for an empty table). */
export function maxChunkOffset(t: SampleTable): number {
  let m = 0;
  for (const c of t.chunkOffsets) if (c > m) m = c;
  return m;
}

/** [count, value, count, value, …] of consecutive equal values. */
function runLengths(values: readonly number[]): number[] {
  const out: number[] = [];
  for (const v of values) {
    const k = out.length;
    if (k > 0 && out[k - 1] === v) out[k - 2]++;
    else out.push(1, v);
  }
  return out;
}

/**
 * Reading recorded segment files (fragmented MP4 written by the recorder: ftyp + moov, then moof + mdat fragments).
 *
 * `scanSegment` walks the top-level boxes with a file handle and reads only the moov and the moofs (never the
 * mdat payload), so a 100 MB segment costs a few hundred small reads. A segment whose writer crashed ends in a torn
 * fragment: the scan stops at the last fragment whose moof and sample data are complete and says how many bytes
 * are good (`validBytes`) so repair can cut the file there.
 *
 * `SegmentFrames` plays a channel's segments back as TimedFrames (RecordedFrames of ./types.ts), reading sample
 * bytes one fragment at a time.
 */
import { open } from 'node:fs/promises';
import type { Frame } from '../../lib/av/frame.js';
import {
  isPlausibleType,
  Mp4Error,
  parseInit,
  parseMoof,
  readBoxHeader,
  sampleToFrame,
  to90k,
  type FragmentSample,
  type Mp4Track,
} from '../../lib/mp4/index.js';
import { openLocal, type RandomAccess, type SegmentOpener } from './random-access.js';
import type { RecordedFrames, SegmentFile, TimedFrame } from './types.js';

/** Sanity limits: a moov or moof larger than this is taken for garbage, not allocated. */
const MAX_MOOV = 64 * 1024 * 1024;
const MAX_MOOF = 32 * 1024 * 1024;

export interface ScannedFragment {
  /** file offset of the moof box */
  moofOffset: number;
  moofSize: number;
  /** mfhd sequence_number */
  sequence: number;
  /** every sample of the known tracks (per track in decode order; see parseMoof) */
  samples: FragmentSample[];
  /** [dataStart, dataEnd): the file range holding this fragment's samples (one read gets them all) */
  dataStart: number;
  dataEnd: number;
}

export interface SegmentScan {
  tracks: Mp4Track[];
  /** the complete fragments, in file order */
  fragments: ScannedFragment[];
  /** bytes from the file start up to the end of the last complete fragment (or of the moov when none is) */
  validBytes: number;
  /** the file goes on past validBytes with a torn fragment or bytes that are not boxes */
  truncated: boolean;
  fileSize: number;
  /** the track times are measured against: video when there is one, else the first track */
  refTrackId: number;
  /** decode time (90 kHz) of the reference track's first sample: atMs = startMs + (dts90 − origin90) / 90 */
  origin90: number;
  /** from the reference track's first sample to the end of its last, ms (0 without samples) */
  durationMs: number;
  /** codec of the reference track ('h264', 'h265', 'aac', 'unknown') */
  codec: string;
}

/** Scans a segment file: tracks from the moov, complete fragments from the moofs. Throws when the file cannot be read or has no usable moov. */
export async function scanSegment(path: string): Promise<SegmentScan> {
  const fh = await open(path, 'r');
  try {
    return await scanHandle(fh);
  } finally {
    await fh.close();
  }
}

async function readExactly(fh: RandomAccess, length: number, position: number): Promise<Buffer> {
  const b = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(b, done, length - done, position + done);
    if (bytesRead === 0) throw new Mp4Error(`file ended at ${position + done}, ${length - done} bytes short`);
    done += bytesRead;
  }
  return b;
}

/**
 * Reads through a window: one read of 64 KiB at a moof usually brings its header, the whole moof and the mdat
 * header after it, so a fragment costs one read. Returned buffers are views of the window.
 */
class Window {
  private buf: Buffer = Buffer.alloc(0);
  private at = 0;

  constructor(
    private readonly fh: RandomAccess,
    private readonly size: number,
    private readonly bytes = 64 * 1024,
  ) {}

  /** Up to `length` bytes at `pos` (fewer only at the end of the file). */
  async get(pos: number, length: number): Promise<Buffer> {
    length = Math.min(length, this.size - pos);
    if (pos >= this.at && pos + length <= this.at + this.buf.length) return this.buf.subarray(pos - this.at, pos - this.at + length);
    this.buf = await readExactly(this.fh, Math.min(Math.max(length, this.bytes), this.size - pos), pos);
    this.at = pos;
    return this.buf.subarray(0, length);
  }
}

/** scanSegment on an open file or S3 object (SegmentFrames keeps the handle to read samples afterwards). */
export async function scanHandle(fh: RandomAccess): Promise<SegmentScan> {
  const fileSize = (await fh.stat()).size;
  const win = new Window(fh, fileSize);
  let tracks: Mp4Track[] | undefined;
  const fragments: ScannedFragment[] = [];
  const nextDts = new Map<number, number>();
  let pending: ScannedFragment | undefined;
  let validBytes = 0;
  let truncated = false;
  let pos = 0;
  while (pos < fileSize) {
    const head = await win.get(pos, 16);
    let h;
    try {
      h = readBoxHeader(head, 0, fileSize, pos);
    } catch {
      h = undefined; // a size smaller than its header: garbage
    }
    if (!h || !isPlausibleType(h.type) || h.end > fileSize) {
      // a header cut short, garbage, or a box that runs past the end of the file: the torn tail after a crash
      truncated = true;
      break;
    }
    if (h.type === 'moov') {
      if (h.size > MAX_MOOV) throw new Mp4Error(`moov of ${h.size} bytes`);
      tracks = parseInit(Buffer.from(await win.get(pos, h.size))).tracks; // a copy: the tracks keep views of it
      validBytes = h.end;
    } else if (h.type === 'moof') {
      if (!tracks) throw new Mp4Error('moof before moov');
      if (h.size > MAX_MOOF) {
        truncated = true;
        break;
      }
      let parsed;
      try {
        parsed = parseMoof(await win.get(pos, h.size), pos, tracks, nextDts);
      } catch (e) {
        if (!(e instanceof Mp4Error) && !(e instanceof RangeError)) throw e;
        truncated = true; // a damaged moof: nothing after it can be trusted
        break;
      }
      let dataStart = h.end;
      let dataEnd = h.end;
      if (parsed.samples.length) {
        dataStart = Infinity;
        for (const s of parsed.samples) {
          if (s.fileOffset < dataStart) dataStart = s.fileOffset;
          if (s.fileOffset + s.size > dataEnd) dataEnd = s.fileOffset + s.size;
        }
      }
      if (pending) truncated = true; // a moof whose data never came: dropped
      pending = { moofOffset: pos, moofSize: h.size, sequence: parsed.sequence, samples: parsed.samples, dataStart, dataEnd };
      if (dataEnd <= h.end) {
        fragments.push(pending);
        pending = undefined;
        validBytes = h.end;
      }
    } else if (h.type === 'mdat') {
      if (pending && pending.dataEnd <= h.end) {
        fragments.push(pending);
        pending = undefined;
        validBytes = h.end;
      } else if (!pending) validBytes = h.end;
    } else if (!pending) validBytes = h.end; // ftyp, styp, free, sidx, …
    pos = h.end;
  }
  if (!tracks) throw new Mp4Error(pos === 0 && fileSize === 0 ? 'empty file' : 'no moov box');
  if (pending) truncated = true;
  if (validBytes < fileSize) truncated = true;

  const ref = tracks.find((t) => t.kind === 'video') ?? tracks[0];
  let first: FragmentSample | undefined;
  let last: FragmentSample | undefined;
  for (const f of fragments)
    for (const s of f.samples)
      if (s.trackId === ref.id) {
        first ??= s;
        last = s;
      }
  return {
    tracks,
    fragments,
    validBytes,
    truncated,
    fileSize,
    refTrackId: ref.id,
    origin90: first ? to90k(first.dts, ref.timescale) : 0,
    durationMs: first && last ? ((last.dts + last.duration - first.dts) * 1000) / ref.timescale : 0,
    codec: ref.codec,
  };
}

export interface SegmentFramesOptions {
  /** a segment that is missing, unreadable or corrupt was skipped (iteration goes on with the next one) */
  onBadSegment?(segment: SegmentFile, error: Error): void;
  /** segments whose start is within this of the previous one's end continue it (no wait for a keyframe); default 1000 ms */
  continuityMs?: number;
  /** how a segment is opened (default: its local file; the media node reads uploaded ones from S3) */
  open?: SegmentOpener;
}

/** A sample placed on the recording timeline. */
interface Placed {
  s: FragmentSample;
  track: Mp4Track;
  /** 90 kHz on the recording timeline: startMs × 90 + (dts90 − origin90) */
  t90: number;
  video: boolean;
}

/** How many scans to keep for re-seeks into the same segments. */
const SCAN_CACHE = 4;

/**
 * The frames of a channel's segments in time order. Frame dts/pts are on the recording timeline in 90 kHz
 * (segment.startMs × 90 + dts offset within the segment), so they keep growing across segments and gaps.
 * A missing, unreadable or corrupt segment is reported through onBadSegment and skipped; iteration never throws.
 */
export class SegmentFrames implements RecordedFrames {
  private readonly segments: SegmentFile[];
  private readonly scans = new Map<number, { size: number; scan: SegmentScan }>();

  constructor(segments: readonly SegmentFile[], private readonly opts: SegmentFramesOptions = {}) {
    this.segments = [...segments].sort((a, b) => a.startMs - b.startMs);
  }

  get span(): { startMs: number; endMs: number } {
    if (this.segments.length === 0) return { startMs: 0, endMs: 0 };
    let endMs = 0;
    for (const s of this.segments) endMs = Math.max(endMs, s.endMs);
    return { startMs: this.segments[0].startMs, endMs };
  }

  from(atMs: number): AsyncIterableIterator<TimedFrame> {
    return this.iterate(Number.isFinite(atMs) ? atMs : this.span.startMs);
  }

  private bad(seg: SegmentFile, e: unknown): void {
    try {
      this.opts.onBadSegment?.(seg, e instanceof Error ? e : new Error(String(e)));
    } catch {
      // a failing observer must not end the playback
    }
  }

  private async *iterate(t: number): AsyncGenerator<TimedFrame> {
    let i = this.segments.findIndex((s) => s.endMs > t);
    if (i < 0) return;
    const continuity = this.opts.continuityMs ?? 1000;
    let seek: number | undefined = t; // only the first segment read seeks; the rest play from their start
    let prevEnd: number | undefined; // endMs of the previous segment if it was read to its end
    for (; i < this.segments.length; i++) {
      const seg = this.segments[i];
      const continues = seek === undefined && prevEnd !== undefined && seg.startMs - prevEnd <= continuity;
      prevEnd = undefined;
      let fh: RandomAccess | undefined;
      let yielded = false;
      try {
        fh = await (this.opts.open ?? openLocal)(seg);
        const scan = await this.scan(seg, fh);
        for await (const f of this.segmentFrames(seg, scan, fh, seek, !continues)) {
          yielded = true;
          yield f;
        }
        seek = undefined;
        prevEnd = seg.endMs;
      } catch (e) {
        this.bad(seg, e);
        // nothing played yet: the seek moves on to the next segment (its last keyframe ≤ t, or its first keyframe);
        // else the next segment starts at its first keyframe (needKey, since prevEnd is unset)
        if (yielded) seek = undefined;
      } finally {
        await fh?.close().catch(() => undefined);
      }
    }
  }

  private async scan(seg: SegmentFile, fh: RandomAccess): Promise<SegmentScan> {
    const size = (await fh.stat()).size;
    const hit = this.scans.get(seg.id);
    if (hit && hit.size === size) return hit.scan;
    const scan = await scanHandle(fh);
    this.scans.delete(seg.id);
    this.scans.set(seg.id, { size, scan });
    if (this.scans.size > SCAN_CACHE) this.scans.delete(this.scans.keys().next().value!);
    return scan;
  }

  /**
   * One segment's frames. With `seek`, start at the last video keyframe at or before it (the first after it when
   * there is none). With `needKey`, video before the segment's first keyframe is dropped (a decoder cannot start
   * there), and audio before that keyframe too.
   */
  private async *segmentFrames(seg: SegmentFile, scan: SegmentScan, fh: RandomAccess, seek: number | undefined, needKey: boolean): AsyncGenerator<TimedFrame> {
    const byId = new Map(scan.tracks.map((x) => [x.id, x]));
    const ref = byId.get(scan.refTrackId)!;
    const refIsVideo = ref.kind === 'video';
    const place = (s: FragmentSample): Placed => {
      const track = byId.get(s.trackId)!;
      return { s, track, t90: seg.startMs * 90 + (to90k(s.dts, track.timescale) - scan.origin90), video: track.kind === 'video' };
    };
    const atOf = (t90: number): number => t90 / 90;

    // where to start: a fragment index and a time (90 kHz) before which nothing is yielded
    let fromFrag = 0;
    let from90 = -Infinity;
    if (seek !== undefined || needKey) {
      const target90 = seek !== undefined ? seek * 90 : -Infinity;
      let before: [number, number] | undefined; // [fragment, t90] of the last key ≤ target
      let after: [number, number] | undefined;
      for (let f = 0; f < scan.fragments.length && !after; f++)
        for (const s of scan.fragments[f].samples) {
          if (s.trackId !== ref.id || !s.key) continue;
          const t90 = place(s).t90;
          if (t90 <= target90) before = [f, t90];
          else {
            after = [f, t90];
            break;
          }
        }
      const start = before ?? after;
      if (!start) return; // no keyframe to start at in this segment
      [fromFrag, from90] = start;
    }

    for (let f = fromFrag; f < scan.fragments.length; f++) {
      const frag = scan.fragments[f];
      if (frag.samples.length === 0) continue;
      const data = await readExactly(fh, frag.dataEnd - frag.dataStart, frag.dataStart); // one read per fragment
      const placed = frag.samples.map(place);
      // one timeline: by time, video first on ties (as the hub delivers)
      placed.sort((a, b) => a.t90 - b.t90 || (a.video === b.video ? 0 : a.video ? -1 : 1));
      for (const p of placed) {
        if (p.t90 < from90) continue;
        if (p.t90 === from90 && refIsVideo && p.video && !p.s.key && f === fromFrag) continue;
        const bytes = data.subarray(p.s.fileOffset - frag.dataStart, p.s.fileOffset - frag.dataStart + p.s.size);
        const frame: Frame | undefined = sampleToFrame(p.track, { dts: p.t90, cto: to90k(p.s.cto, p.track.timescale), key: p.s.key, entry: p.s.entry }, bytes);
        if (frame) yield { frame, atMs: atOf(p.t90) };
      }
    }
  }
}

/**
 * Downloading a time range of recordings as one progressive MP4 (ISO/IEC 14496-12, moov before mdat) that any
 * player opens: the segment files' fragments are re-indexed into one set of sample tables, and the sample bytes are
 * copied from the segments unchanged, in large reads.
 *
 * - planDownload scans the segments in range (moov and moofs only) and builds the whole header up front, so the
 *   exact size is known before the first byte is sent (HTTP Content-Length).
 * - The file starts at the last video keyframe at or before startMs (so it decodes from its first frame); an edit
 *   list (§8.6.6) makes the presentation start at startMs. It ends with the last sample before endMs.
 * - Gaps between segments are closed up: the next segment's first sample follows the previous segment's last one,
 *   so the file is shorter than endMs − startMs by the missing time (a player shows no frozen stretch).
 * - A segment that is missing, unreadable or corrupt is left out and reported in `skipped`; the rest downloads.
 *   After such a hole (or any gap) video restarts at the next keyframe.
 * - Resolution or codec changes between segments become several stsd entries (stsc picks one per chunk).
 * - Audio (AAC) whose sample rate differs from the first segment's is left out (one track has one timescale).
 */
import { once } from 'node:events';
import { open as openFile } from 'node:fs/promises';
import { AppError } from '../../core/errors.js';
import { CLOCK_HZ } from '../../lib/av/frame.js';
import { progressiveHeader, SampleTable, to90k, type FragmentSample, type Mp4Track, type ProgressiveTrack } from '../../lib/mp4/index.js';
import { openLocal, type RandomAccess, type SegmentOpener } from './random-access.js';
import { scanHandle, type SegmentScan } from './segment-reader.js';
import type { SegmentFile } from './types.js';

export interface DownloadOptions {
  /** a segment in range was left out (also listed in the plan's `skipped`) */
  onBadSegment?(segment: SegmentFile, error: Error): void;
  /** write co64 chunk offsets even when 32 bits would do (tests) */
  forceCo64?: boolean;
  /** a segment that starts within this of the previous one's end continues it without waiting for a keyframe (default 1000 ms) */
  continuityMs?: number;
  /** how a segment is opened (default: its local file; the media node reads uploaded ones from S3) */
  open?: SegmentOpener;
}

/** A byte range of a segment file, copied as is into the output's mdat; or, with `data`, bytes made by the plan. */
export interface CopyRange {
  path: string;
  offset: number;
  length: number;
  /** bytes to write instead of reading (in-band parameter sets after a sample entry change) */
  data?: Buffer;
}

export interface DownloadPlan {
  /** ftyp + moov + mdat header */
  header: Buffer;
  /** the mdat payload, in output order; adjacent source bytes are already merged */
  ranges: CopyRange[];
  /** exact size of the file writeDownload produces */
  size: number;
  /** presentation duration (the gaps closed up) */
  durationMs: number;
  /** wall clock of the first presented instant (startMs, or later when the recordings begin later) */
  startMs: number;
  /** wall clock just after the last presented sample */
  endMs: number;
  /** segments in range that were left out, with why */
  skipped: { segment: SegmentFile; reason: string }[];
  /** segments that contributed samples */
  used: SegmentFile[];
  video?: { codec: string; samples: number; width: number; height: number };
  audio?: { codec: string; samples: number; sampleRate: number };
  co64: boolean;
  /** opens a range's source by its path (the plan's opener; local files by default) */
  open?: (path: string) => Promise<RandomAccess>;
}

/** Segments scanned concurrently while planning. */
const SCAN_AHEAD = 3;

/** Per output track: the table under construction and the distinct sample entries met so far. */
interface TrackOut {
  table: SampleTable;
  entries: Buffer[];
  timescale: number;
  width: number;
  height: number;
  codec: string;
}

function entryIndex(out: TrackOut, entry: Buffer): number {
  const i = out.entries.findIndex((e) => e.equals(entry));
  if (i >= 0) return i + 1;
  out.entries.push(entry);
  return out.entries.length;
}

/** A selected sample and where it goes. */
interface Pick {
  s: FragmentSample;
  frag: number;
  /** output decode time: 90 kHz for video, the audio timescale for audio */
  out: number;
  duration: number;
  video: boolean;
}

export async function planDownload(segments: readonly SegmentFile[], startMs: number, endMs: number, opts: DownloadOptions = {}): Promise<DownloadPlan> {
  if (!(endMs > startMs)) throw new AppError('RANGE_INVALID', `end ${endMs} is not after start ${startMs}`);
  const continuity = opts.continuityMs ?? 1000;
  const inRange = segments.filter((s) => s.endMs > startMs && s.startMs < endMs).sort((a, b) => a.startMs - b.startMs);
  const skipped: DownloadPlan['skipped'] = [];
  const used: SegmentFile[] = [];
  const skip = (segment: SegmentFile, e: unknown): void => {
    const err = e instanceof Error ? e : new Error(String(e));
    skipped.push({ segment, reason: err.message });
    opts.onBadSegment?.(segment, err);
  };

  let video: TrackOut | undefined;
  let audio: TrackOut | undefined;
  /** 90 kHz output time of the next video sample; audio follows the same clock */
  let next90 = 0;
  /** pre-roll: 90 kHz from the first video sample to the presentation start */
  let preroll90 = 0;
  let presentStartMs: number | undefined;
  let lastEndMs = startMs;
  let lastAudioOut = -Infinity;
  let firstAudio90: number | undefined;
  const audioOut: number[] = []; // output dts of each audio sample, for its duration once the next is known
  const audioOwnDur: number[] = [];
  let payload = 0;
  const ranges: CopyRange[] = [];
  let prevEnd: number | undefined; // endMs of the previous segment when it was used to its end
  let kind: 'video' | 'audio' | undefined; // what the download is timed by: the first usable segment decides
  let setsEntry = 1; // the video sample entry whose parameter sets a decoder has last seen (the first entry at start)

  const opener = opts.open ?? openLocal;
  const scanOne = async (seg: SegmentFile): Promise<SegmentScan> => {
    const fh = await opener(seg);
    try {
      return await scanHandle(fh);
    } finally {
      await fh.close().catch(() => undefined);
    }
  };
  // scans run a few segments ahead of the one being planned (bounded: each holds its sample records)
  const scans: Promise<SegmentScan>[] = [];
  const scanAhead = (i: number): void => {
    if (i < inRange.length && !scans[i]) {
      scans[i] = scanOne(inRange[i]);
      scans[i].catch(() => undefined); // handled when awaited
    }
  };
  for (let i = 0; i < SCAN_AHEAD; i++) scanAhead(i);
  for (let si = 0; si < inRange.length; si++) {
    const seg = inRange[si];
    scanAhead(si + SCAN_AHEAD);
    let scan: SegmentScan;
    try {
      scan = await scans[si];
      delete scans[si];
    } catch (e) {
      delete scans[si];
      skip(seg, e);
      prevEnd = undefined;
      continue;
    }
    const vt = scan.tracks.find((t) => t.kind === 'video' && (t.codec === 'h264' || t.codec === 'h265'));
    const at = scan.tracks.find((t) => t.kind === 'audio' && t.codec === 'aac');
    kind ??= vt ? 'video' : at ? 'audio' : undefined;
    const ref = kind === 'video' ? vt : at;
    if (!ref) {
      skip(seg, new Error(kind === 'video' ? 'no H.264/H.265 video track' : 'no AAC audio track'));
      prevEnd = undefined;
      continue;
    }
    if (scan.fragments.length === 0) {
      skip(seg, new Error('no complete fragment'));
      prevEnd = undefined;
      continue;
    }
    const origin90 = to90k(firstDts(scan, ref.id), ref.timescale);
    const t90 = (s: FragmentSample, t: Mp4Track): number => to90k(s.dts, t.timescale);
    const atMs = (s: FragmentSample, t: Mp4Track): number => seg.startMs + (t90(s, t) - origin90) / 90;

    // the reference track's samples in range: from a start keyframe to the last sample before endMs
    const refs: { s: FragmentSample; frag: number }[] = [];
    scan.fragments.forEach((f, frag) => {
      for (const s of f.samples) if (s.trackId === ref.id) refs.push({ s, frag });
    });
    let first: number;
    if (presentStartMs === undefined) {
      let k = -1;
      for (let i = 0; i < refs.length; i++) if (refs[i].s.key && atMs(refs[i].s, ref) <= startMs) k = i;
      if (k < 0) k = refs.findIndex((r) => r.s.key && atMs(r.s, ref) > startMs);
      first = k;
    } else {
      const continues = prevEnd !== undefined && seg.startMs - prevEnd <= continuity;
      first = continues ? 0 : refs.findIndex((r) => r.s.key);
    }
    let last = -1;
    for (let i = Math.max(0, first); i < refs.length; i++) if (atMs(refs[i].s, ref) < endMs) last = i;
    if (first < 0 || last < first) {
      prevEnd = undefined;
      continue; // nothing to start from in range
    }
    const cutByEnd = last < refs.length - 1;

    // output times: the first picked reference sample lands at next90 (gaps closed up)
    const base90 = t90(refs[first].s, ref);
    const out90 = (s: FragmentSample, t: Mp4Track): number => next90 + (t90(s, t) - base90);
    if (presentStartMs === undefined) {
      presentStartMs = Math.max(startMs, atMs(refs[first].s, ref));
      preroll90 = Math.round((presentStartMs - atMs(refs[first].s, ref)) * 90);
    }
    const picks: Pick[] = [];
    for (let i = first; i <= last; i++) {
      const { s, frag } = refs[i];
      // until the next sample of the segment, the last one of the segment its own duration; cut at endMs
      let duration = i + 1 < refs.length ? t90(refs[i + 1].s, ref) - t90(s, ref) : to90k(s.duration, ref.timescale);
      if (i === last && cutByEnd) duration = Math.max(1, Math.min(duration, Math.round((endMs - atMs(s, ref)) * 90)));
      picks.push({ s, frag, out: out90(s, ref), duration: Math.max(0, duration), video: kind === 'video' });
    }
    const lastPick = picks[picks.length - 1];
    const segEnd90 = lastPick.out + lastPick.duration;

    // audio between the first presented instant and the end of the picked video
    const audioTrack = kind === 'video' ? at : undefined;
    if (audioTrack && audio && audio.timescale !== audioTrack.timescale) {
      // one track, one timescale: a different rate's audio is left out
    } else if (audioTrack) {
      const from90 = picks[0].out + (used.length === 0 ? preroll90 : 0);
      scan.fragments.forEach((f, frag) => {
        for (const s of f.samples) {
          if (s.trackId !== audioTrack.id) continue;
          const o90 = out90(s, audioTrack);
          if (o90 < from90 || o90 >= segEnd90 || atMs(s, audioTrack) >= endMs) continue;
          const out = Math.round((o90 * audioTrack.timescale) / CLOCK_HZ);
          if (out <= lastAudioOut) continue; // overlaps what came before
          lastAudioOut = out;
          firstAudio90 ??= o90;
          picks.push({ s, frag, out, duration: s.duration, video: false });
        }
      });
    }

    // lay the picked samples out: per fragment in file order, one chunk per (fragment, track) run
    video ??= kind === 'video' ? newTrack(ref) : undefined;
    if (audioTrack && !audio && (kind === 'audio' || picks.some((p) => !p.video))) audio = newTrack(audioTrack);
    if (kind === 'audio') audio ??= newTrack(ref);
    picks.sort((a, b) => a.frag - b.frag || a.s.fileOffset - b.s.fileOffset);
    let prev: { frag: number; trackId: number; entry: number } | undefined;
    for (const p of picks) {
      const isVideo = kind === 'video' && p.s.trackId === ref.id;
      const out = isVideo ? video! : audio!;
      const track = isVideo ? ref : kind === 'audio' ? ref : audioTrack!;
      const entry = entryIndex(out, track.sampleEntries[p.s.entry - 1] ?? track.sampleEntry);
      if (!prev || prev.frag !== p.frag || prev.trackId !== p.s.trackId || prev.entry !== entry) out.table.chunk(payload, entry);
      prev = { frag: p.frag, trackId: p.s.trackId, entry };
      let size = p.s.size;
      if (isVideo && p.s.key && entry !== setsEntry) {
        // the sample entry changed (new SPS: resolution, profile): the keyframe also carries the new parameter sets
        // in band, for decoders that set themselves up from the first stsd entry only
        const sets = lengthPrefixedParameterSets(track, p.s.entry);
        if (sets) {
          ranges.push({ path: '', offset: 0, length: sets.length, data: sets });
          payload += sets.length;
          size += sets.length;
        }
        setsEntry = entry;
      }
      if (isVideo) out.table.add(p.duration, size, to90k(p.s.cto, ref.timescale), p.s.key);
      else {
        out.table.add(0, size, 0, true);
        if (kind === 'audio') {
          audioOut.push(Math.round((p.out * ref.timescale) / CLOCK_HZ));
          firstAudio90 ??= p.out;
        } else audioOut.push(p.out);
        audioOwnDur.push(p.s.duration);
      }
      const r = ranges[ranges.length - 1];
      if (r && !r.data && r.path === seg.path && r.offset + r.length === p.s.fileOffset) r.length += p.s.size;
      else ranges.push({ path: seg.path, offset: p.s.fileOffset, length: p.s.size });
      payload += p.s.size;
    }
    next90 = segEnd90;
    lastEndMs = atMs(lastPick.s, ref) + lastPick.duration / 90;
    used.push(seg);
    prevEnd = cutByEnd ? undefined : seg.endMs;
  }

  if (presentStartMs === undefined || (!video && !audio)) throw new AppError('NO_RECORDINGS', 'nothing recorded in the requested range');

  // audio durations: up to the next sample (small gaps closed), the last one its own
  if (audio) {
    for (let i = 0; i < audioOut.length; i++) audio.table.setDuration(i, i + 1 < audioOut.length ? audioOut[i + 1] - audioOut[i] : audioOwnDur[i]);
  }

  const tracks: ProgressiveTrack[] = [];
  let durationMs: number;
  if (video) {
    const presented = Math.max(0, video.table.mediaDuration - preroll90);
    // the first sample's composition offset shifts the whole presentation (B-frame streams)
    tracks.push(progressiveTrack('video', video, { mediaTime: preroll90 + video.table.ctos[0], duration: presented }));
    durationMs = presented / 90;
    if (audio && audio.table.count > 0) {
      const ts = audio.timescale;
      const a0 = firstAudio90 ?? preroll90;
      const edit = a0 >= preroll90 ? { mediaTime: 0, delay: Math.round(((a0 - preroll90) * ts) / CLOCK_HZ) } : { mediaTime: Math.round(((preroll90 - a0) * ts) / CLOCK_HZ) };
      tracks.push(progressiveTrack('audio', audio, edit));
    }
  } else {
    const a = audio!;
    const mediaTime = Math.round((preroll90 * a.timescale) / CLOCK_HZ);
    tracks.push(progressiveTrack('audio', a, { mediaTime }));
    durationMs = ((a.table.mediaDuration - mediaTime) * 1000) / a.timescale;
  }
  const head = progressiveHeader({ tracks, payloadSize: payload, forceCo64: opts.forceCo64 });
  const byPath = new Map(inRange.map((s) => [s.path, s]));
  return {
    open: opts.open
      ? (p) => {
          const seg = byPath.get(p);
          return seg ? opener(seg) : openFile(p, 'r');
        }
      : undefined,
    header: head.header,
    ranges,
    size: head.header.length + payload,
    durationMs,
    startMs: presentStartMs,
    endMs: Math.max(presentStartMs, lastEndMs),
    skipped,
    used,
    video: video && { codec: video.codec, samples: video.table.count, width: video.width, height: video.height },
    audio: audio && audio.table.count > 0 ? { codec: audio.codec, samples: audio.table.count, sampleRate: audio.timescale } : undefined,
    co64: head.co64,
  };
}

function newTrack(t: Mp4Track): TrackOut {
  return { table: new SampleTable(), entries: [], timescale: t.kind === 'video' ? CLOCK_HZ : t.timescale, width: t.width, height: t.height, codec: t.codec };
}

function progressiveTrack(kind: 'video' | 'audio', t: TrackOut, edit: ProgressiveTrack['edit']): ProgressiveTrack {
  return { kind, timescale: t.timescale, sampleEntries: t.entries, width: t.width, height: t.height, table: t.table, edit };
}

/** The parameter sets of a video sample entry as NAL units with the entry's length prefixes (14496-15 §4.3.2). */
function lengthPrefixedParameterSets(track: Mp4Track, entry: number): Buffer | undefined {
  const info = track.entries[entry - 1] ?? track.entries[0];
  const cfg = info.avc ?? info.hevc;
  if (!cfg) return undefined;
  const units = info.avc ? [...info.avc.sps, ...info.avc.pps] : [...info.hevc!.vps, ...info.hevc!.sps, ...info.hevc!.pps];
  if (!units.length) return undefined;
  const n = cfg.lengthSize;
  const out = Buffer.alloc(units.reduce((k, u) => k + n + u.length, 0));
  let o = 0;
  for (const u of units) {
    out.writeUIntBE(u.length, o, n);
    o += n + u.copy(out, o + n);
  }
  return out;
}

function firstDts(scan: SegmentScan, trackId: number): number {
  for (const f of scan.fragments) for (const s of f.samples) if (s.trackId === trackId) return s.dts;
  return 0;
}

/** A Node writable (fs.WriteStream, http.ServerResponse, …) or anything with an async write. */
export type DownloadSink = NodeJS.WritableStream | { write(chunk: Buffer): Promise<unknown> };

export interface WriteOptions {
  /** end a Node writable after the last byte and wait until it has flushed */
  end?: boolean;
  /** stop early (e.g. the client went away); writeDownload then rejects */
  signal?: AbortSignal;
}

/** Bytes per read: ranges closer than GAP in one file are read together, up to BLOCK bytes. */
const BLOCK = 8 * 1024 * 1024;
const GAP = 256 * 1024;

/**
 * The file's bytes in order: the header, then the sample data as Buffers of up to 8 MiB (reads of nearby ranges
 * merged, the next read issued while the current block is being consumed). For a Readable: Readable.from(...).
 */
export async function* downloadChunks(plan: DownloadPlan): AsyncGenerator<Buffer> {
  for await (const block of downloadBlocks(plan)) yield* block;
}

/** Like downloadChunks, one array per read (the header first): the pieces of a block go out in one writev. */
async function* downloadBlocks(plan: DownloadPlan): AsyncGenerator<Buffer[]> {
  yield [plan.header];
  const reads = readPlan(plan.ranges);
  let fh: RandomAccess | undefined;
  let fhPath: string | undefined;
  const openPath = plan.open ?? ((p: string): Promise<RandomAccess> => openFile(p, 'r'));
  const load = async (r: BlockRead): Promise<Buffer[]> => {
    if (r.length === 0) return r.pieces as Buffer[]; // made bytes only
    if (fhPath !== r.path) {
      await fh?.close();
      fh = undefined;
      fh = await openPath(r.path);
      fhPath = r.path;
    }
    const b = Buffer.allocUnsafe(r.length);
    let done = 0;
    while (done < r.length) {
      const { bytesRead } = await fh!.read(b, done, r.length - done, r.offset + done);
      if (bytesRead === 0) throw new Error(`${r.path} ended at ${r.offset + done}: the segment changed after the download was planned`);
      done += bytesRead;
    }
    return r.pieces.map((p) => (Buffer.isBuffer(p) ? p : b.subarray(p[0], p[0] + p[1])));
  };
  let ahead: Promise<Buffer[]> | undefined;
  try {
    ahead = reads.length ? load(reads[0]) : undefined;
    for (let i = 0; i < reads.length; i++) {
      const pieces = await ahead!;
      ahead = i + 1 < reads.length ? load(reads[i + 1]) : undefined;
      ahead?.catch(() => undefined); // surfaced when awaited
      yield pieces;
    }
  } finally {
    await ahead?.catch(() => undefined); // a read still under way when the consumer stopped
    await fh?.close().catch(() => undefined);
  }
}

interface BlockRead {
  path: string;
  offset: number;
  length: number;
  /** each output piece: [offset within the block, length], or bytes made by the plan */
  pieces: ([number, number] | Buffer)[];
}

function readPlan(ranges: readonly CopyRange[]): BlockRead[] {
  const out: BlockRead[] = [];
  let cur: BlockRead | undefined;
  for (const r of ranges) {
    if (r.data) {
      if (cur) cur.pieces.push(r.data);
      else out.push((cur = { path: '', offset: 0, length: 0, pieces: [r.data] }));
      continue;
    }
    let off = r.offset;
    let left = r.length;
    while (left > 0) {
      const end = cur ? cur.offset + cur.length : 0;
      if (cur && cur.length > 0 && cur.path === r.path && off >= end && off - end <= GAP && off + 1 - cur.offset <= BLOCK) {
        const take = Math.min(left, BLOCK - (off - cur.offset));
        cur.pieces.push([off - cur.offset, take]);
        cur.length = off + take - cur.offset;
        off += take;
        left -= take;
        continue;
      }
      const take = Math.min(left, BLOCK);
      cur = { path: r.path, offset: off, length: take, pieces: [[0, take]] };
      out.push(cur);
      off += take;
      left -= take;
    }
  }
  return out;
}

/**
 * Streams the planned file to `out`: exactly plan.size bytes (it throws otherwise, e.g. when a segment shrank
 * since planning, so a Content-Length reply is never silently short). Waits for 'drain' on a Node writable.
 * The writable is left open unless opts.end.
 */
export async function writeDownload(plan: DownloadPlan, out: DownloadSink, onProgress?: (bytesDone: number, total: number) => void, opts: WriteOptions = {}): Promise<number> {
  let done = 0;
  const node = typeof (out as NodeJS.WritableStream).on === 'function' ? (out as NodeJS.WritableStream & { writableNeedDrain?: boolean; destroyed?: boolean; cork?: () => void; uncork?: () => void }) : undefined;
  for await (const block of downloadBlocks(plan)) {
    opts.signal?.throwIfAborted();
    if (node) {
      if (node.destroyed) throw new Error('download sink closed');
      // corked, the pieces of one read leave in one writev
      node.cork?.();
      let ok = true;
      for (const piece of block) ok = node.write(piece) && ok;
      node.uncork?.();
      if (!ok && node.writableNeedDrain !== false) await drained(node, opts.signal);
    } else for (const piece of block) await (out as { write(chunk: Buffer): Promise<unknown> }).write(piece);
    for (const piece of block) done += piece.length;
    onProgress?.(done, plan.size);
  }
  if (done !== plan.size) throw new Error(`wrote ${done} bytes, planned ${plan.size}`);
  if (node && opts.end) {
    const finished = once(node, 'finish', { signal: opts.signal });
    node.end();
    await finished;
  }
  return done;
}

/** Resolves on 'drain'; rejects when the writable errors or closes first. */
async function drained(w: NodeJS.WritableStream, signal?: AbortSignal): Promise<void> {
  const ac = new AbortController();
  const onAbort = (): void => ac.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.race([
      once(w, 'drain', { signal: ac.signal }),
      once(w, 'close', { signal: ac.signal }).then(() => {
        throw new Error('download sink closed');
      }),
    ]);
  } finally {
    ac.abort();
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Segment files as the recorder writes them (init segment, then a fragment at every video keyframe and at least
 * every `fragmentMs`, each muxed with origin = the segment's first video dts and nextVideoDts = the next fragment's
 * first video dts), from the real encoded fixture clips. Shared by the record tests and bench/record-download.ts.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Frame, TrackParams } from '../../src/lib/av/frame.js';
import { initSegment, mediaSegment } from '../../src/lib/fmp4/index.js';
import type { SegmentFile } from '../../src/media/record/types.js';

export interface MadeSegment {
  bytes: Buffer;
  /** the frames of each fragment, in the order muxed */
  fragments: Frame[][];
  /** first video dts (90 kHz): the segment's time origin */
  origin: number;
  /** byte offset where each fragment (moof) starts */
  fragmentOffsets: number[];
}

/** Muxes frames (video first on equal dts) into one segment file's bytes. */
export function segmentBytes(params: TrackParams, frames: readonly Frame[], opts: { fragmentMs?: number } = {}): MadeSegment {
  const fragmentTicks = (opts.fragmentMs ?? 1000) * 90;
  const firstVideo = frames.find((f) => f.track === 'video');
  const origin = (firstVideo ?? frames[0]).dts;
  const groups: Frame[][] = [];
  let cur: Frame[] = [];
  let since: number | undefined;
  for (const f of frames) {
    const hasVideo = cur.some((x) => x.track === 'video');
    if (f.track === 'video' && hasVideo && (f.key || f.dts - since! >= fragmentTicks)) {
      groups.push(cur);
      cur = [];
      since = undefined;
    }
    if (f.track === 'video') since ??= f.dts;
    cur.push(f);
  }
  if (cur.length) groups.push(cur);
  const parts: Buffer[] = [initSegment(params)];
  const fragmentOffsets: number[] = [];
  let off = parts[0].length;
  groups.forEach((g, i) => {
    const nextVideo = groups[i + 1]?.find((f) => f.track === 'video');
    const buf = mediaSegment(g, i + 1, params, { origin, nextVideoDts: nextVideo?.dts });
    fragmentOffsets.push(off);
    off += buf.length;
    parts.push(buf);
  });
  return { bytes: Buffer.concat(parts), fragments: groups, origin, fragmentOffsets };
}

let nextId = 1;

/** Writes a segment file and returns its index row (startMs as given, endMs from the video span). */
export function writeSegment(dir: string, name: string, params: TrackParams, frames: readonly Frame[], startMs: number, opts: { fragmentMs?: number } = {}): SegmentFile & { made: MadeSegment } {
  const made = segmentBytes(params, frames, opts);
  const file = path.join(dir, name);
  writeFileSync(file, made.bytes);
  const video = frames.filter((f) => f.track === 'video');
  const last = video[video.length - 1];
  const frameTicks = video.length > 1 ? video[1].dts - video[0].dts : 3600;
  const endMs = startMs + (last.dts + frameTicks - made.origin) / 90;
  return { id: nextId++, channelId: '34020000001320000001', startMs, endMs, path: file, size: made.bytes.length, made };
}

/** Video frames [from, to) of a clip plus the audio frames whose dts falls within their span. */
export function slice(video: readonly Frame[], audio: readonly Frame[], from: number, to: number): Frame[] {
  const v = video.slice(from, to);
  const start = v[0].dts;
  const end = to < video.length ? video[to].dts : v[v.length - 1].dts + (v[1].dts - v[0].dts);
  const a = audio.filter((f) => f.dts >= start && f.dts < end);
  return [...v, ...a].sort((x, y) => x.dts - y.dts || (x.track === y.track ? 0 : x.track === 'video' ? -1 : 1));
}

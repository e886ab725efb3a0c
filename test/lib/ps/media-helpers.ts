/** Test helpers: access units of the Annex-B fixtures, ffmpeg/ffprobe runners, chunking. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VideoCodec, VideoFrame } from '../../../src/lib/av/frame.js';
import { splitAnnexB } from '../../../src/lib/h264/index.js';
import { h264StartsAccessUnit, isH264Keyframe } from '../../../src/lib/h264/index.js';
import { h265StartsAccessUnit, isH265Keyframe } from '../../../src/lib/h265/index.js';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/media');
export const fixture = (name: string): Buffer => readFileSync(path.join(FIXTURES, name));
export const H264_FILE = 'h264-640x360-25fps-gop25.h264';
export const H265_FILE = 'h265-640x360-25fps-gop25.h265';

/** Access units of an Annex-B stream in decoding order (a new AU at an AU-start NAL after a VCL NAL). */
export function accessUnits(es: Buffer, codec: 'h264' | 'h265'): Buffer[][] {
  const aus: Buffer[][] = [];
  let cur: Buffer[] = [];
  let vcl = false;
  for (const u of splitAnnexB(es)) {
    const starts = codec === 'h264' ? h264StartsAccessUnit(u, 0) : h265StartsAccessUnit(u, 0);
    const isVcl = codec === 'h264' ? (u[0] & 0x1f) >= 1 && (u[0] & 0x1f) <= 5 : ((u[0] >> 1) & 0x3f) <= 31;
    if (starts && vcl) {
      aus.push(cur);
      cur = [];
      vcl = false;
    }
    cur.push(u);
    if (isVcl) vcl = true;
  }
  if (cur.length) aus.push(cur);
  return aus;
}

/** VideoFrames of an Annex-B fixture at 25 fps (pts = dts = start + i·3600). */
export function videoFrames(es: Buffer, codec: 'h264' | 'h265', start = 90_000): VideoFrame[] {
  return accessUnits(es, codec).map((units, i) => ({
    track: 'video' as const,
    codec: codec as VideoCodec,
    pts: start + i * 3600,
    dts: start + i * 3600,
    key: codec === 'h264' ? isH264Keyframe(units) : isH265Keyframe(units),
    units,
  }));
}

/** Cuts buf into pieces of pseudo-random sizes in [min, max] (deterministic). */
export function chunks(buf: Buffer, min: number, max: number, seed = 1): Buffer[] {
  const out: Buffer[] = [];
  let s = seed;
  let pos = 0;
  while (pos < buf.length) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const n = min + (s % (max - min + 1));
    out.push(buf.subarray(pos, Math.min(buf.length, pos + n)));
    pos += n;
  }
  return out;
}

export const hasFfmpeg = spawnSync('ffprobe', ['-version']).status === 0 && spawnSync('ffmpeg', ['-version']).status === 0;

export function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface ProbedStream {
  codec_name: string;
  codec_type: string;
  width?: number;
  height?: number;
  nb_read_frames?: string;
  sample_rate?: string;
  channels?: number;
}

export function ffprobeStreams(file: string): ProbedStream[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-of', 'json', file], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return (JSON.parse(out.toString()) as { streams: ProbedStream[] }).streams;
}

/** Units of a well-formed PS (pack headers, PES, PSM …) as [stream id, start, end). */
export function walkPs(ps: Buffer): [number, number, number][] {
  const out: [number, number, number][] = [];
  let o = 0;
  while (o + 4 <= ps.length) {
    if (ps.readUIntBE(o, 3) !== 1) throw new Error(`no start code at ${o}`);
    const id = ps[o + 3];
    const end = id === 0xba ? o + 14 + (ps[o + 13] & 7) : id === 0xb9 ? o + 4 : o + 6 + ps.readUInt16BE(o + 4);
    out.push([id, o, end]);
    o = end;
  }
  return out;
}

/** PS with the units whose stream id satisfies drop removed. */
export function dropUnits(ps: Buffer, drop: (id: number) => boolean): Buffer {
  return Buffer.concat(walkPs(ps).filter(([id]) => !drop(id)).map(([, s, e]) => ps.subarray(s, e)));
}

export interface FrameSummary {
  track: string;
  codec: string;
  pts: number;
  dts: number;
  key: boolean;
  units: string[];
}

/** Frames in a form deepEqual can compare (units as hex digests would hide nothing: lengths + first/last bytes). */
export function summary(frames: readonly { track: string; codec: string; pts: number; dts: number; key: boolean; units: readonly Buffer[] }[]): FrameSummary[] {
  return frames.map((f) => ({
    track: f.track,
    codec: f.codec,
    pts: f.pts,
    dts: f.dts,
    key: f.key,
    units: f.units.map((u) => `${u.length}:${u.subarray(0, 8).toString('hex')}:${u.subarray(-8).toString('hex')}`),
  }));
}

/** Every unit of a equals (bytes) the unit of b at the same place. */
export function sameUnits(a: readonly { units: readonly Buffer[] }[], b: readonly { units: readonly Buffer[] }[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i].units.length !== b[i].units.length) return false;
    for (let k = 0; k < a[i].units.length; k++) if (!a[i].units[k].equals(b[i].units[k])) return false;
  }
  return true;
}

/**
 * MPEG-2 program stream writer the way GB/T 28181-2016 附录C cameras send it: one pack per frame; system header + PSM
 * before every keyframe; video PES carrying Annex-B (ISO/IEC 13818-1 §2.5, PES §2.4.3.6) with PTS (+ DTS when it
 * differs) on the first PES of the frame, split when longer than maxPesLength; audio PES with PTS (AAC as ADTS).
 */
import type { AudioParams, Frame, TrackParams, VideoFrame } from '../av/frame.js';
import { adtsHeader } from '../aac/adts.js';
import { parseAudioSpecificConfig } from '../aac/config.js';
import { H264Nal } from '../h264/nal.js';
import { H265Nal } from '../h265/nal.js';
import { systemHeaderSize, writePackHeader, writeSystemHeader, type SystemStream } from './pack.js';
import { MAX_PES_LENGTH, writePesHeader } from './pes.js';
import { psmSize, writePsm, type PsmEntry } from './psm.js';
import { streamTypeOf } from './stream-types.js';

export interface PsMuxOptions {
  /** largest PES_packet_length (default and max 65,535; min 64): longer frames are split over several PES */
  maxPesLength?: number;
  /** default 0xE0 */
  videoStreamId?: number;
  /** default 0xC0 */
  audioStreamId?: number;
  /** program_mux_rate / rate_bound in bytes per second (default 2,500,000) */
  muxRate?: number;
}

const START_CODE = Buffer.from([0, 0, 0, 1]);

interface Resolved {
  maxPes: number;
  videoId: number;
  audioId: number;
  rate: number;
}

function resolve(o: PsMuxOptions = {}): Resolved {
  const maxPes = Math.max(64, Math.min(MAX_PES_LENGTH, Math.floor(o.maxPesLength ?? MAX_PES_LENGTH)));
  return {
    maxPes,
    videoId: o.videoStreamId ?? 0xe0,
    audioId: o.audioStreamId ?? 0xc0,
    rate: Math.max(1, Math.ceil((o.muxRate ?? 2_500_000) / 50)),
  };
}

/**
 * One frame as a PS pack (stateless: PSM version 0). The system header and PSM are written before video keyframes,
 * and before audio frames of a stream without video.
 */
export function muxPs(frame: Frame, params: TrackParams, opts?: PsMuxOptions): Buffer {
  const withMap = frame.track === 'video' ? frame.key : !params.video;
  return writeFrame(frame, params, resolve(opts), withMap, 0);
}

/** PS writer keeping the PSM version (bumped when the params change) and sending the PSM on the first frame. */
export class PsMuxer {
  private readonly o: Resolved;
  private params: TrackParams;
  private version = 0;
  private mapSent = false;
  private lastMapPts = -Infinity;

  constructor(params: TrackParams, opts?: PsMuxOptions) {
    this.params = params;
    this.o = resolve(opts);
  }

  /** New track parameters (a camera changed codec or resolution): the next frame carries a new PSM version. */
  setParams(params: TrackParams): void {
    this.params = params;
    this.version = (this.version + 1) & 0x1f;
    this.mapSent = false;
  }

  mux(frame: Frame): Buffer {
    let withMap = !this.mapSent || (frame.track === 'video' && frame.key);
    // audio-only streams: the PSM once a second so a receiver joining late learns the codec
    if (!this.params.video && frame.pts - this.lastMapPts >= 90_000) withMap = true;
    if (withMap) {
      this.mapSent = true;
      this.lastMapPts = frame.pts;
    }
    return writeFrame(frame, this.params, this.o, withMap, this.version);
  }
}

/** ES of a frame as a list of segments to copy (start codes included for H.264/H.265, ADTS headers for AAC). */
function esSegments(frame: Frame, params: TrackParams): Buffer[] {
  if (frame.track === 'video') {
    if (frame.codec !== 'h264' && frame.codec !== 'h265') return [...frame.units];
    const segs: Buffer[] = [];
    for (const u of withParamSets(frame, params)) segs.push(START_CODE, u);
    return segs;
  }
  if (frame.codec !== 'aac') return [...frame.units];
  const cfg = aacConfig(frame.params ?? params.audio);
  const segs: Buffer[] = [];
  for (const u of frame.units) segs.push(adtsHeader(cfg.objectType, cfg.sampleRate, cfg.channels, u.length), u);
  return segs;
}

function aacConfig(p: AudioParams | undefined): { objectType: number; sampleRate: number; channels: number } {
  if (p?.config) {
    const c = parseAudioSpecificConfig(p.config);
    // ADTS can only say object types 1–4; HE-AAC (SBR/PS) is sent as its AAC-LC core, as usual
    return { objectType: c.objectType <= 4 ? c.objectType : 2, sampleRate: c.sampleRate, channels: c.channels };
  }
  if (!p || !p.sampleRate) throw new RangeError('AAC frame without sample rate / AudioSpecificConfig');
  return { objectType: 2, sampleRate: p.sampleRate, channels: p.channels };
}

/** A keyframe whose units lack the parameter sets gets those of params in front (a decoder must be able to start). */
function withParamSets(frame: VideoFrame, params: TrackParams): readonly Buffer[] {
  if (!frame.key) return frame.units;
  const v = params.video;
  if (!v || v.codec !== frame.codec) return frame.units;
  const h265 = frame.codec === 'h265';
  const type = (u: Buffer): number => (h265 ? (u[0] >> 1) & 0x3f : u[0] & 0x1f);
  const has = (t: number): boolean => frame.units.some((u) => u.length > 0 && type(u) === t);
  const add: Buffer[] = [];
  if (h265 && v.vps && !has(H265Nal.VPS)) add.push(v.vps);
  if (v.sps && !has(h265 ? H265Nal.SPS : H264Nal.SPS)) add.push(v.sps);
  if (v.pps && !has(h265 ? H265Nal.PPS : H264Nal.PPS)) add.push(v.pps);
  return add.length ? [...add, ...frame.units] : frame.units;
}

function mapEntries(params: TrackParams, o: Resolved): PsmEntry[] {
  const e: PsmEntry[] = [];
  if (params.video) e.push({ streamType: streamTypeOf(params.video.codec), streamId: o.videoId });
  if (params.audio) e.push({ streamType: streamTypeOf(params.audio.codec), streamId: o.audioId });
  return e;
}

function writeFrame(frame: Frame, params: TrackParams, o: Resolved, withMap: boolean, version: number): Buffer {
  const segs = esSegments(frame, params);
  let es = 0;
  for (const s of segs) es += s.length;
  const video = frame.track === 'video';
  const streamId = video ? o.videoId : o.audioId;
  const hasDts = frame.dts !== frame.pts;
  const firstHdl = hasDts ? 10 : 5;
  const firstMax = o.maxPes - 3 - firstHdl;
  const restMax = o.maxPes - 3;
  const pesCount = es <= firstMax ? 1 : 1 + Math.ceil((es - firstMax) / restMax);
  const entries = withMap ? mapEntries(params, o) : [];
  // a PSM that would not name this frame's stream is still written (it describes the program), never omitted
  const mapBytes = withMap ? systemHeaderSize(entries.length) + psmSize(entries.length) : 0;
  const total = 14 + mapBytes + 9 * pesCount + firstHdl + es;
  const out = Buffer.allocUnsafe(total);
  let off = writePackHeader(out, 0, Math.max(0, frame.dts), o.rate);
  if (withMap) {
    const streams: SystemStream[] = entries.map((e) => ({
      streamId: e.streamId,
      bufferBytes: e.streamId >= 0xe0 ? 1024 * 1024 : 4096,
    }));
    const audioBound = params.audio ? 1 : 0;
    const videoBound = params.video ? 1 : 0;
    off += writeSystemHeader(out, off, o.rate, streams, audioBound, videoBound);
    off += writePsm(out, off, version, entries);
  }
  // copy the ES across the PES packets
  let seg = 0;
  let segOff = 0;
  let left = es;
  for (let p = 0; p < pesCount; p++) {
    const n = Math.min(left, p === 0 ? firstMax : restMax);
    off += p === 0 ? writePesHeader(out, off, streamId, n, frame.pts, frame.dts, true) : writePesHeader(out, off, streamId, n);
    let want = n;
    while (want > 0) {
      const s = segs[seg];
      const k = Math.min(want, s.length - segOff);
      s.copy(out, off, segOff, segOff + k);
      off += k;
      want -= k;
      segOff += k;
      if (segOff === s.length) {
        seg++;
        segOff = 0;
      }
    }
    left -= n;
  }
  return off === total ? out : out.subarray(0, off);
}

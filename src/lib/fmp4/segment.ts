/**
 * A fragmented-MP4 media segment (ISO/IEC 14496-12 §8.8): one moof (mfhd + one traf per track: tfhd with
 * default-base-is-moof, tfdt v1, trun v1) followed by one mdat holding each track's samples contiguously.
 * Video samples are the frame's NAL units (parameter sets and AUDs dropped: they are in avcC/hvcC) each with a 4-byte
 * length prefix (14496-15 §4.3.2, lengthSizeMinusOne 3); audio samples are raw AAC frames.
 */
import { CLOCK_HZ, type Frame, type TrackParams } from '../av/frame.js';
import { sampleUnits } from './nal.js';
import { styp as stypBox } from './init.js';
import { carriedAudio, carriedVideo, Fmp4Error, fmp4Tracks } from './tracks.js';

export interface SegmentOptions {
  /** 90 kHz timestamp subtracted from every dts/pts before it becomes tfdt (default 0: the frames' own clock) */
  origin?: number;
  /** dts of the video frame that follows this segment: the last video sample lasts until then */
  nextVideoDts?: number;
  /** duration (90 kHz) of the last video sample when nextVideoDts is not given; default 90000/fps, else the previous interval, else 3600 */
  defaultVideoDuration?: number;
  /** start the segment with an styp box (CMAF / DASH style) */
  styp?: boolean;
}

/** trun sample_flags (§8.8.3.1): sample_depends_on 2 (independent) for sync samples; depends_on 1 + is_non_sync_sample. */
const SYNC = 0x02000000;
const NON_SYNC = 0x01010000;
/** An AAC access unit decodes to 1024 samples (ISO/IEC 14496-3 AAC-LC frameLengthFlag 0). */
const AAC_FRAME_SAMPLES = 1024;

interface Sample {
  units: Buffer[];
  prefixed: boolean;
  size: number;
  duration: number;
  flags: number;
  cto: number;
}

interface TrackRun {
  id: number;
  baseTime: number;
  samples: Sample[];
  dataSize: number;
}

/** 90 kHz → rate units without losing precision on large unwrapped clocks. */
function rescale(t90: number, rate: number): number {
  if (rate === CLOCK_HZ) return t90;
  const whole = Math.floor(t90 / CLOCK_HZ);
  return whole * rate + Math.round(((t90 - whole * CLOCK_HZ) * rate) / CLOCK_HZ);
}

export function mediaSegment(frames: readonly Frame[], seq: number, params: TrackParams, opts: SegmentOptions = {}): Buffer {
  const origin = opts.origin ?? 0;
  const tracks = fmp4Tracks(params);
  const vp = carriedVideo(params);
  const ap = carriedAudio(params);
  const runs: TrackRun[] = [];

  const vTrack = tracks.find((t) => t.kind === 'video');
  if (vTrack && vp) {
    const vf = frames.filter((f) => f.track === 'video' && f.codec === vp.codec);
    if (vf.length) {
      const samples: Sample[] = [];
      for (let i = 0; i < vf.length; i++) {
        const f = vf[i];
        const units = sampleUnits(vp.codec, f.units);
        let size = 0;
        for (const u of units) size += 4 + u.length;
        let duration: number;
        if (i + 1 < vf.length) duration = vf[i + 1].dts - f.dts;
        else if (opts.nextVideoDts !== undefined) duration = opts.nextVideoDts - f.dts;
        else if (opts.defaultVideoDuration !== undefined) duration = opts.defaultVideoDuration;
        else if (vp.fps > 0) duration = Math.round(CLOCK_HZ / vp.fps);
        else if (i > 0) duration = f.dts - vf[i - 1].dts;
        else duration = 3600;
        samples.push({ units, prefixed: true, size, duration: Math.max(0, duration), flags: f.key ? SYNC : NON_SYNC, cto: f.pts - f.dts });
      }
      runs.push({ id: vTrack.id, baseTime: Math.max(0, vf[0].dts - origin), samples, dataSize: samples.reduce((n, s) => n + s.size, 0) });
    }
  }

  const aTrack = tracks.find((t) => t.kind === 'audio');
  if (aTrack && ap) {
    const af = frames.filter((f) => f.track === 'audio' && f.codec === 'aac');
    if (af.length) {
      const samples: Sample[] = [];
      for (const f of af)
        for (const u of f.units) samples.push({ units: [u], prefixed: false, size: u.length, duration: AAC_FRAME_SAMPLES, flags: SYNC, cto: 0 });
      runs.push({ id: aTrack.id, baseTime: rescale(Math.max(0, af[0].dts - origin), ap.sampleRate), samples, dataSize: samples.reduce((n, s) => n + s.size, 0) });
    }
  }
  if (runs.length === 0) throw new Fmp4Error('no samples of a carried track in this segment');

  // sizes: mfhd 16; traf = 8 + tfhd 16 + tfdt(v1) 20 + trun(v1, flags 0xF01) 20 + 16 per sample
  let moofSize = 8 + 16;
  for (const r of runs) moofSize += 8 + 16 + 20 + 20 + 16 * r.samples.length;
  let mdatSize = 8;
  for (const r of runs) mdatSize += r.dataSize;
  const st = opts.styp ? stypBox() : undefined;
  const head = st ? st.length : 0;
  const out = Buffer.allocUnsafe(head + moofSize + mdatSize);
  if (st) st.copy(out, 0);
  let o = head;
  const u32 = (v: number): void => {
    out.writeUInt32BE(v >>> 0, o);
    o += 4;
  };
  const tag = (size: number, type: string): void => {
    u32(size);
    out.write(type, o, 4, 'latin1');
    o += 4;
  };

  tag(moofSize, 'moof');
  tag(16, 'mfhd'); // §8.8.5
  u32(0);
  u32(seq);
  let dataOffset = moofSize + 8; // from the first byte of moof (default-base-is-moof) to this run's first sample
  for (const r of runs) {
    tag(8 + 16 + 20 + 20 + 16 * r.samples.length, 'traf');
    tag(16, 'tfhd'); // §8.8.7, flags 0x020000 default-base-is-moof
    u32(0x00020000);
    u32(r.id);
    tag(20, 'tfdt'); // §8.8.12 version 1: 64-bit baseMediaDecodeTime
    u32(0x01000000);
    out.writeBigUInt64BE(BigInt(r.baseTime), o);
    o += 8;
    // §8.8.8 version 1 (signed composition offsets); flags: data-offset 0x1, duration 0x100, size 0x200,
    // flags 0x400, composition-time-offset 0x800
    tag(20 + 16 * r.samples.length, 'trun');
    u32(0x01000f01);
    u32(r.samples.length);
    out.writeInt32BE(dataOffset, o);
    o += 4;
    for (const s of r.samples) {
      u32(s.duration);
      u32(s.size);
      u32(s.flags);
      out.writeInt32BE(s.cto, o);
      o += 4;
    }
    dataOffset += r.dataSize;
  }
  tag(mdatSize, 'mdat');
  for (const r of runs)
    for (const s of r.samples)
      for (const u of s.units) {
        if (s.prefixed) u32(u.length);
        u.copy(out, o);
        o += u.length;
      }
  return out;
}

/**
 * MP4 samples → Frames. A video sample is a sequence of NAL units each with a length prefix of lengthSizeMinusOne+1
 * bytes (ISO/IEC 14496-15 §4.3.2); an AAC sample is one raw access unit (14496-14 §3.1). Parameter sets live in the
 * sample entry's avcC / hvcC (§5.3.2, §8.3.2), so a key frame gets them put back in front of its units: the hub's
 * ParamsTracker and every output expect in-band SPS/PPS (VPS) on key frames.
 */
import { CLOCK_HZ, type AudioFrame, type VideoFrame } from '../av/frame.js';
import { H264Nal, h264NalType } from '../h264/index.js';
import { H265Nal, h265NalType } from '../h265/index.js';
import { Mp4Error } from './box.js';
import type { Mp4Track } from './init.js';
import type { SampleEntryInfo } from './sample-entry.js';

export interface SampleTiming {
  /** 90 kHz decode time to give the frame (the caller chooses the timeline) */
  dts: number;
  /** composition offset in 90 kHz */
  cto: number;
  key: boolean;
  /** 1-based stsd entry index (default 1) */
  entry?: number;
}

/** Splits a length-prefixed sample into NAL units (subarrays, no copy). Throws Mp4Error on a length overrun. */
export function splitLengthPrefixed(data: Buffer, lengthSize: number): Buffer[] {
  const units: Buffer[] = [];
  let o = 0;
  while (o < data.length) {
    if (o + lengthSize > data.length) throw new Mp4Error(`NAL length prefix truncated at ${o} of ${data.length}`);
    const len = data.readUIntBE(o, lengthSize);
    o += lengthSize;
    if (o + len > data.length) throw new Mp4Error(`NAL unit of ${len} bytes overruns the ${data.length}-byte sample`);
    if (len > 0) units.push(data.subarray(o, o + len));
    o += len;
  }
  return units;
}

/** Track timescale → 90 kHz (exact for 90 kHz tracks; integer-rounded otherwise). */
export function to90k(t: number, timescale: number): number {
  if (timescale === CLOCK_HZ) return t;
  const whole = Math.floor(t / timescale);
  return whole * CLOCK_HZ + Math.round(((t - whole * timescale) * CLOCK_HZ) / timescale);
}

/**
 * One sample's bytes as a Frame, or undefined when the track's codec is not one Frames carry (only H.264/H.265
 * video and AAC audio are). Units are subarrays of `data`.
 */
export function sampleToFrame(track: Mp4Track, timing: SampleTiming, data: Buffer): VideoFrame | AudioFrame | undefined {
  const entry: SampleEntryInfo | undefined = track.entries[(timing.entry ?? 1) - 1] ?? track.entries[0];
  if (!entry) return undefined;
  if (entry.codec === 'h264' || entry.codec === 'h265') {
    const codec = entry.codec;
    const lengthSize = codec === 'h264' ? entry.avc!.lengthSize : entry.hevc!.lengthSize;
    const units = splitLengthPrefixed(data, lengthSize);
    if (timing.key) {
      const sets = codec === 'h264' ? [...entry.avc!.sps, ...entry.avc!.pps] : [...entry.hevc!.vps, ...entry.hevc!.sps, ...entry.hevc!.pps];
      // avc3 / hev1 streams may carry them in band already: do not repeat them then
      if (sets.length && !units.some((u) => isParameterSet(codec, u))) units.unshift(...sets);
    }
    return { track: 'video', codec, dts: timing.dts, pts: timing.dts + timing.cto, key: timing.key, units };
  }
  if (entry.codec === 'aac' && entry.audio) {
    const a = entry.audio;
    return {
      track: 'audio',
      codec: 'aac',
      dts: timing.dts,
      pts: timing.dts + timing.cto,
      key: true,
      units: [data],
      params: { codec: 'aac', sampleRate: a.sampleRate, channels: a.channels, config: a.config },
    };
  }
  return undefined;
}

/** H.264 SPS / PPS (Table 7-1), H.265 VPS / SPS / PPS (Table 7-1 of H.265). */
function isParameterSet(codec: 'h264' | 'h265', u: Buffer): boolean {
  if (codec === 'h264') {
    const t = h264NalType(u);
    return t === H264Nal.SPS || t === H264Nal.PPS;
  }
  const t = h265NalType(u);
  return t === H265Nal.VPS || t === H265Nal.SPS || t === H265Nal.PPS;
}

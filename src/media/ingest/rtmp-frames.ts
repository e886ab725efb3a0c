import { parseAudioSpecificConfig } from '../../lib/aac/index.js';
import type { AudioFrame, AudioParams, VideoFrame } from '../../lib/av/frame.js';
import { parseAudioTag, parseVideoTag, splitLengthPrefixed } from '../../lib/flv/index.js';
import { isH264Keyframe, parseAvcDecoderConfigurationRecord, splitAnnexB } from '../../lib/h264/index.js';
import { isH265Keyframe, parseHevcDecoderConfigurationRecord } from '../../lib/h265/index.js';

/** FLV SoundFormat (§E.4.2.1) */
const SOUND_G711A = 7;
const SOUND_G711U = 8;
const SOUND_AAC = 10;
/** a jump back of more than this (90 kHz) is a clock reset, not jitter */
const RESET_BACK = 90_000;
/** where a track continues after a clock reset: one 25 fps frame after its last timestamp */
const RESET_STEP = 3600;

/**
 * RTMP message timestamps (32-bit ms, wrapping, one clock for audio and video) → 90 kHz Frame timestamps that only
 * grow per track: unwrapped by the signed 32-bit difference to the previous message (either track), ×90; a track
 * whose time does not move forward is nudged 1 ms past its last frame (jitter), and one that jumps back by more than
 * 1 s (an encoder that restarted its clock) continues just after its last frame, the shift kept for both tracks.
 */
export class RtmpClock {
  private lastRaw?: number;
  private ms = 0;
  private offset = 0;
  private readonly last: { video?: number; audio?: number } = {};

  to90k(track: 'video' | 'audio', rawMs: number): number {
    const raw = rawMs >>> 0;
    if (this.lastRaw === undefined) this.ms = raw;
    else this.ms += (raw - this.lastRaw) | 0;
    this.lastRaw = raw;
    let t = this.ms * 90 + this.offset;
    const last = this.last[track];
    if (last !== undefined && t <= last) {
      if (last - t > RESET_BACK) {
        this.offset += last + RESET_STEP - t;
        t = last + RESET_STEP;
      } else t = last + 90;
    }
    if (t < 0) {
      this.offset -= t;
      t = 0;
    }
    this.last[track] = t;
    return t;
  }
}

export interface RtmpMediaStats {
  videoFrames: number;
  audioFrames: number;
  /** messages dropped: malformed, unsupported codec, AAC before its sequence header */
  dropped: number;
}

interface VideoConfig {
  lengthSize: number;
  /** parameter sets in order (VPS, SPS, PPS), copies */
  sets: Buffer[];
}

/**
 * Turns the bodies of RTMP audio/video messages (= FLV tag bodies, FLV spec v10.1 §E.4.2/§E.4.3, Enhanced RTMP
 * ExVideoTagHeader) into Frames:
 * - AVC (CodecID 7), HEVC (Enhanced RTMP FourCC `hvc1`, SequenceStart / CodedFrames / CodedFramesX; also the legacy
 *   CodecID 12 some Chinese encoders use): the sequence header's parameter sets are kept and put in front of each
 *   key frame that does not carry them in band; NALU packets are split at their length prefixes (Annex-B start codes
 *   from broken encoders are tolerated); pts = dts + composition time. `key` = an IDR (H.264) / IRAP (H.265) picture.
 * - AAC: the sequence header's AudioSpecificConfig becomes the AudioParams of every AudioFrame; raw frames before it
 *   are dropped. G.711 A-law / mu-law (SoundFormat 7 / 8): 8 kHz, mono unless the stereo flag is set.
 * Other codecs, command frames and malformed bodies are dropped (counted); nothing here throws.
 */
export class RtmpMediaConverter {
  readonly clock = new RtmpClock();
  readonly stats: RtmpMediaStats = { videoFrames: 0, audioFrames: 0, dropped: 0 };
  private readonly video = new Map<'h264' | 'h265', VideoConfig>();
  private aac?: AudioParams;
  private readonly g711 = new Map<number, AudioParams>();
  /** codecs seen that are dropped (for one log line each) */
  readonly unsupported = new Set<string>();
  /** the last error of a malformed body */
  lastError?: string;

  get audioParams(): AudioParams | undefined {
    return this.aac;
  }

  videoFrame(ms: number, body: Buffer): VideoFrame | undefined {
    try {
      return this.convertVideo(ms, body);
    } catch (e) {
      this.lastError = (e as Error).message;
      this.stats.dropped++;
      return undefined;
    }
  }

  audioFrame(ms: number, body: Buffer): AudioFrame | undefined {
    try {
      return this.convertAudio(ms, body);
    } catch (e) {
      this.lastError = (e as Error).message;
      this.stats.dropped++;
      return undefined;
    }
  }

  private drop(what?: string): undefined {
    if (what) this.unsupported.add(what);
    this.stats.dropped++;
    return undefined;
  }

  private convertVideo(ms: number, body: Buffer): VideoFrame | undefined {
    if (body.length === 0) return this.drop();
    const b0 = body[0];
    const frameType = b0 & 0x80 ? (b0 >> 4) & 7 : b0 >> 4;
    if (frameType === 5) return undefined; // video info / command frame (seek markers): no picture
    const p = parseVideoTag(body);
    if (p.codec !== 'avc' && p.codec !== 'hevc') return this.drop(`video ${p.codec}`);
    const codec = p.codec === 'avc' ? 'h264' : 'h265';
    if (p.packet === 'config') {
      if (codec === 'h264') {
        const c = parseAvcDecoderConfigurationRecord(p.data);
        this.video.set(codec, { lengthSize: c.lengthSize, sets: [...c.sps, ...c.pps].map((u) => Buffer.from(u)) });
      } else {
        const c = parseHevcDecoderConfigurationRecord(p.data);
        this.video.set(codec, { lengthSize: c.lengthSize, sets: [...c.vps, ...c.sps, ...c.pps].map((u) => Buffer.from(u)) });
      }
      return undefined;
    }
    if (p.packet !== 'frames') return undefined; // end of sequence, metadata, multitrack…: nothing to show
    const cfg = this.video.get(codec);
    let units: Buffer[];
    try {
      units = splitLengthPrefixed(p.data, cfg?.lengthSize ?? 4);
    } catch (e) {
      if (p.data.length >= 4 && p.data.readUInt32BE(0) === 1) units = splitAnnexB(p.data);
      else throw e;
    }
    units = units.filter((u) => u.length > 0);
    if (units.length === 0) return this.drop();
    const key = codec === 'h264' ? isH264Keyframe(units) : isH265Keyframe(units);
    if (key && cfg?.sets.length) units = withParameterSets(codec, units, cfg.sets);
    const dts = this.clock.to90k('video', ms);
    this.stats.videoFrames++;
    return { track: 'video', codec, pts: dts + p.cts * 90, dts, key, units };
  }

  private convertAudio(ms: number, body: Buffer): AudioFrame | undefined {
    const p = parseAudioTag(body);
    if (p.soundFormat === SOUND_AAC) {
      if (p.packet === 'config') {
        const c = parseAudioSpecificConfig(p.data);
        this.aac = { codec: 'aac', sampleRate: c.sampleRate, channels: c.channels || (p.stereo ? 2 : 1), config: Buffer.from(p.data) };
        return undefined;
      }
      if (!this.aac || p.data.length === 0) return this.drop();
      const t = this.clock.to90k('audio', ms);
      this.stats.audioFrames++;
      return { track: 'audio', codec: 'aac', pts: t, dts: t, key: true, units: [p.data], params: this.aac };
    }
    if (p.soundFormat === SOUND_G711A || p.soundFormat === SOUND_G711U) {
      if (p.data.length === 0) return this.drop();
      const codec = p.soundFormat === SOUND_G711A ? 'g711a' : 'g711u';
      const channels = p.stereo ? 2 : 1;
      const k = p.soundFormat * 4 + channels;
      let params = this.g711.get(k);
      if (!params) this.g711.set(k, (params = { codec, sampleRate: 8000, channels }));
      const t = this.clock.to90k('audio', ms);
      this.stats.audioFrames++;
      return { track: 'audio', codec, pts: t, dts: t, key: true, units: [p.data], params };
    }
    return this.drop(`audio format ${p.soundFormat}`);
  }
}

function nalType(codec: 'h264' | 'h265', u: Buffer): number {
  return codec === 'h264' ? u[0] & 0x1f : (u[0] >> 1) & 0x3f;
}

/** The key frame's units with the parameter sets it lacks in front (after a leading access unit delimiter). */
function withParameterSets(codec: 'h264' | 'h265', units: Buffer[], sets: Buffer[]): Buffer[] {
  const have = new Set(units.map((u) => nalType(codec, u)));
  const missing = sets.filter((s) => s.length > 0 && !have.has(nalType(codec, s)));
  if (missing.length === 0) return units;
  const aud = codec === 'h264' ? 9 : 35;
  const at = nalType(codec, units[0]) === aud ? 1 : 0;
  return [...units.slice(0, at), ...missing, ...units.slice(at)];
}

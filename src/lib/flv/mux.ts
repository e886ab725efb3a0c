/**
 * FLV muxing (Adobe FLV spec v10.1 Annex E; HEVC as Enhanced RTMP v1/v2 "ExVideoTagHeader" with FourCC 'hvc1').
 *
 * Shared-tag timestamp scheme: one FlvMuxer per stream turns each Frame into ONE Buffer (one or more complete tags,
 * each followed by its PreviousTagSize) that every reader writes unchanged. Tag timestamps are therefore stream-wide:
 *   ms = floor((dts − origin) / 90), clamped at 0, modulo 2^32 (24-bit Timestamp + 8-bit TimestampExtended, §E.4.1)
 * where origin is the dts of the first frame the muxer saw (or opts.origin). A reader that joins later starts at a
 * non-zero timestamp; players (flv.js, mpegts.js, ffmpeg, the RTMP players) take the first tag as their base. Only
 * what a reader gets first differs per reader: header() = FLV header + onMetaData (at 0) + sequence headers stamped
 * with the reader's start time (atMs; by default the last key frame muxed, where a GOP-cache replay starts).
 * tag() caches its Buffer per Frame object (WeakMap), so sinks may call it per reader.
 * Composition time (AVC CompositionTime / Enhanced-RTMP CodedFrames SI24) = floor((pts − origin)/90) − ms, so the
 * player's pts is exactly the frame's floored pts in ms.
 */
import { CLOCK_HZ, type AudioParams, type Frame, type TrackParams, type VideoFrame, type VideoParams } from '../av/frame.js';
import { audioSpecificConfig } from '../aac/index.js';
import { inBandParameterSets, sampleUnits } from '../fmp4/nal.js';
import { avcDecoderConfigurationRecord } from '../h264/index.js';
import { hevcDecoderConfigurationRecord } from '../h265/index.js';
import { Amf0EcmaArray, encodeAmf0, type Amf0Object } from './amf0.js';

/** TagType (§E.4.1) */
export const TAG_AUDIO = 8;
export const TAG_VIDEO = 9;
export const TAG_SCRIPT = 18;

/** CodecID (§E.4.3.1) 7 = AVC; SoundFormat (§E.4.2.1) 7 = G.711 A-law, 8 = G.711 mu-law, 10 = AAC. */
export const VIDEO_CODEC_AVC = 7;
export const SOUND_G711A = 7;
export const SOUND_G711U = 8;
export const SOUND_AAC = 10;
/** Enhanced RTMP: FourCC of HEVC and its value as onMetaData videocodecid */
export const FOURCC_HEVC = 'hvc1';
const FOURCC_HEVC_NUM = Buffer.from(FOURCC_HEVC, 'latin1').readUInt32BE(0);

/** Enhanced RTMP VideoPacketType */
export const PACKET_SEQUENCE_START = 0;
export const PACKET_CODED_FRAMES = 1;
export const PACKET_SEQUENCE_END = 2;
export const PACKET_CODED_FRAMES_X = 3;

const SI24_MIN = -0x800000;
const SI24_MAX = 0x7fffff;

/** The 9-byte FLV header (§E.2) plus PreviousTagSize0 = 0: 'FLV', version 1, TypeFlagsAudio 0x04 | TypeFlagsVideo 0x01, DataOffset 9. */
export function flvHeader(hasAudio: boolean, hasVideo: boolean): Buffer {
  const b = Buffer.alloc(13);
  b.write('FLV', 0, 'latin1');
  b[3] = 1;
  b[4] = (hasAudio ? 0x04 : 0) | (hasVideo ? 0x01 : 0);
  b.writeUInt32BE(9, 5);
  return b;
}

/** Writes the 11-byte tag header (§E.4.1): TagType, DataSize UI24, Timestamp UI24 + TimestampExtended UI8, StreamID 0. */
function writeTagHeader(out: Buffer, o: number, type: number, dataSize: number, ms: number): void {
  const ts = ms >>> 0;
  out[o] = type;
  out.writeUIntBE(dataSize, o + 1, 3);
  out.writeUIntBE(ts & 0xffffff, o + 4, 3);
  out[o + 7] = ts >>> 24;
  out.writeUIntBE(0, o + 8, 3);
}

/** One complete tag: header + body + PreviousTagSize (11 + DataSize, §E.3). */
export function flvTag(type: number, ms: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(11 + body.length + 4);
  writeTagHeader(out, 0, type, body.length, ms);
  body.copy(out, 11);
  out.writeUInt32BE(11 + body.length, 11 + body.length);
  return out;
}

/**
 * A tag whose body is `head` followed by the NAL units each with a 4-byte length prefix, built with one allocation
 * (the only copy of the picture bytes).
 */
function naluTag(ms: number, head: Buffer, units: readonly Buffer[]): Buffer {
  let size = head.length;
  for (const u of units) size += 4 + u.length;
  const out = Buffer.allocUnsafe(11 + size + 4);
  writeTagHeader(out, 0, TAG_VIDEO, size, ms);
  head.copy(out, 11);
  let o = 11 + head.length;
  for (const u of units) {
    out.writeUInt32BE(u.length, o);
    u.copy(out, o + 4);
    o += 4 + u.length;
  }
  out.writeUInt32BE(11 + size, o);
  return out;
}

export function canCarryVideo(v: VideoParams | undefined): v is VideoParams {
  return !!v && (v.codec === 'h264' || v.codec === 'h265');
}

export function canCarryAudio(a: AudioParams | undefined): a is AudioParams {
  return !!a && (a.codec === 'aac' || a.codec === 'g711a' || a.codec === 'g711u');
}

/** AUDIODATA first byte (§E.4.2.1): SoundFormat(4) SoundRate(2) SoundSize(1) SoundType(1). */
function soundFlags(a: { codec: string; channels?: number }): number {
  // AAC: rate 3 (44 kHz) and stereo are fixed by the spec, the real values come from the AudioSpecificConfig.
  if (a.codec === 'aac') return (SOUND_AAC << 4) | (3 << 2) | (1 << 1) | 1;
  // G.711: players assume 8 kHz; rate bits 0, 16-bit decoded samples, mono unless 2 channels
  const fmt = a.codec === 'g711a' ? SOUND_G711A : SOUND_G711U;
  return (fmt << 4) | (0 << 2) | (1 << 1) | ((a.channels ?? 1) > 1 ? 1 : 0);
}

/** onMetaData SCRIPTDATA tag (§E.5): "onMetaData" + ECMA array of stream properties. */
export function metadataTag(params: TrackParams, ms = 0, extra: Amf0Object = {}): Buffer {
  const m: Amf0Object = { duration: 0 };
  const v = canCarryVideo(params.video) ? params.video : undefined;
  const a = canCarryAudio(params.audio) ? params.audio : undefined;
  if (v) {
    m.width = v.width;
    m.height = v.height;
    if (v.fps > 0) m.framerate = v.fps;
    m.videocodecid = v.codec === 'h264' ? VIDEO_CODEC_AVC : FOURCC_HEVC_NUM; // enhanced RTMP: FourCC as a number
  }
  if (a) {
    m.audiocodecid = a.codec === 'aac' ? SOUND_AAC : a.codec === 'g711a' ? SOUND_G711A : SOUND_G711U;
    m.audiosamplerate = a.sampleRate;
    m.audiosamplesize = 16;
    m.stereo = a.channels > 1;
  }
  m.encoder = 'sharpeye';
  Object.assign(m, extra);
  return flvTag(TAG_SCRIPT, ms, encodeAmf0('onMetaData', new Amf0EcmaArray(m)));
}

interface ParamSets {
  codec: 'h264' | 'h265';
  vps?: Buffer;
  sps: Buffer;
  pps: Buffer;
}

function sameSets(a: ParamSets | undefined, b: ParamSets): boolean {
  return !!a && a.codec === b.codec && a.sps.equals(b.sps) && a.pps.equals(b.pps) && (!b.vps || (!!a.vps && a.vps.equals(b.vps)));
}

function paramSetsOf(v: { codec: string; vps?: Buffer; sps?: Buffer; pps?: Buffer }): ParamSets | undefined {
  if (v.codec === 'h264' && v.sps && v.pps) return { codec: 'h264', sps: v.sps, pps: v.pps };
  if (v.codec === 'h265' && v.vps && v.sps && v.pps) return { codec: 'h265', vps: v.vps, sps: v.sps, pps: v.pps };
  return undefined;
}

/**
 * Video sequence header tag: AVC (§E.4.3.1) FrameType 1 | CodecID 7, AVCPacketType 0, CompositionTime 0,
 * AVCDecoderConfigurationRecord; HEVC (Enhanced RTMP) IsExHeader | FrameType 1 | PacketType SequenceStart, 'hvc1',
 * HEVCDecoderConfigurationRecord.
 */
export function videoSequenceTag(v: { codec: string; vps?: Buffer; sps?: Buffer; pps?: Buffer }, ms = 0): Buffer | undefined {
  const ps = paramSetsOf(v);
  if (!ps) return undefined;
  if (ps.codec === 'h264') {
    const rec = avcDecoderConfigurationRecord(ps.sps, ps.pps);
    return flvTag(TAG_VIDEO, ms, Buffer.concat([Buffer.from([(1 << 4) | VIDEO_CODEC_AVC, 0, 0, 0, 0]), rec]));
  }
  const rec = hevcDecoderConfigurationRecord(ps.vps!, ps.sps, ps.pps);
  const head = Buffer.from([0x80 | (1 << 4) | PACKET_SEQUENCE_START, 0, 0, 0, 0]);
  head.write(FOURCC_HEVC, 1, 'latin1');
  return flvTag(TAG_VIDEO, ms, Buffer.concat([head, rec]));
}

/** AAC sequence header (§E.4.2.2): AACPacketType 0 + AudioSpecificConfig; undefined for G.711 (no header). */
export function audioSequenceTag(a: AudioParams, ms = 0): Buffer | undefined {
  if (a.codec !== 'aac') return undefined;
  const asc = a.config ?? audioSpecificConfig(2, a.sampleRate, a.channels); // AAC-LC when the producer gave none
  return flvTag(TAG_AUDIO, ms, Buffer.concat([Buffer.from([soundFlags(a), 0]), asc]));
}

export interface FlvMuxerOptions {
  /** 90 kHz dts that becomes FLV timestamp 0; default the dts of the first frame passed to tag() */
  origin?: number;
  /**
   * Carry G.711 audio (SoundFormat 7/8; default true). flv.js / mpegts.js in browsers reject these formats, so a muxer
   * for browser readers may set false: G.711 frames are then skipped and the header announces no audio.
   */
  g711?: boolean;
  /** AAC sample rate for the timestamps of the 2nd… AAC frame of one AudioFrame until header() tells it (default 44100) */
  aacSampleRate?: number;
}

/**
 * One per stream: shared tags for all readers, per-reader start headers. tag() remembers its result per Frame object,
 * so every reader (and a GOP-cache replay to a new reader) gets the very same Buffer and a frame is muxed once.
 */
export class FlvMuxer {
  private originDts: number | undefined;
  private videoSets: ParamSets | undefined;
  private aacRate: number;
  private lastMs: number | undefined;
  private lastKeyMs: number | undefined;
  private readonly cache = new WeakMap<Frame, Buffer | null>();
  private readonly g711: boolean;

  constructor(opts: FlvMuxerOptions = {}) {
    this.originDts = opts.origin;
    this.aacRate = opts.aacSampleRate ?? 44100;
    this.g711 = opts.g711 ?? true;
  }

  private carriedAudio(a: AudioParams | undefined): AudioParams | undefined {
    return canCarryAudio(a) && (this.g711 || a.codec === 'aac') ? a : undefined;
  }

  /** The 90 kHz dts at FLV time 0 (undefined until the first frame when no origin was given). */
  get origin(): number | undefined {
    return this.originDts;
  }

  /** FLV milliseconds of a 90 kHz timestamp under this muxer's origin. */
  timestamp(t90: number): number {
    const base = this.originDts ?? t90;
    return Math.max(0, Math.floor((t90 - base) / 90)) % 0x1_0000_0000;
  }

  /**
   * What a new reader gets before the shared tags: FLV header, onMetaData (stamped 0) and the sequence headers
   * (stamped atMs).
   * Default atMs: the time of the last video key frame muxed (where a GOP-cache replay starts), else 0, so the start
   * headers never come after the reader's first frame. Parameter sets missing from params are taken from the last
   * key frame that carried them.
   */
  header(params: TrackParams, atMs?: number): Buffer {
    const v = canCarryVideo(params.video) ? params.video : undefined;
    const a = this.carriedAudio(params.audio);
    return Buffer.concat([flvHeader(!!a, !!v), this.sequenceHeaders(params, atMs ?? this.lastKeyMs ?? 0)]);
  }

  /**
   * onMetaData + video and audio sequence headers without the FLV file header: for a reader already playing when the
   * parameters change (new SPS / resolution). Default atMs: the time of the last frame muxed.
   */
  sequenceHeaders(params: TrackParams, atMs?: number): Buffer {
    const ms = atMs ?? this.lastMs ?? 0;
    const v = canCarryVideo(params.video) ? params.video : undefined;
    const a = this.carriedAudio(params.audio);
    if (a?.codec === 'aac' && a.sampleRate > 0) this.aacRate = a.sampleRate;
    // onMetaData always at 0: ffmpeg's demuxer turns a script tag with a non-zero timestamp into a data stream
    const parts = [metadataTag(a ? params : { video: params.video }, 0)];
    if (v) {
      let sets = paramSetsOf(v);
      if (sets) this.videoSets = sets;
      else if (this.videoSets?.codec === v.codec) sets = this.videoSets;
      const seq = sets && videoSequenceTag(sets, ms);
      if (seq) parts.push(seq);
    }
    if (a) {
      const seq = audioSequenceTag(a, ms);
      if (seq) parts.push(seq);
    }
    return Buffer.concat(parts);
  }

  /**
   * The shared bytes for one frame: complete tag(s) with PreviousTagSize, or undefined for what FLV cannot carry
   * (MPEG-4 Part 2 / SVAC video, a frame without picture NAL units). A key frame whose in-band parameter sets differ
   * from the last ones sent is preceded by a new sequence header tag (a mid-stream resolution change).
   */
  tag(frame: Frame): Buffer | undefined {
    const hit = this.cache.get(frame);
    if (hit !== undefined) return hit ?? undefined;
    const out = this.mux(frame);
    this.cache.set(frame, out ?? null);
    return out;
  }

  private mux(frame: Frame): Buffer | undefined {
    if (frame.track === 'video') {
      if (frame.codec !== 'h264' && frame.codec !== 'h265') return undefined;
      if (this.originDts === undefined) this.originDts = frame.dts;
      const out = this.videoTag(frame);
      if (out) {
        this.lastMs = this.timestamp(frame.dts);
        if (frame.key) this.lastKeyMs = this.lastMs;
      }
      return out;
    }
    if (frame.units.length === 0 || (frame.codec !== 'aac' && !(this.g711 && (frame.codec === 'g711a' || frame.codec === 'g711u')))) return undefined;
    if (this.originDts === undefined) this.originDts = frame.dts;
    this.lastMs = this.timestamp(frame.dts);
    if (frame.codec === 'aac') return this.aacTags(frame.units, frame.dts);
    return this.plainAudioTag(soundFlags({ codec: frame.codec }), frame.units, this.lastMs);
  }

  private videoTag(f: VideoFrame): Buffer | undefined {
    if (f.codec !== 'h264' && f.codec !== 'h265') return undefined;
    const units = sampleUnits(f.codec, f.units);
    if (units.length === 0) return undefined;
    const ms = this.timestamp(f.dts);
    const base = this.originDts ?? f.dts;
    const cts = Math.min(SI24_MAX, Math.max(SI24_MIN, Math.floor((f.pts - base) / 90) - Math.floor((f.dts - base) / 90)));
    let seq: Buffer | undefined;
    if (f.key) {
      const inBand = paramSetsOf({ codec: f.codec, ...inBandParameterSets(f.codec, f.units) });
      if (inBand && !sameSets(this.videoSets, inBand)) {
        seq = videoSequenceTag(inBand, ms); // readers that joined before a header() had these sets need it; others ignore a repeat
        this.videoSets = inBand;
      }
    }
    let head: Buffer;
    if (f.codec === 'h264') {
      // AVC VIDEODATA (§E.4.3.1): FrameType 1 key / 2 inter | CodecID 7, AVCPacketType 1, CompositionTime SI24 ms
      head = Buffer.allocUnsafe(5);
      head[0] = ((f.key ? 1 : 2) << 4) | VIDEO_CODEC_AVC;
      head[1] = 1;
      head.writeIntBE(cts, 2, 3);
    } else if (cts !== 0) {
      // Enhanced RTMP ExVideoTagHeader: IsExHeader | FrameType | PacketType CodedFrames, FourCC, SI24 CompositionTime
      head = Buffer.allocUnsafe(8);
      head[0] = 0x80 | ((f.key ? 1 : 2) << 4) | PACKET_CODED_FRAMES;
      head.write(FOURCC_HEVC, 1, 'latin1');
      head.writeIntBE(cts, 5, 3);
    } else {
      // CodedFramesX: composition time implied 0
      head = Buffer.allocUnsafe(5);
      head[0] = 0x80 | ((f.key ? 1 : 2) << 4) | PACKET_CODED_FRAMES_X;
      head.write(FOURCC_HEVC, 1, 'latin1');
    }
    const tag = naluTag(ms, head, units);
    return seq ? Buffer.concat([seq, tag]) : tag;
  }

  /** AAC (§E.4.2.2): one tag per raw AAC frame, AACPacketType 1; frame j of a unit list is 1024·j samples later. */
  private aacTags(units: readonly Buffer[], dts: number): Buffer | undefined {
    if (units.length === 0) return undefined;
    let size = 0;
    for (const u of units) size += 11 + 2 + u.length + 4;
    const out = Buffer.allocUnsafe(size);
    const flags = soundFlags({ codec: 'aac' });
    let o = 0;
    for (let j = 0; j < units.length; j++) {
      const u = units[j];
      const ms = this.timestamp(dts + Math.round((j * 1024 * CLOCK_HZ) / this.aacRate));
      writeTagHeader(out, o, TAG_AUDIO, 2 + u.length, ms);
      out[o + 11] = flags;
      out[o + 12] = 1;
      u.copy(out, o + 13);
      out.writeUInt32BE(11 + 2 + u.length, o + 13 + u.length);
      o += 11 + 2 + u.length + 4;
    }
    return out;
  }

  private plainAudioTag(flags: number, units: readonly Buffer[], ms: number): Buffer {
    let size = 1;
    for (const u of units) size += u.length;
    const out = Buffer.allocUnsafe(11 + size + 4);
    writeTagHeader(out, 0, TAG_AUDIO, size, ms);
    out[11] = flags;
    let o = 12;
    for (const u of units) {
      u.copy(out, o);
      o += u.length;
    }
    out.writeUInt32BE(11 + size, o);
    return out;
  }
}

/**
 * FLV reading (Adobe FLV spec v10.1 §E.2–E.4; Enhanced RTMP v1/v2 ExVideoTagHeader): a streaming reader that is fed
 * chunks and returns the header and whole tags, plus decoders for the tag bodies (also what RTMP messages carry).
 */
import { decodeAmf0, type Amf0Value } from './amf0.js';
import { PACKET_CODED_FRAMES, PACKET_CODED_FRAMES_X, PACKET_SEQUENCE_END, PACKET_SEQUENCE_START, TAG_AUDIO, TAG_SCRIPT, TAG_VIDEO } from './mux.js';

export class FlvParseError extends Error {
  override readonly name = 'FlvParseError';
}

export interface FlvHeader {
  version: number;
  hasAudio: boolean;
  hasVideo: boolean;
}

export interface FlvTag {
  /** 8 audio, 9 video, 18 script data */
  type: number;
  /** ms: Timestamp UI24 with TimestampExtended as the upper 8 bits */
  timestamp: number;
  /** the tag body (a view into the pushed data when it arrived in one chunk) */
  data: Buffer;
}

export type FlvEvent = { kind: 'header'; header: FlvHeader } | { kind: 'tag'; tag: FlvTag };

export interface FlvReaderOptions {
  /** refuse tags with a body larger than this (default 16 MiB − 1, the UI24 maximum) */
  maxTagSize?: number;
}

/** Push chunks of an FLV byte stream, get events for the header and every complete tag. */
export class FlvReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private gotHeader = false;
  private readonly maxTagSize: number;

  constructor(opts: FlvReaderOptions = {}) {
    this.maxTagSize = opts.maxTagSize ?? 0xffffff;
  }

  /** bytes held waiting for the rest of a tag */
  get pending(): number {
    return this.buffered;
  }

  push(chunk: Buffer): FlvEvent[] {
    if (chunk.length) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: FlvEvent[] = [];
    for (;;) {
      if (!this.gotHeader) {
        if (this.buffered < 9) break;
        const h = this.peek(9);
        if (h.toString('latin1', 0, 3) !== 'FLV') throw new FlvParseError('not an FLV stream (no "FLV" signature)');
        const dataOffset = h.readUInt32BE(5);
        if (dataOffset < 9 || dataOffset > 1024) throw new FlvParseError(`bad DataOffset ${dataOffset}`);
        if (this.buffered < dataOffset + 4) break;
        this.take(dataOffset + 4); // header (+ any extension) and PreviousTagSize0
        this.gotHeader = true;
        out.push({ kind: 'header', header: { version: h[3], hasAudio: (h[4] & 0x04) !== 0, hasVideo: (h[4] & 0x01) !== 0 } });
        continue;
      }
      if (this.buffered < 11) break;
      const th = this.peek(11);
      const size = th.readUIntBE(1, 3);
      if (size > this.maxTagSize) throw new FlvParseError(`tag of ${size} bytes exceeds the limit`);
      if (this.buffered < 11 + size + 4) break;
      const all = this.take(11 + size + 4);
      const timestamp = (all.readUIntBE(4, 3) | (all[7] << 24)) >>> 0;
      // §E.4.1: the low 5 bits are TagType; bit 5 = Filter (encrypted), which we pass on as it is
      out.push({ kind: 'tag', tag: { type: all[0] & 0x1f, timestamp, data: all.subarray(11, 11 + size) } });
    }
    return out;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0].subarray(0, n);
    const b = Buffer.concat(this.chunks);
    this.chunks = [b];
    return b.subarray(0, n);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    let r: Buffer;
    if (first.length >= n) {
      r = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const b = Buffer.concat(this.chunks);
      r = b.subarray(0, n);
      this.chunks = b.length > n ? [b.subarray(n)] : [];
    }
    this.buffered -= n;
    return r;
  }
}

/** A whole FLV file at once. */
export function parseFlv(b: Buffer): { header: FlvHeader; tags: FlvTag[] } {
  const r = new FlvReader();
  let header: FlvHeader | undefined;
  const tags: FlvTag[] = [];
  for (const e of r.push(b)) {
    if (e.kind === 'header') header = e.header;
    else tags.push(e.tag);
  }
  if (!header) throw new FlvParseError('no FLV header');
  if (r.pending) throw new FlvParseError(`${r.pending} trailing bytes (truncated tag)`);
  return { header, tags };
}

export interface FlvVideoPacket {
  /** 'avc' = legacy CodecID 7; 'hevc' = FourCC hvc1 (or legacy CodecID 12 as some servers send); else the CodecID / FourCC */
  codec: 'avc' | 'hevc' | string;
  enhanced: boolean;
  /** FrameType: 1 key, 2 inter, 3 disposable inter, 4 generated key, 5 command frame */
  frameType: number;
  key: boolean;
  /** config = AVCPacketType 0 / SequenceStart; frames = NALUs / CodedFrames(X); end = end of sequence */
  packet: 'config' | 'frames' | 'end' | 'other';
  /** composition time offset, ms */
  cts: number;
  /** config: the decoder configuration record; frames: length-prefixed NAL units */
  data: Buffer;
}

/** VIDEODATA (§E.4.3.1) or Enhanced RTMP ExVideoTagHeader. */
export function parseVideoTag(body: Buffer): FlvVideoPacket {
  if (body.length < 1) throw new FlvParseError('empty video tag');
  const b0 = body[0];
  if (b0 & 0x80) {
    // Enhanced RTMP: IsExHeader(1) FrameType(3) PacketType(4) FourCC(32) …
    if (body.length < 5) throw new FlvParseError('truncated enhanced video tag');
    const frameType = (b0 >> 4) & 7;
    const pt = b0 & 0x0f;
    const fourcc = body.toString('latin1', 1, 5);
    const codec = fourcc === 'hvc1' ? 'hevc' : fourcc === 'avc1' ? 'avc' : fourcc;
    let cts = 0;
    let o = 5;
    let packet: FlvVideoPacket['packet'] = 'other';
    if (pt === PACKET_SEQUENCE_START) packet = 'config';
    else if (pt === PACKET_SEQUENCE_END) packet = 'end';
    else if (pt === PACKET_CODED_FRAMES_X) packet = 'frames';
    else if (pt === PACKET_CODED_FRAMES) {
      packet = 'frames';
      if (codec === 'hevc' || codec === 'avc') {
        if (body.length < 8) throw new FlvParseError('truncated CodedFrames');
        cts = body.readIntBE(5, 3);
        o = 8;
      }
    }
    return { codec, enhanced: true, frameType, key: frameType === 1 || frameType === 4, packet, cts, data: body.subarray(o) };
  }
  const frameType = b0 >> 4;
  const codecId = b0 & 0x0f;
  const key = frameType === 1 || frameType === 4;
  if (codecId === 7 || codecId === 12) {
    if (body.length < 5) throw new FlvParseError('truncated AVC video tag');
    const pt = body[1];
    return {
      codec: codecId === 7 ? 'avc' : 'hevc',
      enhanced: false,
      frameType,
      key,
      packet: pt === 0 ? 'config' : pt === 1 ? 'frames' : pt === 2 ? 'end' : 'other',
      cts: body.readIntBE(2, 3),
      data: body.subarray(5),
    };
  }
  return { codec: String(codecId), enhanced: false, frameType, key, packet: 'other', cts: 0, data: body.subarray(1) };
}

export interface FlvAudioPacket {
  /** SoundFormat (§E.4.2.1): 10 AAC, 7 G.711 A-law, 8 G.711 mu-law, 2 MP3 … */
  soundFormat: number;
  /** SoundRate index 0–3 (5.5/11/22/44 kHz) */
  soundRate: number;
  sampleBits: 8 | 16;
  stereo: boolean;
  /** AAC: config = AACPacketType 0 (AudioSpecificConfig), raw = 1; other formats: raw */
  packet: 'config' | 'raw';
  data: Buffer;
}

/** AUDIODATA (§E.4.2.1) and AACAUDIODATA (§E.4.2.2). */
export function parseAudioTag(body: Buffer): FlvAudioPacket {
  if (body.length < 1) throw new FlvParseError('empty audio tag');
  const b0 = body[0];
  const soundFormat = b0 >> 4;
  const base = { soundFormat, soundRate: (b0 >> 2) & 3, sampleBits: (b0 & 2 ? 16 : 8) as 8 | 16, stereo: (b0 & 1) === 1 };
  if (soundFormat === 10) {
    if (body.length < 2) throw new FlvParseError('truncated AAC audio tag');
    return { ...base, packet: body[1] === 0 ? 'config' : 'raw', data: body.subarray(2) };
  }
  return { ...base, packet: 'raw', data: body.subarray(1) };
}

/** SCRIPTDATA (§E.4.4): a name string then its value, e.g. "onMetaData" + ECMA array. */
export function parseScriptTag(body: Buffer): { name: string; value: Amf0Value; rest: Amf0Value[] } {
  const values = decodeAmf0(body);
  const name = values[0];
  if (typeof name !== 'string') throw new FlvParseError('script tag does not start with a name string');
  return { name, value: values[1], rest: values.slice(2) };
}

/** Splits length-prefixed NAL units (14496-15 §4.3.2 / FLV NALU payloads) without copying. */
export function splitLengthPrefixed(data: Buffer, lengthSize = 4): Buffer[] {
  const out: Buffer[] = [];
  let o = 0;
  while (o < data.length) {
    if (o + lengthSize > data.length) throw new FlvParseError('truncated NAL unit length');
    const len = data.readUIntBE(o, lengthSize);
    o += lengthSize;
    if (o + len > data.length) throw new FlvParseError('NAL unit longer than its packet');
    out.push(data.subarray(o, o + len));
    o += len;
  }
  return out;
}



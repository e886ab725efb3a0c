/**
 * The one currency of the media core: every input (GB PS over RTP, RTSP pull, RTMP push, recordings) is turned into
 * Frames, and every output (FLV, fMP4/HLS, RTSP, PS for cascade, the recorder) is made from Frames.
 *
 * Timestamps are in 90 kHz units (the PES/RTP video clock, ISO/IEC 13818-1 §2.4.3.7), already unwrapped by whoever
 * produced the frame, so they only grow (no 33-bit or 32-bit wrap for consumers to handle).
 */
export type VideoCodec = 'h264' | 'h265' | 'mpeg4' | 'svac';
export type AudioCodec = 'aac' | 'g711a' | 'g711u';
export type Codec = VideoCodec | AudioCodec;

export const CLOCK_HZ = 90_000;

export interface VideoFrame {
  readonly track: 'video';
  readonly codec: VideoCodec;
  /** 90 kHz */
  readonly pts: number;
  /** 90 kHz; equal to pts when the source has no B-frames or no DTS */
  readonly dts: number;
  /** an IDR / IRAP picture (a decoder can start here); for H.264/H.265 the frame then carries its parameter sets */
  readonly key: boolean;
  /** H.264/H.265: NAL units without start codes or length prefixes, in decoding order. Other codecs: one element, the raw picture. */
  readonly units: readonly Buffer[];
}

export interface AudioFrame {
  readonly track: 'audio';
  readonly codec: AudioCodec;
  readonly pts: number;
  readonly dts: number;
  readonly key: true;
  /** AAC: raw access units (ADTS headers removed), one element per AAC frame. G.711: one element of samples. */
  readonly units: readonly Buffer[];
  /** the audio format, when the producer knows it (AAC from the ADTS header); consumers track the latest seen */
  readonly params?: AudioParams;
}

export type Frame = VideoFrame | AudioFrame;

export interface VideoParams {
  readonly codec: VideoCodec;
  readonly width: number;
  readonly height: number;
  /** from the SPS VUI timing when present, else measured by the hub; 0 when unknown */
  readonly fps: number;
  /** H.264: SPS, PPS. H.265: VPS, SPS, PPS. Without start codes. */
  readonly vps?: Buffer;
  readonly sps?: Buffer;
  readonly pps?: Buffer;
  /** e.g. "avc1.64001f" / "hvc1.1.6.L120.90", for HLS CODECS= and MSE */
  readonly mime?: string;
}

export interface AudioParams {
  readonly codec: AudioCodec;
  readonly sampleRate: number;
  readonly channels: number;
  /** AAC AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1) */
  readonly config?: Buffer;
}

export interface TrackParams {
  video?: VideoParams;
  audio?: AudioParams;
}

export function frameBytes(f: Frame): number {
  let n = 0;
  for (const u of f.units) n += u.length;
  return n;
}

/**
 * stream_type values (ISO/IEC 13818-1 Table 2-34) and the GB/T 28181-2016 附录C additions (0x80 SVAC, 0x90 G.711A,
 * 0x91 G.711U, 0x92 G.722.1, 0x93 G.723.1, 0x99 G.729, 0x9B SVAC audio).
 */
import type { AudioCodec, VideoCodec } from '../av/frame.js';

export const StreamType = {
  MPEG4_VIDEO: 0x10,
  H264: 0x1b,
  H265: 0x24,
  SVAC_VIDEO: 0x80,
  AAC: 0x0f,
  G711A: 0x90,
  G711U: 0x91,
  G722_1: 0x92,
  G723_1: 0x93,
  G729: 0x99,
} as const;

/** The video codec of a stream_type; undefined when it is not video we carry. */
export function videoCodecOf(streamType: number): VideoCodec | undefined {
  switch (streamType) {
    case StreamType.H264:
      return 'h264';
    case StreamType.H265:
      return 'h265';
    case StreamType.MPEG4_VIDEO:
      return 'mpeg4';
    case StreamType.SVAC_VIDEO:
      return 'svac';
    default:
      return undefined;
  }
}

/** The audio codec of a stream_type; undefined when it is audio we do not carry (G.722.1, G.723.1, G.729, MPEG audio…). */
export function audioCodecOf(streamType: number): AudioCodec | undefined {
  switch (streamType) {
    case StreamType.AAC:
      return 'aac';
    case StreamType.G711A:
      return 'g711a';
    case StreamType.G711U:
      return 'g711u';
    default:
      return undefined;
  }
}

const VIDEO_TYPES: Record<string, number> = { h264: 0x1b, h265: 0x24, mpeg4: 0x10, svac: 0x80 };
const AUDIO_TYPES: Record<string, number> = { aac: 0x0f, g711a: 0x90, g711u: 0x91 };

export function streamTypeOf(codec: VideoCodec | AudioCodec): number {
  return VIDEO_TYPES[codec] ?? AUDIO_TYPES[codec];
}

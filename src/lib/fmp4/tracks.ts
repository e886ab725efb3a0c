import { CLOCK_HZ, type AudioParams, type TrackParams, type VideoParams } from '../av/frame.js';

export class Fmp4Error extends Error {
  override readonly name = 'Fmp4Error';
}

export interface Fmp4Track {
  /** track_ID: video 1, audio 2 when both are carried, else the one carried track is 1 */
  id: number;
  kind: 'video' | 'audio';
  timescale: number;
}

/** H.264 / H.265 video and AAC audio are carried; other codecs (MPEG-4 Part 2, SVAC, G.711) are left out. */
export function carriedVideo(p: TrackParams): VideoParams | undefined {
  const v = p.video;
  return v && (v.codec === 'h264' || v.codec === 'h265') ? v : undefined;
}

export function carriedAudio(p: TrackParams): AudioParams | undefined {
  const a = p.audio;
  return a && a.codec === 'aac' && a.sampleRate > 0 ? a : undefined;
}

/** The tracks an init segment declares for these params; mediaSegment uses the same numbering. */
export function fmp4Tracks(p: TrackParams): Fmp4Track[] {
  const out: Fmp4Track[] = [];
  if (carriedVideo(p)) out.push({ id: out.length + 1, kind: 'video', timescale: CLOCK_HZ });
  const a = carriedAudio(p);
  if (a) out.push({ id: out.length + 1, kind: 'audio', timescale: a.sampleRate });
  return out;
}

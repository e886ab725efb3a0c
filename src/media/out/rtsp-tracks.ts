import type { Codec, TrackParams } from '../../lib/av/frame.js';
import { AUDIO_CONTROL, buildRtspSdp, VIDEO_CONTROL } from '../../lib/rtsp/index.js';

/** The tracks an RTSP client can SETUP for a stream: trackID=0 video, trackID=1 audio (lib/rtsp/describe.ts). */
export interface RtspTrackInfo {
  /** N of `trackID=N` */
  id: 0 | 1;
  kind: 'video' | 'audio';
  codec: Codec;
  payloadType: number;
  /** RTP clock: 90 000 for video, the sample rate for audio */
  clockRate: number;
  channels?: number;
}

const VIDEO_PT = 96;
const AUDIO_PT = 97;
const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

if (VIDEO_CONTROL !== 'trackID=0' || AUDIO_CONTROL !== 'trackID=1') throw new Error('rtsp-tracks: SDP control names changed in lib/rtsp');

/**
 * The tracks we serve, with the payload types buildRtspSdp writes for them: H.264/H.265 video (MPEG-4 Part 2 and
 * SVAC are not described by lib/rtsp), AAC (mpeg4-generic) and G.711 (static PT 8/0 at 8 kHz mono, RFC 3551 §6).
 */
export function servedTracks(params: TrackParams): RtspTrackInfo[] {
  const out: RtspTrackInfo[] = [];
  const v = params.video;
  if (v && (v.codec === 'h264' || v.codec === 'h265')) out.push({ id: 0, kind: 'video', codec: v.codec, payloadType: VIDEO_PT, clockRate: 90_000 });
  const a = params.audio;
  if (a && a.sampleRate > 0 && a.channels > 0) {
    if (a.codec === 'aac' && (a.config || AAC_RATES.includes(a.sampleRate))) {
      out.push({ id: 1, kind: 'audio', codec: 'aac', payloadType: AUDIO_PT, clockRate: a.sampleRate, channels: a.channels });
    } else if (a.codec === 'g711a' || a.codec === 'g711u') {
      const stat = a.sampleRate === 8000 && a.channels === 1;
      out.push({ id: 1, kind: 'audio', codec: a.codec, payloadType: stat ? (a.codec === 'g711a' ? 8 : 0) : AUDIO_PT, clockRate: a.sampleRate, channels: a.channels });
    }
  }
  return out;
}

/** The DESCRIBE body for exactly the tracks of servedTracks(params). */
export function describeSdp(params: TrackParams, sessionId: string): string {
  const tracks = servedTracks(params);
  const p: TrackParams = {};
  if (tracks.some((t) => t.kind === 'video')) p.video = params.video;
  if (tracks.some((t) => t.kind === 'audio')) p.audio = params.audio;
  return buildRtspSdp(p, { sessionId, videoPayloadType: VIDEO_PT, audioPayloadType: AUDIO_PT });
}

/** Same RTP format (a client set up for `a` can go on receiving `b` without a new DESCRIBE). */
export function sameFormat(a: RtspTrackInfo, b: RtspTrackInfo | undefined): boolean {
  return !!b && a.id === b.id && a.codec === b.codec && a.payloadType === b.payloadType && a.clockRate === b.clockRate && a.channels === b.channels;
}

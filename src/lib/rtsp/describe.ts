import type { AudioParams, Codec, TrackParams, VideoParams } from '../av/frame.js';
import { aacFmtp } from '../rtp/aac.js';
import { attr, fmtp, rtpMaps } from '../sdp/attributes.js';
import { parseSdp } from '../sdp/parse.js';
import type { Sdp, SdpAttribute, SdpMedia } from '../sdp/types.js';
import { writeSdp } from '../sdp/write.js';

export interface RtspSdpOptions {
  /** o=/c= address; default 0.0.0.0 (RTSP clients take the address from the connection) */
  ip?: string;
  sessionName?: string;
  /** o= session id; default a timestamp-like constant given by the caller */
  sessionId?: string;
  /** seconds for recordings; undefined = live (a=range:npt=now-) */
  duration?: number;
  videoPayloadType?: number;
  audioPayloadType?: number;
}

/** Control names of the tracks in the SDP we write (relative to the presentation URL, RFC 2326 §C.1.1). */
export const VIDEO_CONTROL = 'trackID=0';
export const AUDIO_CONTROL = 'trackID=1';

/** profile-level-id (RFC 6184 §8.1): profile_idc, constraint flags, level_idc = SPS bytes 1–3 (after the NAL header). */
export function h264ProfileLevelId(sps: Buffer): string | undefined {
  return sps.length >= 4 ? sps.subarray(1, 4).toString('hex').toUpperCase() : undefined;
}

const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** A 2-byte AAC-LC AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1) when the source gave none. */
export function aacLcConfig(sampleRate: number, channels: number): Buffer {
  const idx = AAC_RATES.indexOf(sampleRate);
  if (idx < 0) throw new RangeError(`no AAC sampling index for ${sampleRate} Hz`);
  const v = (2 << 11) | (idx << 7) | ((channels & 0x0f) << 3);
  return Buffer.from([v >> 8, v & 0xff]);
}

function videoMedia(v: VideoParams, pt: number): SdpMedia | undefined {
  const a: SdpAttribute[] = [];
  if (v.codec === 'h264') {
    a.push({ name: 'rtpmap', value: `${pt} H264/90000` });
    const f = ['packetization-mode=1'];
    const pli = v.sps ? h264ProfileLevelId(v.sps) : undefined;
    if (pli) f.push(`profile-level-id=${pli}`);
    if (v.sps && v.pps) f.push(`sprop-parameter-sets=${v.sps.toString('base64')},${v.pps.toString('base64')}`);
    a.push({ name: 'fmtp', value: `${pt} ${f.join(';')}` }); // RFC 6184 §8.1
  } else if (v.codec === 'h265') {
    a.push({ name: 'rtpmap', value: `${pt} H265/90000` });
    const f: string[] = [];
    if (v.vps) f.push(`sprop-vps=${v.vps.toString('base64')}`);
    if (v.sps) f.push(`sprop-sps=${v.sps.toString('base64')}`);
    if (v.pps) f.push(`sprop-pps=${v.pps.toString('base64')}`);
    if (f.length) a.push({ name: 'fmtp', value: `${pt} ${f.join(';')}` }); // RFC 7798 §7.1
  } else {
    return undefined; // MPEG-4 Part 2 / SVAC: not served over RTSP
  }
  if (v.fps > 0) a.push({ name: 'framerate', value: String(Math.round(v.fps * 100) / 100) }); // RFC 4566 §6
  if (v.width > 0 && v.height > 0) a.push({ name: 'x-dimensions', value: `${v.width},${v.height}` });
  a.push({ name: 'control', value: VIDEO_CONTROL });
  return { type: 'video', port: 0, proto: 'RTP/AVP', formats: [String(pt)], bandwidths: [], attributes: a };
}

function audioMedia(au: AudioParams, dynPt: number): SdpMedia | undefined {
  const a: SdpAttribute[] = [];
  let pt = dynPt;
  if (au.codec === 'aac') {
    const config = au.config ?? aacLcConfig(au.sampleRate, au.channels);
    a.push({ name: 'rtpmap', value: `${pt} MPEG4-GENERIC/${au.sampleRate}/${au.channels}` });
    a.push({ name: 'fmtp', value: aacFmtp(pt, config) }); // RFC 3640 §4.1
  } else if (au.codec === 'g711a' || au.codec === 'g711u') {
    const name = au.codec === 'g711a' ? 'PCMA' : 'PCMU';
    // RFC 3551 §6: static 8 (PCMA) / 0 (PCMU) only for 8000 Hz mono
    if (au.sampleRate === 8000 && au.channels === 1) pt = au.codec === 'g711a' ? 8 : 0;
    a.push({ name: 'rtpmap', value: `${pt} ${name}/${au.sampleRate}/${au.channels}` });
  } else {
    return undefined;
  }
  a.push({ name: 'control', value: AUDIO_CONTROL });
  return { type: 'audio', port: 0, proto: 'RTP/AVP', formats: [String(pt)], bandwidths: [], attributes: a };
}

/** The SDP body of a DESCRIBE answer (RFC 2326 §10.2, Appendix C) for a stream's tracks. */
export function buildRtspSdp(params: TrackParams, opts: RtspSdpOptions = {}): string {
  const ip = opts.ip ?? '0.0.0.0';
  const media: SdpMedia[] = [];
  const v = params.video && videoMedia(params.video, opts.videoPayloadType ?? 96);
  if (v) media.push(v);
  const a = params.audio && audioMedia(params.audio, opts.audioPayloadType ?? 97);
  if (a) media.push(a);
  const sdp: Sdp = {
    version: 0,
    origin: { username: '-', sessionId: opts.sessionId ?? '0', sessionVersion: '1', netType: 'IN', addrType: 'IP4', address: ip },
    sessionName: opts.sessionName ?? 'sharpeye',
    connection: { netType: 'IN', addrType: 'IP4', address: ip },
    bandwidths: [],
    timing: [{ start: 0, stop: 0 }],
    attributes: [
      { name: 'control', value: '*' },
      { name: 'range', value: opts.duration === undefined ? 'npt=now-' : `npt=0-${Number(opts.duration.toFixed(3))}` }, // RFC 2326 §C.1.5
    ],
    media,
  };
  return writeSdp(sdp);
}

/** A track of a DESCRIBE answer, as an RTSP client needs it for SETUP and depacketizing. */
export interface RtspTrack {
  media: string;
  /** absolute URL to SETUP (RFC 2326 §C.1.1) */
  control: string;
  payloadType: number;
  /** upper-case encoding name: H264, H265, MPEG4-GENERIC, PCMA … */
  encoding: string;
  clockRate: number;
  channels?: number;
  /** our codec name, when we can depacketize it */
  codec?: Codec;
  fmtp: Record<string, string>;
  /** H.264 sprop-parameter-sets / H.265 sprop-vps/sps/pps */
  vps?: Buffer;
  sps?: Buffer;
  pps?: Buffer;
  /** AAC AudioSpecificConfig and AU-header layout (RFC 3640 §4.1) */
  config?: Buffer;
  sizeLength?: number;
  indexLength?: number;
  indexDeltaLength?: number;
}

/** Resolves a=control against the Content-Base (or request URL), the way servers expect (RFC 2326 §C.1.1). */
export function resolveControl(base: string, control: string | undefined): string {
  if (!control || control === '*') return base;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(control)) return control;
  return base.endsWith('/') ? base + control : `${base}/${control}`;
}

const b64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64') : undefined);

function codecOf(encoding: string): Codec | undefined {
  switch (encoding) {
    case 'H264':
      return 'h264';
    case 'H265':
    case 'HEVC':
      return 'h265';
    case 'MPEG4-GENERIC':
      return 'aac';
    case 'PCMA':
      return 'g711a';
    case 'PCMU':
      return 'g711u';
    default:
      return undefined;
  }
}

/** Tracks of a DESCRIBE answer; `base` = Content-Base, else Content-Location, else the request URL (§C.1.1). */
export function parseRtspTracks(sdpText: string | Sdp, base: string): RtspTrack[] {
  const sdp = typeof sdpText === 'string' ? parseSdp(sdpText) : sdpText;
  const sessionBase = resolveControl(base, attr(sdp.attributes, 'control'));
  const out: RtspTrack[] = [];
  for (const m of sdp.media) {
    const map = rtpMaps(m)[0];
    if (!map) continue;
    const encoding = map.encoding.toUpperCase();
    const f = fmtp(m, map.payloadType);
    const t: RtspTrack = {
      media: m.type,
      control: resolveControl(sessionBase, attr(m.attributes, 'control')),
      payloadType: map.payloadType,
      encoding,
      clockRate: map.clockRate ?? (m.type === 'video' ? 90000 : 8000),
      fmtp: f,
    };
    if (map.channels) t.channels = map.channels;
    const codec = codecOf(encoding);
    if (codec) t.codec = codec;
    if (codec === 'h264' && f['sprop-parameter-sets']) {
      const [sps, pps] = f['sprop-parameter-sets'].split(',');
      if (sps) t.sps = b64(sps);
      if (pps) t.pps = b64(pps);
    } else if (codec === 'h265') {
      if (f['sprop-vps']) t.vps = b64(f['sprop-vps']);
      if (f['sprop-sps']) t.sps = b64(f['sprop-sps']);
      if (f['sprop-pps']) t.pps = b64(f['sprop-pps']);
    } else if (codec === 'aac') {
      if (f.config && /^[0-9a-f]+$/i.test(f.config)) t.config = Buffer.from(f.config, 'hex');
      t.sizeLength = Number(f.sizelength ?? 13);
      t.indexLength = Number(f.indexlength ?? 3);
      t.indexDeltaLength = Number(f.indexdeltalength ?? 3);
    }
    out.push(t);
  }
  return out;
}

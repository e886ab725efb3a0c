import { connectionAddress, direction, type Direction, mediaAttr, type RtpMap, rtpMaps } from './attributes.js';
import { SdpError } from './errors.js';
import { formatGbFormat, type GbMediaFormat, parseGbFormat } from './gb-format.js';
import { parseSdp } from './parse.js';
import type { Sdp, SdpAttribute, SdpMedia } from './types.js';
import { writeSdp } from './write.js';

/**
 * GB/T 28181 media sessions (GB/T 28181-2016 §9.2 实时视音频点播, §9.8 历史视音频回放, §9.9 下载; SDP per 附录F).
 *
 * TCP convention (RFC 4145 §4, which GB/T 28181-2016 follows for TCP media, RFC 4571 framing): `a=setup` states
 * the role of the party that WROTE the description. So in the platform's INVITE:
 *  - 'tcp-passive': we listen on ip:port and the device connects to us → we write `a=setup:passive`;
 *  - 'tcp-active': the device listens and we connect to it → we write `a=setup:active`; the device's 200 OK then
 *    carries `a=setup:passive` and the port it listens on (m= port, c= address).
 * Both add `a=connection:new` (RFC 4145 §5). This is also what WVP-GB28181-pro, ZLMediaKit-based platforms and
 * Hikvision/Dahua devices do ("TCP被动" = platform listens).
 */
export type GbSubject = 'Play' | 'Playback' | 'Download';
export type GbTransport = 'udp' | 'tcp-passive' | 'tcp-active';

/**
 * How to ask a device for its sub-stream (not in GB/T 28181-2016; devices read vendor attributes):
 *  - 'gb2022': `a=streamnumber:N` — GB/T 28181-2022 (0 main, 1 sub, 2 third …). Newer Hikvision and Dahua
 *    firmware with 2022 support read this.
 *  - 'hikvision': also `a=streamnumber:N`. 2016-firmware Hikvision IPCs/NVRs ignore every SDP hint (the stream is
 *    chosen on the device's 平台接入 page); with GB2022 firmware they read streamnumber (WVP issues #1334, #1704).
 *  - 'dahua': `a=streamprofile:N` — Dahua's private attribute (what WVP's 主子码流切换 sends for non-TP-LINK).
 *  - 'tplink': `a=streamMode:main|sub` — TP-LINK / Mercury (水星).
 *  - 'generic': `a=stream:N` — read by some other vendors (WVP's "通用").
 *  - 'all': every one of the above; unknown attributes are ignored by the rest (RFC 4566 §5.13).
 *  - 'none': nothing; the device sends what it is configured to send.
 */
export type GbStreamProfile = 'gb2022' | 'hikvision' | 'dahua' | 'tplink' | 'generic' | 'all' | 'none';

export interface GbInviteOptions {
  subject: GbSubject;
  /** the channel's 20-digit id: o= username and, for playback/download, the u= resource */
  deviceChannelId: string;
  /** where we receive (c= and o= address) */
  ip: string;
  port: number;
  transport: GbTransport;
  /** y=, 10 decimal digits (first digit 0 live, 1 history; §附录F) */
  ssrc: string;
  /** Playback/Download window, Unix seconds (t=) */
  startTime?: number;
  endTime?: number;
  /** Download speed multiple (a=downloadspeed, GB/T 28181-2016 附录F) */
  downloadSpeed?: number;
  /** 0 main, 1 sub (GB/T 28181-2022 a=streamnumber); undefined writes no stream selector */
  streamNumber?: number;
  /** which attribute(s) carry streamNumber; default 'gb2022' */
  streamProfile?: GbStreamProfile;
  /** o= username when it should differ from deviceChannelId (some platforms put their own id) */
  originId?: string;
  /** `f=` line: a GbMediaFormat or the raw value */
  format?: GbMediaFormat | string;
  /** payload types offered in this order; default 96 98 97 99 (PS, H.264, MPEG-4, H.265) */
  payloadTypes?: number[];
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function checkCommon(ip: string, port: number, ssrc: string): void {
  if (!ip) throw new SdpError('missing media address');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SdpError(`bad media port ${port}`);
  if (!/^\d{1,10}$/.test(ssrc)) throw new SdpError(`bad GB SSRC "${ssrc}" (10 decimal digits)`);
}

function addrType(ip: string): string {
  return IPV4.test(ip) || !ip.includes(':') ? 'IP4' : 'IP6';
}

/** The 10-digit y= form of an SSRC number. */
export function formatGbSsrc(ssrc: number): string {
  return String(ssrc >>> 0).padStart(10, '0');
}

/** The RTP SSRC number of a y= value (decimal, GB/T 28181-2016 附录F); undefined when not one. */
export function parseGbSsrc(y: string | undefined): number | undefined {
  const t = y?.trim();
  if (!t || !/^\d{1,10}$/.test(t)) return undefined;
  const n = Number(t);
  return n <= 0xffffffff ? n : undefined;
}

/** `a=` lines selecting the stream, per vendor profile (see GbStreamProfile). */
export function streamSelectorAttributes(streamNumber: number, profile: GbStreamProfile = 'gb2022'): SdpAttribute[] {
  const n = String(streamNumber);
  const mode = streamNumber === 0 ? 'main' : 'sub';
  switch (profile) {
    case 'gb2022':
    case 'hikvision':
      return [{ name: 'streamnumber', value: n }];
    case 'dahua':
      return [{ name: 'streamprofile', value: n }];
    case 'tplink':
      return [{ name: 'streamMode', value: mode }];
    case 'generic':
      return [{ name: 'stream', value: n }];
    case 'all':
      return [
        { name: 'streamnumber', value: n },
        { name: 'streamprofile', value: n },
        { name: 'stream', value: n },
        { name: 'streamMode', value: mode },
      ];
    case 'none':
      return [];
  }
}

const RTPMAP: Record<number, string> = { 96: 'PS/90000', 97: 'MPEG4/90000', 98: 'H264/90000', 99: 'H265/90000' };

/** The SDP the platform puts in its INVITE to receive a channel's media (GB/T 28181-2016 §9.2.2, 附录F). */
export function buildGbInviteSdp(o: GbInviteOptions): string {
  checkCommon(o.ip, o.port, o.ssrc);
  const history = o.subject !== 'Play';
  const tcp = o.transport !== 'udp';
  const pts = o.payloadTypes ?? [96, 98, 97, 99];
  const attributes: SdpAttribute[] = [{ name: 'recvonly' }];
  for (const pt of pts) if (RTPMAP[pt]) attributes.push({ name: 'rtpmap', value: `${pt} ${RTPMAP[pt]}` });
  if (tcp) {
    attributes.push({ name: 'setup', value: o.transport === 'tcp-passive' ? 'passive' : 'active' });
    attributes.push({ name: 'connection', value: 'new' });
  }
  if (o.subject === 'Download' && o.downloadSpeed !== undefined) attributes.push({ name: 'downloadspeed', value: String(o.downloadSpeed) });
  if (o.streamNumber !== undefined) attributes.push(...streamSelectorAttributes(o.streamNumber, o.streamProfile));
  const at = addrType(o.ip);
  const sdp: Sdp = {
    version: 0,
    origin: { username: o.originId ?? o.deviceChannelId, sessionId: '0', sessionVersion: '0', netType: 'IN', addrType: at, address: o.ip },
    sessionName: o.subject,
    connection: { netType: 'IN', addrType: at, address: o.ip },
    bandwidths: [],
    timing: [history ? { start: Math.floor(o.startTime ?? 0), stop: Math.floor(o.endTime ?? 0) } : { start: 0, stop: 0 }],
    attributes: [],
    media: [
      {
        type: 'video',
        port: o.port,
        proto: tcp ? 'TCP/RTP/AVP' : 'RTP/AVP',
        formats: pts.map(String),
        bandwidths: [],
        attributes,
        ssrc: o.ssrc,
        format: o.format === undefined ? undefined : typeof o.format === 'string' ? o.format : formatGbFormat(o.format),
      },
    ],
  };
  if (history) sdp.uri = `${o.deviceChannelId}:0`; // 附录F u=: "通道ID:参数" short form; 0 = ordinary recording
  return writeSdp(sdp);
}

/** What a GB/T 28181 description says about one media session (an INVITE offer or a 200 OK answer). */
export interface GbSdpInfo {
  /** s=: Play / Playback / Download / Talk as written */
  subject: string;
  /** o= username */
  originId?: string;
  /** u= "channelId:type" split */
  uriChannelId?: string;
  /** c= of the media (else of the session), without /ttl */
  ip?: string;
  port: number;
  media: string;
  transport: 'udp' | 'tcp';
  /** a=setup of the writer (RFC 4145 §4) */
  setup?: 'active' | 'passive' | 'actpass' | 'holdconn';
  /** y= as written (normally 10 digits) */
  ssrc?: string;
  /** y= as a number, when it is one */
  ssrcNumber?: number;
  codecs: RtpMap[];
  /** payload type → encoding name, e.g. { 96: 'PS' } */
  rtpmap: Record<number, string>;
  direction?: Direction;
  startTime?: number;
  endTime?: number;
  downloadSpeed?: number;
  fileSize?: number;
  /** the requested stream (a=streamnumber / streamprofile / stream / streamMode) */
  streamNumber?: number;
  format?: GbMediaFormat;
}

export type GbAnswer = GbSdpInfo;

function intAttr(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.trim());
  return Number.isFinite(n) ? n : undefined;
}

/** Reads a GB/T 28181 description; the media is the first m=video (else the first m=). Throws SdpError without one. */
export function parseGbSdp(text: string): GbSdpInfo {
  const sdp = parseSdp(text);
  const m: SdpMedia | undefined = sdp.media.find((x) => x.type === 'video') ?? sdp.media[0];
  if (!m) throw new SdpError('no m= line in the GB session description');
  const codecs = rtpMaps(m, { gbDefaults: true });
  const rtpmap: Record<number, string> = {};
  for (const c of codecs) rtpmap[c.payloadType] = c.encoding;
  const setup = mediaAttr(sdp, m, 'setup')?.toLowerCase();
  const info: GbSdpInfo = {
    subject: sdp.sessionName,
    port: m.port,
    media: m.type,
    transport: /tcp/i.test(m.proto) ? 'tcp' : 'udp',
    codecs,
    rtpmap,
  };
  if (sdp.origin?.username) info.originId = sdp.origin.username;
  if (sdp.uri) info.uriChannelId = sdp.uri.split(':')[0].trim();
  const ip = connectionAddress(sdp, m) ?? sdp.origin?.address;
  if (ip) info.ip = ip;
  if (setup === 'active' || setup === 'passive' || setup === 'actpass' || setup === 'holdconn') info.setup = setup;
  const y = m.ssrc ?? sdp.ssrc;
  if (y) {
    info.ssrc = y;
    const n = parseGbSsrc(y);
    if (n !== undefined) info.ssrcNumber = n;
  }
  const dir = direction(sdp, m);
  if (dir) info.direction = dir;
  const t = sdp.timing[0];
  if (t && (t.start || t.stop)) {
    info.startTime = t.start;
    info.endTime = t.stop;
  }
  const speed = intAttr(mediaAttr(sdp, m, 'downloadspeed'));
  if (speed !== undefined) info.downloadSpeed = speed;
  const size = intAttr(mediaAttr(sdp, m, 'filesize'));
  if (size !== undefined) info.fileSize = size;
  const sn = intAttr(mediaAttr(sdp, m, 'streamnumber') ?? mediaAttr(sdp, m, 'streamprofile') ?? mediaAttr(sdp, m, 'stream'));
  const mode = mediaAttr(sdp, m, 'streammode')?.toLowerCase();
  if (sn !== undefined) info.streamNumber = sn;
  else if (mode === 'main' || mode === 'sub') info.streamNumber = mode === 'main' ? 0 : 1;
  const f = parseGbFormat(m.format ?? sdp.format);
  if (f) info.format = f;
  return info;
}

/** The device's (or lower platform's) 200 OK description, read by the platform. */
export function parseGbAnswer(text: string): GbAnswer {
  return parseGbSdp(text);
}

/** The platform's INVITE description, read by a device (the simulator) or by us as a lower platform (cascade). */
export function parseGbOffer(text: string): GbSdpInfo {
  return parseGbSdp(text);
}

export interface GbAnswerOptions {
  /** echo the offer's s= */
  subject: GbSubject | string;
  /** o= username: the device (channel) id */
  deviceChannelId: string;
  /** where we send from (udp/tcp active) or listen (tcp passive) */
  ip: string;
  port: number;
  transport: 'udp' | 'tcp';
  /**
   * For TCP, our role (RFC 4145 §4): the opposite of the offer's — offer `passive` (platform listens) → answer
   * `active`; offer `active` → answer `passive` with the port we listen on. See answerSetup().
   */
  setup?: 'active' | 'passive';
  ssrc: string;
  /** default 96 PS/90000 */
  payloadType?: number;
  encoding?: string;
  clockRate?: number;
  /** echo of the offer's t= for playback/download */
  startTime?: number;
  endTime?: number;
  /** Download: total bytes, or -1 unknown (a=filesize, GB/T 28181-2016 附录F) */
  fileSize?: number;
  downloadSpeed?: number;
  format?: GbMediaFormat | string;
}

/** The answerer's a=setup for an offer's (RFC 4145 §4.1): active ↔ passive; actpass → active. */
export function answerSetup(offer: GbSdpInfo['setup']): 'active' | 'passive' {
  return offer === 'active' ? 'passive' : 'active';
}

/** The 200 OK description a device sends back (GB/T 28181-2016 §9.2.2: sendonly, the chosen payload type, y=). */
export function buildGbAnswerSdp(o: GbAnswerOptions): string {
  checkCommon(o.ip, o.port, o.ssrc);
  const pt = o.payloadType ?? 96;
  const attributes: SdpAttribute[] = [{ name: 'sendonly' }, { name: 'rtpmap', value: `${pt} ${o.encoding ?? 'PS'}/${o.clockRate ?? 90000}` }];
  if (o.transport === 'tcp') {
    attributes.push({ name: 'setup', value: o.setup ?? 'active' });
    attributes.push({ name: 'connection', value: 'new' });
  }
  if (o.downloadSpeed !== undefined) attributes.push({ name: 'downloadspeed', value: String(o.downloadSpeed) });
  if (o.fileSize !== undefined) attributes.push({ name: 'filesize', value: String(o.fileSize) });
  const at = addrType(o.ip);
  return writeSdp({
    version: 0,
    origin: { username: o.deviceChannelId, sessionId: '0', sessionVersion: '0', netType: 'IN', addrType: at, address: o.ip },
    sessionName: o.subject,
    connection: { netType: 'IN', addrType: at, address: o.ip },
    bandwidths: [],
    timing: [{ start: Math.floor(o.startTime ?? 0), stop: Math.floor(o.endTime ?? 0) }],
    attributes: [],
    media: [
      {
        type: 'video',
        port: o.port,
        proto: o.transport === 'tcp' ? 'TCP/RTP/AVP' : 'RTP/AVP',
        formats: [String(pt)],
        bandwidths: [],
        attributes,
        ssrc: o.ssrc,
        format: o.format === undefined ? undefined : typeof o.format === 'string' ? o.format : formatGbFormat(o.format),
      },
    ],
  });
}


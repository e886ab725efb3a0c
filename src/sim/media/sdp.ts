/**
 * The simulator's side of GB/T 28181 media SDP (GB/T 28181-2016 §9.2.2, 附录F; RFC 4145/4571 for TCP): what it
 * needs from the platform's offer, and its answer — both through src/lib/sdp.
 */
import net from 'node:net';
import { answerSetup, buildGbAnswerSdp, parseGbOffer as parseGbSdpOffer, type GbMediaFormat } from '../../lib/sdp/index.js';

/**
 * Our role on the media: 'udp'; 'tcp-active' = the offer says a=setup:passive (the platform listens, we connect);
 * 'tcp-passive' = the offer says a=setup:active (the platform connects to us, we listen).
 */
export type MediaTransport = 'udp' | 'tcp-active' | 'tcp-passive';

export interface GbOffer {
  /** s=: Play, Playback, Download, Talk */
  session: string;
  /** c= of the video section (else session level) */
  ip: string;
  port: number;
  transport: MediaTransport;
  /** the payload type the offer maps to PS (96 when only listed: GB default), undefined when PS is not offered */
  payloadType?: number;
  /** y= as written (10 digits), when present */
  ssrc?: string;
  /** t= of playback/download, echoed */
  startTime?: number;
  endTime?: number;
  downloadSpeed?: number;
}

/** Reads an offer; throws Error (answered 488) when it has no usable video section. */
export function parseGbOffer(sdp: string): GbOffer {
  const o = parseGbSdpOffer(sdp);
  if (o.media !== 'video') throw new Error('offer has no m=video line');
  if (!o.ip || !net.isIP(o.ip)) throw new Error(`offer has no usable c= address (${o.ip ?? 'none'})`);
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) throw new Error(`offer m=video port ${o.port} is not usable`);
  const ps = o.codecs.find((c) => /^(PS|MP2P)$/i.test(c.encoding));
  return {
    session: o.subject || 'Play',
    ip: o.ip,
    port: o.port,
    transport: o.transport === 'udp' ? 'udp' : answerSetup(o.setup) === 'active' ? 'tcp-active' : 'tcp-passive',
    payloadType: ps?.payloadType,
    ssrc: o.ssrc,
    startTime: o.startTime,
    endTime: o.endTime,
    downloadSpeed: o.downloadSpeed,
  };
}

export interface GbAnswerInput {
  /** o= user: the channel ID */
  channelId: string;
  offer: GbOffer;
  ip: string;
  port: number;
  payloadType: number;
  ssrc: string;
  format?: GbMediaFormat;
}

/** The device's answer: sendonly PS, our address and port, a=setup for TCP (RFC 4145), y= echoing the SSRC, f=. */
export function buildGbAnswer(a: GbAnswerInput): string {
  const o = a.offer;
  return buildGbAnswerSdp({
    subject: o.session,
    deviceChannelId: a.channelId,
    ip: a.ip,
    port: a.port,
    transport: o.transport === 'udp' ? 'udp' : 'tcp',
    setup: o.transport === 'tcp-active' ? 'active' : o.transport === 'tcp-passive' ? 'passive' : undefined,
    ssrc: a.ssrc,
    payloadType: a.payloadType,
    startTime: o.startTime,
    endTime: o.endTime,
    downloadSpeed: o.session.toLowerCase() === 'download' ? o.downloadSpeed : undefined,
    format: a.format,
  });
}

/** f= (GB/T 28181-2016 附录F): codec, resolution code (1 QCIF, 2 CIF, 3 4CIF, 4 D1, 5 720P, 6 1080P), fps, CBR, kbit/s. */
export function gbFormat(codec: number, width: number, height: number, fps: number, kbps: number): GbMediaFormat {
  const res = height >= 1080 ? 6 : height >= 720 ? 5 : width >= 720 ? 4 : width >= 704 ? 3 : width >= 352 ? 2 : width > 0 ? 1 : undefined;
  return { video: { codec, resolution: res === undefined ? undefined : String(res), frameRate: Math.round(fps), bitrateType: 1, bitrate: kbps } };
}

/** A session description (RFC 4566 §5) with the GB/T 28181-2016 附录F additions `y=` and `f=`. */
export interface SdpOrigin {
  username: string;
  sessionId: string;
  sessionVersion: string;
  netType: string;
  addrType: string;
  address: string;
}

export interface SdpConnection {
  netType: string;
  addrType: string;
  /** as written, including any "/ttl" suffix (RFC 4566 §5.7) */
  address: string;
}

/** `a=name` (property attribute) or `a=name:value` (value attribute), RFC 4566 §5.13 */
export interface SdpAttribute {
  name: string;
  value?: string;
}

export interface SdpBandwidth {
  type: string;
  value: number;
}

export interface SdpTiming {
  /** RFC 4566 says NTP seconds; GB/T 28181 devices and platforms put Unix seconds here (0 = unbounded) */
  start: number;
  stop: number;
}

export interface SdpMedia {
  /** video, audio, application … */
  type: string;
  port: number;
  /** "m=video 6000/2 …" */
  portCount?: number;
  /** RTP/AVP, TCP/RTP/AVP, RTP/AVP/TCP … as written */
  proto: string;
  /** payload types (or other format ids) as written */
  formats: string[];
  info?: string;
  connection?: SdpConnection;
  bandwidths: SdpBandwidth[];
  attributes: SdpAttribute[];
  /** GB/T 28181 `y=`: the SSRC as a 10-digit decimal string */
  ssrc?: string;
  /** GB/T 28181 `f=`: media format, raw (see parseGbFormat) */
  format?: string;
}

export interface Sdp {
  version: number;
  origin?: SdpOrigin;
  sessionName: string;
  info?: string;
  /** `u=`; in GB/T 28181 playback "channelId:0" */
  uri?: string;
  connection?: SdpConnection;
  bandwidths: SdpBandwidth[];
  timing: SdpTiming[];
  attributes: SdpAttribute[];
  media: SdpMedia[];
  /** `y=` / `f=` written before any m= line (rare; normally they follow the media) */
  ssrc?: string;
  format?: string;
}

import { OnvifError } from './errors.js';
import { actionOf } from './namespaces.js';
import { responseElement, type SoapRequest } from './soap.js';
import { attr, child, children, escapeXml, num, parseNumber, path, text, type Tree } from './xml.js';

// Media service, version 1.0 (media.wsdl): profiles, stream and snapshot URIs.

/** A ReferenceToken, escaped for XML. ONVIF caps tokens at 64 characters; we accept up to 256 (vendors overrun it) and refuse empty ones. */
export function refToken(name: string, v: string): string {
  if (typeof v !== 'string' || v.trim() === '' || v.length > 256) throw new OnvifError('INVALID_ARGUMENT', `${name} must be a non-empty token`);
  return escapeXml(v);
}

export const getProfiles = (): SoapRequest => ({ action: actionOf('trt', 'GetProfiles'), body: '<trt:GetProfiles/>', response: 'GetProfilesResponse' });

/** GetStreamUri for RTP unicast over RTSP (media.wsdl: StreamSetup before ProfileToken). */
export function getStreamUri(profileToken: string, stream: 'RTP-Unicast' | 'RTP-Multicast' = 'RTP-Unicast', protocol: 'RTSP' | 'UDP' | 'HTTP' = 'RTSP'): SoapRequest {
  return {
    action: actionOf('trt', 'GetStreamUri'),
    body:
      '<trt:GetStreamUri><trt:StreamSetup>' +
      `<tt:Stream>${stream}</tt:Stream><tt:Transport><tt:Protocol>${protocol}</tt:Protocol></tt:Transport>` +
      `</trt:StreamSetup><trt:ProfileToken>${refToken('profile token', profileToken)}</trt:ProfileToken></trt:GetStreamUri>`,
    response: 'GetStreamUriResponse',
  };
}

export function getSnapshotUri(profileToken: string): SoapRequest {
  return {
    action: actionOf('trt', 'GetSnapshotUri'),
    body: `<trt:GetSnapshotUri><trt:ProfileToken>${refToken('profile token', profileToken)}</trt:ProfileToken></trt:GetSnapshotUri>`,
    response: 'GetSnapshotUriResponse',
  };
}

export interface MediaProfile {
  token: string;
  name: string;
  /** H264, H265, JPEG, MPEG4 (normalised upper case); '' when the profile carries no encoder settings. */
  encoding: 'H264' | 'H265' | 'JPEG' | 'MPEG4' | string;
  /** Encoded resolution; 0 when the device does not tell it (Dahua sends an empty encoder for H.265 on Media 1). */
  width: number;
  height: number;
  fps?: number;
  bitrateKbps?: number;
  /** Token of the physical video source (VideoSourceConfiguration/SourceToken). */
  videoSourceToken?: string;
  /** Size of the video source window (VideoSourceConfiguration/Bounds), the sensor area this profile encodes. */
  sourceWidth?: number;
  sourceHeight?: number;
  /** The profile has a PTZConfiguration: PTZ commands may use its token. */
  ptz: boolean;
}

/** `H.264`, `h264`, `AVC` → `H264`; `HEVC`, `H.265` → `H265`; others upper-cased. */
export function normaliseEncoding(e: string | undefined): string {
  const s = (e ?? '').trim().toUpperCase().replace(/[.\s-]/g, '');
  if (s === 'AVC') return 'H264';
  if (s === 'HEVC') return 'H265';
  return s;
}

function positive(n: number | undefined): number | undefined {
  return n !== undefined && n > 0 ? n : undefined;
}

function readProfile(p: Tree): MediaProfile | null {
  const tok = attr(p, 'token')?.trim();
  if (!tok) return null;
  const vsc = path(p, 'VideoSourceConfiguration');
  const vec = path(p, 'VideoEncoderConfiguration');
  // Hikvision reports H.265 streams on Media 1 as <tt:Encoding>H264</tt:Encoding> with encoding="H265" on the
  // element (Media 1's enum has no H265): the attribute wins when present.
  const encoding = normaliseEncoding(attr(vec, 'encoding') ?? text(vec, 'Encoding'));
  const bounds = path(vsc, 'Bounds');
  const sourceWidth = positive(parseNumber(attr(bounds, 'width')));
  const sourceHeight = positive(parseNumber(attr(bounds, 'height')));
  const fps = positive(num(vec, 'RateControl', 'FrameRateLimit'));
  const bitrateKbps = positive(num(vec, 'RateControl', 'BitrateLimit'));
  const videoSourceToken = text(vsc, 'SourceToken');
  return {
    token: tok,
    name: text(p, 'Name') ?? tok,
    encoding,
    width: Math.trunc(positive(num(vec, 'Resolution', 'Width')) ?? 0),
    height: Math.trunc(positive(num(vec, 'Resolution', 'Height')) ?? 0),
    ...(fps !== undefined ? { fps } : {}),
    ...(bitrateKbps !== undefined ? { bitrateKbps } : {}),
    ...(videoSourceToken ? { videoSourceToken } : {}),
    ...(sourceWidth !== undefined ? { sourceWidth: Math.trunc(sourceWidth) } : {}),
    ...(sourceHeight !== undefined ? { sourceHeight: Math.trunc(sourceHeight) } : {}),
    ptz: child(p, 'PTZConfiguration') !== undefined,
  };
}

/** Profiles in the device's order; profiles without a token are skipped. */
export function parseProfiles(body: Tree): MediaProfile[] {
  const r = responseElement(body, 'GetProfilesResponse');
  const out: MediaProfile[] = [];
  for (const p of children(r, 'Profiles')) {
    const prof = readProfile(p);
    if (prof) out.push(prof);
  }
  return out;
}

/** The `MediaUri/Uri` of a GetStreamUriResponse or GetSnapshotUriResponse (entities decoded: `&amp;` → `&`). */
export function parseMediaUri(body: Tree, responseName: 'GetStreamUriResponse' | 'GetSnapshotUriResponse'): string {
  const uri = text(responseElement(body, responseName), 'MediaUri', 'Uri');
  if (!uri) throw new OnvifError('BAD_RESPONSE', `${responseName} has no MediaUri/Uri`);
  return uri;
}

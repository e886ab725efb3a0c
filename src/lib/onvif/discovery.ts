import { randomUUID } from 'node:crypto';
import { OnvifError } from './errors.js';
import { NS } from './namespaces.js';
import { children, parseXml, path, text, child, isTree } from './xml.js';

// WS-Discovery (2005/04) as ONVIF Core §7 uses it: multicast Probe to 239.255.255.250:3702, unicast ProbeMatches.

export const WSD_MULTICAST_ADDRESS = '239.255.255.250';
export const WSD_PORT = 3702;
export const PROBE_ACTION = `${NS.wsd}/Probe`;
export const PROBE_MATCHES_ACTION = `${NS.wsd}/ProbeMatches`;
const DISCOVERY_TO = 'urn:schemas-xmlsoap-org:ws:2005:04:discovery';
const ANONYMOUS = `${NS.wsa}/role/anonymous`;

/** Device types a Probe may ask for (ONVIF Core §7.3.2: NVTs answer `dn:NetworkVideoTransmitter`, all devices `tds:Device`). */
export type ProbeType = 'dn:NetworkVideoTransmitter' | 'tds:Device';

/**
 * One Probe message. Ask for one type per Probe: a device matches a Probe only when it has every listed type.
 * Returns the datagram text and its MessageID.
 */
export function buildProbe(type: ProbeType = 'dn:NetworkVideoTransmitter', messageId = `urn:uuid:${randomUUID()}`): { xml: string; messageId: string } {
  if (type !== 'dn:NetworkVideoTransmitter' && type !== 'tds:Device') throw new OnvifError('INVALID_ARGUMENT', `unknown probe type ${String(type)}`);
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<s:Envelope xmlns:s="${NS.soap}" xmlns:a="${NS.wsa}" xmlns:d="${NS.wsd}" xmlns:dn="${NS.dn}" xmlns:tds="${NS.tds}">` +
    '<s:Header>' +
    `<a:Action s:mustUnderstand="1">${PROBE_ACTION}</a:Action>` +
    `<a:MessageID>${messageId}</a:MessageID>` +
    `<a:ReplyTo><a:Address>${ANONYMOUS}</a:Address></a:ReplyTo>` +
    `<a:To s:mustUnderstand="1">${DISCOVERY_TO}</a:To>` +
    '</s:Header>' +
    `<s:Body><d:Probe><d:Types>${type}</d:Types></d:Probe></s:Body>` +
    '</s:Envelope>';
  return { xml, messageId };
}

export interface ProbeMatch {
  /** EndpointReference/Address: the device's stable identity (`urn:uuid:…`). */
  endpoint: string;
  /** QNames as sent (`dn:NetworkVideoTransmitter`, `tds:Device`). */
  types: string[];
  /** Scope URIs as sent (`onvif://www.onvif.org/name/HIKVISION%20DS-2CD…`). */
  scopes: string[];
  /** Device service addresses (http/https only), in the device's order. */
  xaddrs: string[];
  metadataVersion?: number;
  /** MessageID of the Probe this answers, when the device sets RelatesTo. */
  relatesTo?: string;
}

const words = (t: string | undefined) => (t ?? '').split(/\s+/).filter(Boolean);

/** Reads the ProbeMatch entries of a ProbeMatches datagram; anything else (a Probe, a Hello, garbage) → []. */
export function parseProbeMatches(datagram: string | Uint8Array): ProbeMatch[] {
  let doc;
  try {
    doc = parseXml(datagram);
  } catch {
    return [];
  }
  const env = child(doc, 'Envelope');
  if (!isTree(env)) return [];
  const relatesTo = text(env, 'Header', 'RelatesTo');
  const matches = children(path(env, 'Body', 'ProbeMatches'), 'ProbeMatch');
  const out: ProbeMatch[] = [];
  for (const m of matches) {
    const xaddrs = words(text(m, 'XAddrs')).filter((x) => /^https?:\/\//i.test(x));
    const endpoint = text(m, 'EndpointReference', 'Address') ?? '';
    if (!endpoint && xaddrs.length === 0) continue;
    const mv = Number(text(m, 'MetadataVersion'));
    out.push({
      endpoint,
      types: words(text(m, 'Types')),
      scopes: words(text(m, 'Scopes')),
      xaddrs,
      ...(Number.isInteger(mv) && text(m, 'MetadataVersion') !== undefined ? { metadataVersion: mv } : {}),
      ...(relatesTo ? { relatesTo } : {}),
    });
  }
  return out;
}

export interface ScopeInfo {
  name?: string;
  hardware?: string;
  location?: string;
  /** ONVIF profiles claimed (`Streaming` = Profile S, `G`, `T`, …). */
  profiles: string[];
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The human-facing parts of ONVIF scopes (Core §7.3.2.2): name, hardware, location, profiles; percent-decoded. */
export function describeScopes(scopes: string[]): ScopeInfo {
  const out: ScopeInfo = { profiles: [] };
  for (const s of scopes) {
    const m = /^onvif:\/\/www\.onvif\.org\/([^/]+)\/(.+)$/i.exec(s);
    if (!m) continue;
    const cat = m[1].toLowerCase();
    const value = decode(m[2]);
    if (cat === 'name') out.name ??= value;
    else if (cat === 'hardware' || cat === 'model') out.hardware ??= value;
    else if (cat === 'location') out.location ??= value.replace(/^(city|country|building|floor)\//i, '');
    else if (cat === 'profile') out.profiles.push(value);
  }
  return out;
}

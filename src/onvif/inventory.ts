import { isOnvifError, type DeviceInformation, type MediaProfile, type ServiceAddresses } from '../lib/onvif/index.js';
import type { OnvifClient } from './client.js';

export interface InventoryStream {
  profileToken: string;
  profileName: string;
  streamUri: string;
  encoding: string;
  width: number;
  height: number;
  fps?: number;
  bitrateKbps?: number;
}

export interface InventorySource {
  /** VideoSourceConfiguration/SourceToken; '' when the device names no source (all its profiles share it). */
  videoSourceToken: string;
  main: InventoryStream;
  sub?: InventoryStream;
  /** A profile of this source has a PTZ configuration and the device has a PTZ service: use `main.profileToken`. */
  ptz: boolean;
  /** Token of the profile to send PTZ commands to (the main one if it has PTZ, else the first that has). */
  ptzProfileToken?: string;
}

export interface Inventory {
  info: DeviceInformation;
  services: ServiceAddresses;
  /** Device clock minus ours (ms), to store with the device and pass back as `clockOffsetMs`. */
  clockOffsetMs: number;
  sources: InventorySource[];
}

const STILLS = new Set(['JPEG', 'MJPEG']);

/** Pixels the profile encodes; when the device hides the encoder (Dahua H.265 on Media 1), the source window's. */
function area(p: MediaProfile): number {
  if (p.width > 0 && p.height > 0) return p.width * p.height;
  return (p.sourceWidth ?? 0) * (p.sourceHeight ?? 0);
}

/**
 * Ranks the profiles of one source: video (H.264, H.265, MPEG-4, or hidden) before JPEG, then larger picture
 * first, then the device's order (profiles of equal size keep it: main before sub on every camera we know).
 */
export function rankProfiles(profiles: MediaProfile[]): MediaProfile[] {
  const cls = (p: MediaProfile) => (STILLS.has(p.encoding) ? 1 : 0);
  return profiles
    .map((p, i) => ({ p, i }))
    .sort((a, b) => cls(a.p) - cls(b.p) || area(b.p) - area(a.p) || a.i - b.i)
    .map((e) => e.p);
}

/** Profiles grouped by video source, in the order the sources first appear. */
export function groupBySource(profiles: MediaProfile[]): Map<string, MediaProfile[]> {
  const groups = new Map<string, MediaProfile[]>();
  for (const p of profiles) {
    const k = p.videoSourceToken ?? '';
    const g = groups.get(k);
    if (g) g.push(p);
    else groups.set(k, [p]);
  }
  return groups;
}

function stream(p: MediaProfile, uri: string): InventoryStream {
  return {
    profileToken: p.token,
    profileName: p.name,
    streamUri: uri,
    encoding: p.encoding,
    width: p.width,
    height: p.height,
    ...(p.fps !== undefined ? { fps: p.fps } : {}),
    ...(p.bitrateKbps !== undefined ? { bitrateKbps: p.bitrateKbps } : {}),
  };
}

/**
 * What the platform stores for an ONVIF device: identity, service addresses, and per video source a main stream
 * (the largest video profile) and a sub stream (the next one), each with its RTSP URI. The clock is measured first
 * so that WS-Security digests carry the device's time. A sub stream whose URI the device refuses is left out; the
 * main one's failure is an error.
 */
export async function readInventory(client: OnvifClient): Promise<Inventory> {
  try {
    await client.getSystemDateAndTime();
  } catch (e) {
    // A device that cannot tell its time may still accept our clock; the calls below report real failures.
    if (isOnvifError(e) && (e.code === 'UNREACHABLE' || e.code === 'TIMEOUT')) throw e;
  }
  const info = await client.getDeviceInformation();
  const services = await client.getCapabilities();
  const profiles = await client.getProfiles();
  const sources: InventorySource[] = [];
  for (const [videoSourceToken, group] of groupBySource(profiles)) {
    const ranked = rankProfiles(group);
    const [mainP, subP] = ranked;
    const main = stream(mainP, await client.getStreamUri(mainP.token));
    let sub: InventoryStream | undefined;
    if (subP) {
      try {
        sub = stream(subP, await client.getStreamUri(subP.token));
      } catch (e) {
        if (!isOnvifError(e) || e.code === 'UNREACHABLE' || e.code === 'TIMEOUT' || e.code === 'AUTH_FAILED') throw e;
      }
    }
    const ptzProfile = services.ptzXaddr ? (mainP.ptz ? mainP : ranked.find((p) => p.ptz)) : undefined;
    sources.push({ videoSourceToken, main, ...(sub ? { sub } : {}), ptz: ptzProfile !== undefined, ...(ptzProfile ? { ptzProfileToken: ptzProfile.token } : {}) });
  }
  return { info, services, clockOffsetMs: client.clockOffsetMs, sources };
}

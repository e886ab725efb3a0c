import type { ChannelInput } from '../api/channels';
import type { Capabilities, Channel, SiteCategory } from '../api/types';
import { CAPABILITY_KEYS } from '../api/types';
import { emptyCapabilities } from './deviceForm';
import { dropEmpty, emptyToNull } from './payload';

export interface ChannelFormModel {
  id: string;
  deviceId: string | null;
  name: string;
  orgId: string | null;
  manufacturer: string;
  model: string;
  installAddress: string;
  longitude: number | null;
  latitude: number | null;
  siteCategory: SiteCategory | '';
  ptzType: number | null;
  sourceUrl: string;
  sensitive: boolean;
  capabilities: Capabilities;
}

/** GB/T 28181 PTZType: 1 dome, 2 half-dome, 3 fixed bullet, 4 remote-controlled bullet. */
export const PTZ_TYPES = [1, 2, 3, 4] as const;

export function channelToForm(c: Channel | null, deviceId?: string | null): ChannelFormModel {
  const ptz = c?.ptzType == null || c.ptzType === '' ? null : Number(c.ptzType);
  return {
    id: c?.id ?? '',
    deviceId: c?.deviceId ?? deviceId ?? null,
    name: c?.name ?? '',
    orgId: c?.orgId ?? null,
    manufacturer: c?.manufacturer ?? '',
    model: c?.model ?? '',
    installAddress: c?.installAddress ?? '',
    longitude: c?.longitude ?? null,
    latitude: c?.latitude ?? null,
    siteCategory: c?.siteCategory ?? '',
    ptzType: Number.isFinite(ptz) ? ptz : null,
    sourceUrl: c?.sourceUrl ?? '',
    sensitive: !!c?.sensitive,
    capabilities: { ...emptyCapabilities(), ...(c?.capabilities ?? {}) },
  };
}

export function channelPayload(f: ChannelFormModel, mode: 'create' | 'update'): ChannelInput {
  const caps = Object.fromEntries(CAPABILITY_KEYS.map((k) => [k, !!f.capabilities[k]])) as unknown as Capabilities;
  const { capabilities: _c, id, deviceId, sensitive, ...rest } = f;
  if (mode === 'create') {
    return { ...dropEmpty({ id, deviceId, ...rest }), sensitive, capabilities: caps } as ChannelInput;
  }
  return { ...emptyToNull(rest), sensitive, capabilities: caps } as ChannelInput;
}

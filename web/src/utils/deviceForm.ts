import type { DeviceInput } from '../api/devices';
import type { Capabilities, Device, SiteCategory } from '../api/types';
import { CAPABILITY_KEYS } from '../api/types';
import { dropEmpty, emptyToNull } from './payload';

export interface DeviceFormModel {
  id: string;
  name: string;
  manufacturer: string;
  model: string;
  firmware: string;
  ip: string;
  port: number | null;
  transport: 'udp' | 'tcp';
  password: string;
  installAddress: string;
  longitude: number | null;
  latitude: number | null;
  orgId: string | null;
  siteCategory: SiteCategory | '';
  ownerUnit: string;
  contactPerson: string;
  contactPhone: string;
  installDate: string;
  capabilities: Capabilities;
  remark: string;
}

export function emptyCapabilities(): Capabilities {
  return { ir: false, lowLight: false, wdr: false, gps: false, ptz: false, faceCapture: false };
}

export function deviceToForm(d: Device | null): DeviceFormModel {
  return {
    id: d?.id ?? '',
    name: d?.name ?? '',
    manufacturer: d?.manufacturer ?? '',
    model: d?.model ?? '',
    firmware: d?.firmware ?? '',
    ip: d?.ip ?? '',
    port: d?.port ?? null,
    transport: d?.transport ?? 'udp',
    password: '',
    installAddress: d?.installAddress ?? '',
    longitude: d?.longitude ?? null,
    latitude: d?.latitude ?? null,
    orgId: d?.orgId ?? null,
    siteCategory: d?.siteCategory ?? '',
    ownerUnit: d?.ownerUnit ?? '',
    contactPerson: d?.contactPerson ?? '',
    contactPhone: d?.contactPhone ?? '',
    installDate: d?.installDate ?? '',
    capabilities: { ...emptyCapabilities(), ...(d?.capabilities ?? {}) },
    remark: d?.remark ?? '',
  };
}

/** API body for create (empty values left out) or update (empty values cleared with null, id not sent). */
export function formToPayload(f: DeviceFormModel, mode: 'create' | 'update'): DeviceInput {
  const caps = Object.fromEntries(CAPABILITY_KEYS.map((k) => [k, !!f.capabilities[k]])) as unknown as Capabilities;
  const { password, capabilities: _c, id, ...rest } = f;
  if (mode === 'create') {
    return { ...dropEmpty({ id, ...rest, password }), capabilities: caps } as DeviceInput;
  }
  const body = { ...emptyToNull(rest), capabilities: caps } as Record<string, unknown>;
  // transport and source always have a value; the name is required
  if (password) body.password = password;
  return body as DeviceInput;
}

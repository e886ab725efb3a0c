/** Resource shapes of docs/api.md. */

export interface User {
  id: string;
  username: string;
  displayName: string | null;
  enabled: boolean;
  roleIds: string[];
  locked: boolean;
  lockedUntil: string | null;
  lastLoginAt: string | null;
  phone: string | null;
  email: string | null;
  mustChangePassword: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Role {
  id: string;
  name: string;
  description: string | null;
  permissions: string[];
  allChannels: boolean;
  orgIds: string[];
  channelIds: string[];
  builtin: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface PermissionDef {
  key: string;
  group: string;
  label: { zh: string; en: string };
}

export type OrgType = 'region' | 'business_group' | 'virtual_org';
export const ORG_TYPES: OrgType[] = ['region', 'business_group', 'virtual_org'];

export interface Org {
  id: string;
  name: string;
  parentId: string | null;
  type: OrgType;
  sort: number;
  civilCode?: string | null;
}

export interface Capabilities {
  ir: boolean;
  lowLight: boolean;
  wdr: boolean;
  gps: boolean;
  ptz: boolean;
  faceCapture: boolean;
}
export const CAPABILITY_KEYS: (keyof Capabilities)[] = ['ir', 'lowLight', 'wdr', 'gps', 'ptz', 'faceCapture'];

export const SITE_CATEGORIES = [
  'shop',
  'residential',
  'parking',
  'hotel',
  'entertainment',
  'scenic',
  'enterprise',
  'school',
  'hospital',
  'other',
] as const;
export type SiteCategory = (typeof SITE_CATEGORIES)[number];

export const DEVICE_SOURCES = ['gb', 'manual', 'rtsp', 'onvif', 'rtmp'] as const;
export type DeviceSource = (typeof DEVICE_SOURCES)[number];

export interface Device {
  id: string;
  name: string;
  typeCode: string | null;
  typeName: string | null;
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  ip: string | null;
  port: number | null;
  transport: 'udp' | 'tcp';
  online: boolean;
  channelCount: number;
  registeredAt: string | null;
  lastKeepaliveAt: string | null;
  installAddress: string | null;
  longitude: number | null;
  latitude: number | null;
  orgId: string | null;
  siteCategory: SiteCategory | null;
  ownerUnit: string | null;
  contactPerson: string | null;
  contactPhone: string | null;
  installDate: string | null;
  capabilities: Capabilities;
  remark: string | null;
  source: DeviceSource;
  hasPassword: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Channel {
  id: string;
  deviceId: string;
  name: string;
  orgId: string | null;
  online: boolean;
  manufacturer: string | null;
  model: string | null;
  installAddress: string | null;
  longitude: number | null;
  latitude: number | null;
  siteCategory: SiteCategory | null;
  capabilities: Capabilities;
  ptzType: number | string | null;
  sourceUrl: string | null;
  sensitive: boolean;
  codec: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface MaintenanceRecord {
  id: string;
  deviceId?: string;
  date: string;
  person: string;
  content: string;
  createdAt?: string;
}

export interface Photo {
  id: string;
  filename: string;
  mime: string;
  size: number;
  createdAt: string;
}

export interface UserLog {
  id: string | number;
  at: string;
  userId: string | null;
  username: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  detail: unknown;
  ip: string | null;
  result: string;
}

export interface DeviceLog {
  id: string | number;
  at: string;
  deviceId: string | null;
  channelId: string | null;
  event: string;
  level: string;
  detail: unknown;
}

export interface AlarmLog {
  id: string | number;
  at: string;
  deviceId: string | null;
  channelId: string | null;
  alarmType: string | number | null;
  priority: string | number | null;
  method: string | number | null;
  description: string | null;
  ackedBy: string | null;
  ackedAt: string | null;
  ackComment: string | null;
}

export type ApiKeyScope = 'basic:read' | 'service' | 'collect';
export const API_KEY_SCOPES: ApiKeyScope[] = ['basic:read', 'service', 'collect'];

export interface ApiKey {
  id: string;
  name: string;
  scopes: ApiKeyScope[];
  expiresAt: string | null;
  createdAt: string;
  lastUsedAt?: string | null;
  prefix?: string;
  key?: string;
}

export interface Settings {
  logRetentionDays: number;
  sessionTtlMinutes: number;
  [k: string]: unknown;
}

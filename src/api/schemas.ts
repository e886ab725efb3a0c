import { Type, type Static } from 'typebox';
import { SITE_CATEGORIES } from '../store/repos/archive-fields.js';

/** Shared JSON schemas. Objects are closed (`additionalProperties: false`) so unknown fields are rejected. */
export const Closed = { additionalProperties: false } as const;

export const ErrorBody = Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) });

export const GbId = Type.String({ pattern: '^[0-9]{20}$', description: '20-digit GB/T 28181 code' });
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
export const ShortText = (max = 200) => Type.String({ maxLength: max });

export const PageQuery = {
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 20 })),
};

export const pageOf = <T extends Parameters<typeof Type.Array>[0]>(item: T) =>
  Type.Object({ items: Type.Array(item), total: Type.Integer(), page: Type.Integer(), pageSize: Type.Integer() });

export const Capabilities = Type.Object(
  {
    ir: Type.Optional(Type.Boolean()),
    lowLight: Type.Optional(Type.Boolean()),
    wdr: Type.Optional(Type.Boolean()),
    gps: Type.Optional(Type.Boolean()),
    ptz: Type.Optional(Type.Boolean()),
    faceCapture: Type.Optional(Type.Boolean()),
  },
  Closed,
);

export const SiteCategory = Type.Union(SITE_CATEGORIES.map((c) => Type.Literal(c)));
export const DateOnly = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' });
export const IsoTime = Type.String({ format: 'date-time' });

/** Archive fields shared by device and channel bodies. */
const archiveFields = {
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  manufacturer: Type.Optional(Nullable(ShortText())),
  model: Type.Optional(Nullable(ShortText())),
  installAddress: Type.Optional(Nullable(ShortText())),
  longitude: Type.Optional(Nullable(Type.Number({ minimum: -180, maximum: 180 }))),
  latitude: Type.Optional(Nullable(Type.Number({ minimum: -90, maximum: 90 }))),
  orgId: Type.Optional(Nullable(Type.String({ maxLength: 20 }))),
  siteCategory: Type.Optional(Nullable(SiteCategory)),
  capabilities: Type.Optional(Capabilities),
};

export const DeviceFields = {
  ...archiveFields,
  firmware: Type.Optional(Nullable(ShortText())),
  ip: Type.Optional(Nullable(Type.String({ maxLength: 45, pattern: '^[0-9a-fA-F:.]*$' }))),
  port: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 65535 }))),
  transport: Type.Optional(Type.Union([Type.Literal('udp'), Type.Literal('tcp')])),
  mediaTransport: Type.Optional(Type.Union([Type.Literal('udp'), Type.Literal('tcp-passive'), Type.Literal('tcp-active')], { description: 'RTP transport for video: udp, tcp-passive (device connects to us), tcp-active (we connect to the device)' })),
  streamProfile: Type.Optional(Type.Union(['auto', 'gb2022', 'hikvision', 'dahua', 'none'].map((v) => Type.Literal(v)), { description: 'SDP dialect used to ask for the sub-stream' })),
  ownerUnit: Type.Optional(Nullable(ShortText())),
  contactPerson: Type.Optional(Nullable(ShortText(50))),
  contactPhone: Type.Optional(Nullable(ShortText(50))),
  installDate: Type.Optional(Nullable(DateOnly)),
  remark: Type.Optional(Nullable(ShortText(500))),
  password: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64, description: 'device SIP password (stored encrypted)' }))),
};
export const DeviceCreate = Type.Object({ id: GbId, ...DeviceFields }, Closed);
export const DevicePatch = Type.Object(DeviceFields, Closed);

export const ChannelFields = {
  ...archiveFields,
  ptzType: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 4 }))),
  sourceUrl: Type.Optional(Nullable(Type.String({ maxLength: 1000, pattern: '^(rtsp|rtsps|rtmp|http|https)://', description: 'RTSP URL to pull (credentials allowed: rtsp://user:pass@host/...; shown masked)' }))),
  subSourceUrl: Type.Optional(Nullable(Type.String({ maxLength: 1000, pattern: '^(rtsp|rtsps)://', description: 'RTSP URL of the sub-stream' }))),
  sourceType: Type.Optional(Type.Union(['gb', 'rtsp', 'rtmp', 'onvif'].map((v) => Type.Literal(v)), { description: 'gb: GB/T 28181 device; rtsp: pulled from sourceUrl; rtmp: an encoder publishes to the pushUrl of the answer' })),
  pullMode: Type.Optional(Type.Union([Type.Literal('on-demand'), Type.Literal('always')], { description: 'RTSP: pull while watched (default) or always' })),
  pullTransport: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('tcp'), Type.Literal('udp')])),
  sensitive: Type.Optional(Type.Boolean()),
};
export const ChannelCreate = Type.Object({ id: GbId, deviceId: GbId, ...ChannelFields }, Closed);
export const ChannelPatch = Type.Object(ChannelFields, Closed);

export const IdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export type IdParamT = Static<typeof IdParam>;

import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { gbTypeName, parseGbId } from '../../core/gbid.js';
import { likePattern, pageBounds, parseJson, toCount, type Page, type PageQuery } from '../paging.js';
import type { DB, DevicesTable } from '../schema.js';
import { deviceInScope, type ChannelScope } from '../scope.js';
import { normaliseCapabilities, type Capabilities } from './archive-fields.js';

export interface Device {
  id: string;
  name: string;
  typeCode: string;
  typeName: string;
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
  siteCategory: string | null;
  ownerUnit: string | null;
  contactPerson: string | null;
  contactPhone: string | null;
  installDate: string | null;
  capabilities: Capabilities;
  remark: string | null;
  source: string;
  hasPassword: boolean;
  createdAt: string;
  updatedAt: string;
  /** GB/T 28181 registration expiry (null when never registered) */
  registerExpiresAt: string | null;
  keepaliveInterval: number | null;
  userAgent: string | null;
  catalogAt: string | null;
  /** how the device sends RTP: udp, tcp-passive (it connects to us) or tcp-active (we connect to it) */
  mediaTransport: MediaTransport;
  /** SDP dialect for sub-stream selection (GB/T 28181-2022 streamnumber, or a 2016 vendor variant) */
  streamProfile: StreamProfile;
  /** ONVIF devices: device service address and user (the password is sealed like a SIP password) */
  onvifXaddr: string | null;
  onvifUsername: string | null;
}

export const MEDIA_TRANSPORTS = ['udp', 'tcp-passive', 'tcp-active'] as const;
export type MediaTransport = (typeof MEDIA_TRANSPORTS)[number];
export const STREAM_PROFILES = ['auto', 'gb2022', 'hikvision', 'dahua', 'none'] as const;
export type StreamProfile = (typeof STREAM_PROFILES)[number];

/** Archive fields a user may set (create/update/import). */
export interface DeviceInput {
  name?: string;
  manufacturer?: string | null;
  model?: string | null;
  firmware?: string | null;
  ip?: string | null;
  port?: number | null;
  transport?: 'udp' | 'tcp';
  installAddress?: string | null;
  longitude?: number | null;
  latitude?: number | null;
  orgId?: string | null;
  siteCategory?: string | null;
  ownerUnit?: string | null;
  contactPerson?: string | null;
  contactPhone?: string | null;
  installDate?: string | null;
  capabilities?: Partial<Capabilities>;
  remark?: string | null;
  source?: string;
  /** already sealed by the caller (core/secrets) */
  passwordSealed?: string | null;
  mediaTransport?: MediaTransport;
  streamProfile?: StreamProfile;
  onvifXaddr?: string | null;
  onvifUsername?: string | null;
}

export interface DeviceFilter extends PageQuery {
  q?: string;
  online?: boolean;
  orgId?: string;
  siteCategory?: string;
}

type Row = Selectable<DevicesTable> & { channel_count: number | string };

function toDevice(r: Row): Device {
  return {
    id: r.id,
    name: r.name,
    typeCode: r.type_code,
    typeName: gbTypeName(r.type_code),
    manufacturer: r.manufacturer,
    model: r.model,
    firmware: r.firmware,
    ip: r.ip,
    port: r.port,
    transport: r.transport === 'tcp' ? 'tcp' : 'udp',
    online: Boolean(r.online),
    channelCount: toCount(r.channel_count),
    registeredAt: r.registered_at,
    lastKeepaliveAt: r.last_keepalive_at,
    installAddress: r.install_address,
    longitude: r.longitude === null ? null : Number(r.longitude),
    latitude: r.latitude === null ? null : Number(r.latitude),
    orgId: r.org_id,
    siteCategory: r.site_category,
    ownerUnit: r.owner_unit,
    contactPerson: r.contact_person,
    contactPhone: r.contact_phone,
    installDate: r.install_date,
    capabilities: normaliseCapabilities(parseJson(r.capabilities, {})),
    remark: r.remark,
    source: r.source,
    hasPassword: r.password_sealed !== null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    registerExpiresAt: r.expires_at,
    keepaliveInterval: r.keepalive_interval,
    userAgent: r.user_agent,
    catalogAt: r.catalog_at,
    mediaTransport: (MEDIA_TRANSPORTS as readonly string[]).includes(r.media_transport ?? '') ? (r.media_transport as MediaTransport) : 'udp',
    onvifXaddr: r.onvif_xaddr,
    onvifUsername: r.onvif_username,
    streamProfile: (STREAM_PROFILES as readonly string[]).includes(r.stream_profile ?? '') ? (r.stream_profile as StreamProfile) : 'auto',
  };
}

function inputColumns(i: DeviceInput): Partial<DevicesTable> {
  const c: Partial<DevicesTable> = {};
  if (i.name !== undefined) c.name = i.name;
  if (i.manufacturer !== undefined) c.manufacturer = i.manufacturer;
  if (i.model !== undefined) c.model = i.model;
  if (i.firmware !== undefined) c.firmware = i.firmware;
  if (i.ip !== undefined) c.ip = i.ip;
  if (i.port !== undefined) c.port = i.port;
  if (i.transport !== undefined) c.transport = i.transport;
  if (i.installAddress !== undefined) c.install_address = i.installAddress;
  if (i.longitude !== undefined) c.longitude = i.longitude;
  if (i.latitude !== undefined) c.latitude = i.latitude;
  if (i.orgId !== undefined) c.org_id = i.orgId;
  if (i.siteCategory !== undefined) c.site_category = i.siteCategory;
  if (i.ownerUnit !== undefined) c.owner_unit = i.ownerUnit;
  if (i.contactPerson !== undefined) c.contact_person = i.contactPerson;
  if (i.contactPhone !== undefined) c.contact_phone = i.contactPhone;
  if (i.installDate !== undefined) c.install_date = i.installDate;
  if (i.capabilities !== undefined) c.capabilities = JSON.stringify(normaliseCapabilities(i.capabilities));
  if (i.remark !== undefined) c.remark = i.remark;
  if (i.source !== undefined) c.source = i.source;
  if (i.passwordSealed !== undefined) c.password_sealed = i.passwordSealed;
  if (i.mediaTransport !== undefined) c.media_transport = i.mediaTransport;
  if (i.streamProfile !== undefined) c.stream_profile = i.streamProfile;
  if (i.onvifXaddr !== undefined) c.onvif_xaddr = i.onvifXaddr;
  if (i.onvifUsername !== undefined) c.onvif_username = i.onvifUsername;
  return c;
}

type Db = Kysely<DB> | Transaction<DB>;

export class DeviceRepo {
  constructor(private readonly db: Kysely<DB>) {}

  private base(db: Db = this.db) {
    return db
      .selectFrom('devices')
      .selectAll('devices')
      .select((eb) =>
        eb
          .selectFrom('channels')
          .select(eb.fn.countAll().as('n'))
          .whereRef('channels.device_id', '=', 'devices.id')
          .as('channel_count'),
      );
  }

  async list(scope: ChannelScope, f: DeviceFilter): Promise<Page<Device>> {
    const { page, pageSize, offset } = pageBounds(f);
    let q = this.db.selectFrom('devices').where((eb) => deviceInScope(eb, scope));
    if (f.online !== undefined) q = q.where('devices.online', '=', f.online ? 1 : 0);
    if (f.orgId) q = q.where('devices.org_id', '=', f.orgId);
    if (f.siteCategory) q = q.where('devices.site_category', '=', f.siteCategory);
    if (f.q) {
      const p = likePattern(f.q);
      q = q.where((eb) =>
        eb.or([
          sql<boolean>`lower(devices.id) like ${p} escape '\\'`,
          sql<boolean>`lower(devices.name) like ${p} escape '\\'`,
          sql<boolean>`lower(coalesce(devices.ip, '')) like ${p} escape '\\'`,
          sql<boolean>`lower(coalesce(devices.install_address, '')) like ${p} escape '\\'`,
          sql<boolean>`lower(coalesce(devices.manufacturer, '')) like ${p} escape '\\'`,
        ]),
      );
    }
    const [{ n }] = await q.select((eb) => eb.fn.countAll().as('n')).execute();
    const rows = await q
      .selectAll('devices')
      .select((eb) => eb.selectFrom('channels').select(eb.fn.countAll().as('n')).whereRef('channels.device_id', '=', 'devices.id').as('channel_count'))
      .orderBy('devices.id')
      .limit(pageSize)
      .offset(offset)
      .execute();
    return { items: rows.map((r) => toDevice(r as Row)), total: toCount(n), page, pageSize };
  }

  /** All devices in scope, in id order (exports). */
  async all(scope: ChannelScope): Promise<Device[]> {
    const rows = await this.base()
      .where((eb) => deviceInScope(eb, scope))
      .orderBy('devices.id')
      .execute();
    return rows.map((r) => toDevice(r as Row));
  }

  async get(id: string, scope: ChannelScope, db: Db = this.db): Promise<Device | undefined> {
    const r = await this.base(db)
      .where('devices.id', '=', id)
      .where((eb) => deviceInScope(eb, scope))
      .executeTakeFirst();
    return r ? toDevice(r as Row) : undefined;
  }

  async exists(id: string, db: Db = this.db): Promise<boolean> {
    return (await db.selectFrom('devices').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
  }

  async passwordSealed(id: string): Promise<string | null | undefined> {
    const r = await this.db.selectFrom('devices').select('password_sealed').where('id', '=', id).executeTakeFirst();
    return r?.password_sealed;
  }

  async create(id: string, input: DeviceInput, now: string, db: Db = this.db): Promise<void> {
    const gb = parseGbId(id);
    await db
      .insertInto('devices')
      .values({
        id,
        name: input.name ?? id,
        type_code: gb?.typeCode ?? '000',
        transport: 'udp',
        online: 0,
        capabilities: JSON.stringify(normaliseCapabilities(undefined)),
        source: 'manual',
        created_at: now,
        updated_at: now,
        ...inputColumns(input),
      } as DevicesTable)
      .execute();
  }

  async update(id: string, input: DeviceInput, now: string, db: Db = this.db): Promise<boolean> {
    const r = await db
      .updateTable('devices')
      .set({ ...inputColumns(input), updated_at: now })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('devices').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async setOnline(id: string, online: boolean, now: string): Promise<void> {
    await this.db.updateTable('devices').set({ online: online ? 1 : 0, updated_at: now }).where('id', '=', id).execute();
  }

  async countByOrg(orgId: string): Promise<number> {
    const [{ n }] = await this.db.selectFrom('devices').select((eb) => eb.fn.countAll().as('n')).where('org_id', '=', orgId).execute();
    return toCount(n);
  }
}

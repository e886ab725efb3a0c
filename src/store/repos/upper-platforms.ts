import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';

export type CatalogMode = 'org' | 'civil' | 'flat';

/** An upper platform we cascade to (GB/T 28181-2016 §5, we are its lower platform). */
export interface UpperPlatform {
  id: string;
  name: string;
  /** the upper's SIP server ID and domain */
  serverId: string;
  domain: string;
  host: string;
  port: number;
  transport: 'udp' | 'tcp';
  /** the 20-digit ID we register with (type 200, assigned by the bureau) */
  localId: string;
  /** digest username when the upper wants something other than localId */
  username: string | null;
  hasPassword: boolean;
  expires: number;
  keepaliveInterval: number;
  /** keepalives unanswered before we register again */
  keepaliveMisses: number;
  charset: 'GB2312' | 'UTF-8';
  /** catalog layout: org tree as business groups/virtual orgs, by civil code, or channels only */
  catalogMode: CatalogMode;
  catalogPageSize: number;
  /** may the upper move PTZ and send DeviceControl to our devices */
  ptzAllowed: boolean;
  /** RecordInfo and playback for the upper: our platform recordings, the device's, or both */
  recordSource: 'platform' | 'device' | 'both';
  /** set our clock reference from the upper's Date header (reported, never changes the system clock) */
  timeSync: boolean;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export type UpperInput = Omit<UpperPlatform, 'id' | 'hasPassword' | 'createdAt' | 'updatedAt'> & { passwordSealed?: string | null };

/** One channel row as the catalog for an upper needs it. */
export interface SharedChannel {
  id: string;
  /** the ID the upper knows it by (custom or ours) */
  upperId: string;
  deviceId: string;
  name: string;
  orgId: string | null;
  online: boolean;
  manufacturer: string | null;
  model: string | null;
  owner: string | null;
  civilCode: string | null;
  block: string | null;
  address: string | null;
  parentId: string | null;
  businessGroupId: string | null;
  secrecy: number | null;
  ip: string | null;
  port: number | null;
  longitude: number | null;
  latitude: number | null;
  ptzType: number | null;
}

export class UpperPlatformRepo {
  constructor(private readonly db: Kysely<DB>) {}

  async list(): Promise<UpperPlatform[]> {
    return (await this.db.selectFrom('upper_platforms').selectAll().orderBy('name').execute()).map(toUpper);
  }

  async get(id: string): Promise<UpperPlatform | undefined> {
    const r = await this.db.selectFrom('upper_platforms').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toUpper(r) : undefined;
  }

  async sealedPassword(id: string): Promise<string | null> {
    const r = await this.db.selectFrom('upper_platforms').select('password_sealed').where('id', '=', id).executeTakeFirst();
    return r?.password_sealed ?? null;
  }

  async create(id: string, i: UpperInput, now: string): Promise<void> {
    await this.db.insertInto('upper_platforms').values({ id, ...row(i), password_sealed: i.passwordSealed ?? null, created_at: now, updated_at: now }).execute();
  }

  async update(id: string, i: Partial<UpperInput>, now: string): Promise<boolean> {
    const cur = await this.get(id);
    if (!cur) return false;
    const merged = { ...cur, ...i };
    const set: Record<string, unknown> = { ...row(merged), updated_at: now };
    if (i.passwordSealed !== undefined) set.password_sealed = i.passwordSealed;
    await this.db.updateTable('upper_platforms').set(set).where('id', '=', id).execute();
    return true;
  }

  async delete(id: string): Promise<boolean> {
    await this.db.deleteFrom('upper_channels').where('upper_id', '=', id).execute();
    await this.db.deleteFrom('upper_orgs').where('upper_id', '=', id).execute();
    const r = await this.db.deleteFrom('upper_platforms').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Replaces the shared channels (with optional custom GB IDs) and org nodes of an upper. */
  async setShares(upperId: string, channels: Array<{ channelId: string; customId?: string | null }>, orgIds: string[]): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('upper_channels').where('upper_id', '=', upperId).execute();
      await tx.deleteFrom('upper_orgs').where('upper_id', '=', upperId).execute();
      for (let i = 0; i < channels.length; i += 500) {
        await tx
          .insertInto('upper_channels')
          .values(channels.slice(i, i + 500).map((c) => ({ upper_id: upperId, channel_id: c.channelId, custom_id: c.customId ?? null })))
          .execute();
      }
      if (orgIds.length) await tx.insertInto('upper_orgs').values(orgIds.map((o) => ({ upper_id: upperId, org_id: o }))).execute();
    });
  }

  async shares(upperId: string): Promise<{ channels: Array<{ channelId: string; customId: string | null }>; orgIds: string[] }> {
    const ch = await this.db.selectFrom('upper_channels').select(['channel_id', 'custom_id']).where('upper_id', '=', upperId).execute();
    const orgs = await this.db.selectFrom('upper_orgs').select('org_id').where('upper_id', '=', upperId).execute();
    return { channels: ch.map((c) => ({ channelId: c.channel_id, customId: c.custom_id })), orgIds: orgs.map((o) => o.org_id) };
  }

  /**
   * Every channel an upper may see: the ones shared one by one, plus all channels under a shared org node (and its
   * descendants). Custom IDs replace ours where the bureau assigned its own.
   */
  async sharedChannels(upperId: string): Promise<SharedChannel[]> {
    const { channels, orgIds } = await this.shares(upperId);
    const custom = new Map(channels.map((c) => [c.channelId, c.customId]));
    const orgs = await this.db.selectFrom('orgs').select(['id', 'parent_id']).execute();
    const children = new Map<string, string[]>();
    for (const o of orgs) if (o.parent_id) children.set(o.parent_id, [...(children.get(o.parent_id) ?? []), o.id]);
    const under = new Set<string>();
    const walk = (id: string) => {
      if (under.has(id)) return;
      under.add(id);
      for (const c of children.get(id) ?? []) walk(c);
    };
    for (const o of orgIds) walk(o);
    const rows: Array<DB['channels']> = [];
    const ids = [...custom.keys()];
    for (let i = 0; i < ids.length; i += 500) rows.push(...((await this.db.selectFrom('channels').selectAll().where('id', 'in', ids.slice(i, i + 500)).execute()) as Array<DB['channels']>));
    const orgList = [...under];
    for (let i = 0; i < orgList.length; i += 500) rows.push(...((await this.db.selectFrom('channels').selectAll().where('org_id', 'in', orgList.slice(i, i + 500)).execute()) as Array<DB['channels']>));
    const seen = new Set<string>();
    const out: SharedChannel[] = [];
    for (const r of rows) {
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      out.push({
        id: r.id,
        upperId: custom.get(r.id) || r.id,
        deviceId: r.device_id,
        name: r.name,
        orgId: r.org_id,
        online: r.online === 1,
        manufacturer: r.manufacturer,
        model: r.model,
        owner: r.owner,
        civilCode: r.civil_code,
        block: r.block,
        address: r.install_address,
        parentId: r.parent_id,
        businessGroupId: r.business_group_id,
        secrecy: r.secrecy,
        ip: r.ip,
        port: r.port,
        longitude: r.longitude,
        latitude: r.latitude,
        ptzType: r.ptz_type,
      });
    }
    return out.sort((a, b) => (a.upperId < b.upperId ? -1 : 1));
  }
}

function row(i: Omit<UpperInput, 'passwordSealed'> | UpperPlatform) {
  return {
    name: i.name,
    server_id: i.serverId,
    domain: i.domain,
    host: i.host,
    port: i.port,
    transport: i.transport,
    local_id: i.localId,
    username: i.username,
    expires: i.expires,
    keepalive_interval: i.keepaliveInterval,
    keepalive_misses: i.keepaliveMisses,
    charset: i.charset,
    catalog_mode: i.catalogMode,
    catalog_page_size: i.catalogPageSize,
    ptz_allowed: i.ptzAllowed ? 1 : 0,
    record_source: i.recordSource,
    time_sync: i.timeSync ? 1 : 0,
    enabled: i.enabled ? 1 : 0,
  };
}

function toUpper(r: DB['upper_platforms']): UpperPlatform {
  return {
    id: r.id,
    name: r.name,
    serverId: r.server_id,
    domain: r.domain,
    host: r.host,
    port: Number(r.port),
    transport: r.transport === 'tcp' ? 'tcp' : 'udp',
    localId: r.local_id,
    username: r.username,
    hasPassword: r.password_sealed !== null,
    expires: Number(r.expires),
    keepaliveInterval: Number(r.keepalive_interval),
    keepaliveMisses: Number(r.keepalive_misses),
    charset: r.charset === 'UTF-8' ? 'UTF-8' : 'GB2312',
    catalogMode: (['org', 'civil', 'flat'].includes(r.catalog_mode) ? r.catalog_mode : 'org') as CatalogMode,
    catalogPageSize: Number(r.catalog_page_size),
    ptzAllowed: Number(r.ptz_allowed) === 1,
    recordSource: (['platform', 'device', 'both'].includes(r.record_source) ? r.record_source : 'platform') as UpperPlatform['recordSource'],
    timeSync: Number(r.time_sync) === 1,
    enabled: Number(r.enabled) === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

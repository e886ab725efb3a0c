import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { likePattern, pageBounds, parseJson, toCount, type Page, type PageQuery } from '../paging.js';
import type { ChannelsTable, DB } from '../schema.js';
import { channelInScope, type ChannelScope } from '../scope.js';
import { normaliseCapabilities, type Capabilities } from './archive-fields.js';

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
  siteCategory: string | null;
  capabilities: Capabilities;
  ptzType: number | null;
  sourceUrl: string | null;
  sensitive: boolean;
  codec: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  /** measured by the media core the last time video ran (R12) */
  bitrateKbps: number | null;
  /** frames per GOP (keyframe interval) measured by the hub (R12) */
  gop: number | null;
  mediaAt: string | null;
  /** where video comes from: a GB/T 28181 device (INVITE), an RTSP URL pulled by us, an RTMP publisher, an ONVIF camera */
  sourceType: SourceType;
  /** RTSP sources: pull only while watched, or always */
  pullMode: 'on-demand' | 'always';
  pullTransport: 'auto' | 'tcp' | 'udp';
  subSourceUrl: string | null;
  onvifProfile: string | null;
  /** the source's last state as the media node reported it (connecting, playing, retrying + error code) */
  sourceState: { status: string; error?: { code: string; message: string }; at: string } | null;
  createdAt: string;
  updatedAt: string;
  /** from the GB/T 28181 catalog */
  parentId: string | null;
  civilCode: string | null;
  businessGroupId: string | null;
  status: string | null;
  positionAt: string | null;
}

export interface ChannelInput {
  name?: string;
  orgId?: string | null;
  manufacturer?: string | null;
  model?: string | null;
  installAddress?: string | null;
  longitude?: number | null;
  latitude?: number | null;
  siteCategory?: string | null;
  capabilities?: Partial<Capabilities>;
  ptzType?: number | null;
  sourceUrl?: string | null;
  sensitive?: boolean;
  sourceType?: SourceType;
  pullMode?: 'on-demand' | 'always';
  pullTransport?: 'auto' | 'tcp' | 'udp';
  subSourceUrl?: string | null;
  onvifProfile?: string | null;
}

export const SOURCE_TYPES = ['gb', 'rtsp', 'rtmp', 'onvif'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

export interface ChannelFilter extends PageQuery {
  q?: string;
  online?: boolean;
  deviceId?: string;
  orgId?: string;
}

function toChannel(r: Selectable<ChannelsTable>): Channel {
  return {
    id: r.id,
    deviceId: r.device_id,
    name: r.name,
    orgId: r.org_id,
    online: Boolean(r.online),
    manufacturer: r.manufacturer,
    model: r.model,
    installAddress: r.install_address,
    longitude: r.longitude === null ? null : Number(r.longitude),
    latitude: r.latitude === null ? null : Number(r.latitude),
    siteCategory: r.site_category,
    capabilities: normaliseCapabilities(parseJson(r.capabilities, {})),
    ptzType: r.ptz_type,
    sourceUrl: maskUrl(r.source_url),
    sensitive: Boolean(r.sensitive),
    codec: r.codec,
    width: r.width,
    height: r.height,
    fps: r.fps === null ? null : Number(r.fps),
    bitrateKbps: r.bitrate_kbps,
    gop: r.gop ?? null,
    mediaAt: r.media_at,
    sourceType: (SOURCE_TYPES as readonly string[]).includes(r.source_type ?? '') ? (r.source_type as SourceType) : r.source_url ? 'rtsp' : 'gb',
    pullMode: r.pull_mode === 'always' ? 'always' : 'on-demand',
    pullTransport: r.pull_transport === 'tcp' || r.pull_transport === 'udp' ? r.pull_transport : 'auto',
    subSourceUrl: maskUrl(r.sub_source_url),
    onvifProfile: r.onvif_profile,
    sourceState: parseJson(r.source_state, null),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    parentId: r.parent_id,
    civilCode: r.civil_code,
    businessGroupId: r.business_group_id,
    status: r.status,
    positionAt: r.position_at,
  };
}

function inputColumns(i: ChannelInput): Partial<ChannelsTable> {
  const c: Partial<ChannelsTable> = {};
  if (i.name !== undefined) c.name = i.name;
  if (i.orgId !== undefined) c.org_id = i.orgId;
  if (i.manufacturer !== undefined) c.manufacturer = i.manufacturer;
  if (i.model !== undefined) c.model = i.model;
  if (i.installAddress !== undefined) c.install_address = i.installAddress;
  if (i.longitude !== undefined) c.longitude = i.longitude;
  if (i.latitude !== undefined) c.latitude = i.latitude;
  if (i.siteCategory !== undefined) c.site_category = i.siteCategory;
  if (i.capabilities !== undefined) c.capabilities = JSON.stringify(normaliseCapabilities(i.capabilities));
  if (i.ptzType !== undefined) c.ptz_type = i.ptzType;
  if (i.sourceUrl !== undefined) c.source_url = i.sourceUrl;
  if (i.sourceType !== undefined) c.source_type = i.sourceType;
  if (i.pullMode !== undefined) c.pull_mode = i.pullMode;
  if (i.pullTransport !== undefined) c.pull_transport = i.pullTransport;
  if (i.subSourceUrl !== undefined) c.sub_source_url = i.subSourceUrl;
  if (i.onvifProfile !== undefined) c.onvif_profile = i.onvifProfile;
  if (i.sensitive !== undefined) c.sensitive = i.sensitive ? 1 : 0;
  return c;
}

type Db = Kysely<DB> | Transaction<DB>;

export class ChannelRepo {
  constructor(private readonly db: Kysely<DB>) {}

  async list(scope: ChannelScope, f: ChannelFilter): Promise<Page<Channel>> {
    const { page, pageSize, offset } = pageBounds(f);
    let q = this.db.selectFrom('channels').where((eb) => channelInScope(eb, scope));
    if (f.online !== undefined) q = q.where('channels.online', '=', f.online ? 1 : 0);
    if (f.deviceId) q = q.where('channels.device_id', '=', f.deviceId);
    if (f.orgId) q = q.where('channels.org_id', '=', f.orgId);
    if (f.q) {
      const p = likePattern(f.q);
      q = q.where((eb) =>
        eb.or([
          sql<boolean>`lower(channels.id) like ${p} escape '\\'`,
          sql<boolean>`lower(channels.name) like ${p} escape '\\'`,
          sql<boolean>`lower(coalesce(channels.install_address, '')) like ${p} escape '\\'`,
        ]),
      );
    }
    const [{ n }] = await q.select((eb) => eb.fn.countAll().as('n')).execute();
    const rows = await q.selectAll('channels').orderBy('channels.id').limit(pageSize).offset(offset).execute();
    return { items: rows.map(toChannel), total: toCount(n), page, pageSize };
  }

  async get(id: string, scope: ChannelScope, db: Db = this.db): Promise<Channel | undefined> {
    const r = await db
      .selectFrom('channels')
      .selectAll()
      .where('id', '=', id)
      .where((eb) => channelInScope(eb, scope))
      .executeTakeFirst();
    return r ? toChannel(r) : undefined;
  }

  async exists(id: string, db: Db = this.db): Promise<boolean> {
    return (await db.selectFrom('channels').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
  }

  async create(id: string, deviceId: string, input: ChannelInput, now: string, db: Db = this.db): Promise<void> {
    await db
      .insertInto('channels')
      .values({
        id,
        device_id: deviceId,
        name: input.name ?? id,
        online: 0,
        capabilities: JSON.stringify(normaliseCapabilities(undefined)),
        sensitive: 0,
        created_at: now,
        updated_at: now,
        ...inputColumns(input),
      } as ChannelsTable)
      .execute();
  }

  async update(id: string, input: ChannelInput, now: string, db: Db = this.db): Promise<boolean> {
    const r = await db
      .updateTable('channels')
      .set({ ...inputColumns(input), updated_at: now })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** The source URLs with their credentials, for the media node only (API answers show them masked). */
  async sourceUrls(id: string): Promise<{ main: string | null; sub: string | null } | undefined> {
    const r = await this.db.selectFrom('channels').select(['source_url', 'sub_source_url']).where('id', '=', id).executeTakeFirst();
    return r ? { main: r.source_url, sub: r.sub_source_url } : undefined;
  }

  /** `forceOnline` overrides the rule (an RTMP publisher that left makes its channel offline). */
  async setSourceState(id: string, state: Channel['sourceState'], forceOnline?: boolean): Promise<void> {
    // playing → online; failing → offline; stopped (nobody watching an on-demand source) leaves it as it was
    const online = forceOnline !== undefined ? { online: forceOnline ? 1 : 0 } : state?.status === 'playing' ? { online: 1 } : state?.status === 'retrying' ? { online: 0 } : {};
    await this.db.updateTable('channels').set({ source_state: state ? JSON.stringify(state) : null, ...online }).where('id', '=', id).execute();
  }

  /** Channels whose RTSP source is pulled all the time (started with the platform). */
  async alwaysPulled(): Promise<string[]> {
    const rows = await this.db.selectFrom('channels').select('id').where('pull_mode', '=', 'always').where('source_url', 'is not', null).execute();
    return rows.map((r) => r.id);
  }

  /** What the media core measured on the channel's video (R12: codec, resolution, frame rate, bitrate). */
  async setMediaQuality(id: string, q: { codec: string; width: number | null; height: number | null; fps: number | null; bitrateKbps: number | null; gop?: number | null }, at: string): Promise<void> {
    await this.db
      .updateTable('channels')
      .set({ codec: q.codec, width: q.width, height: q.height, fps: q.fps, bitrate_kbps: q.bitrateKbps, ...(q.gop ? { gop: q.gop } : {}), media_at: at })
      .where('id', '=', id)
      .execute();
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('channels').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async countByOrg(orgId: string): Promise<number> {
    const [{ n }] = await this.db.selectFrom('channels').select((eb) => eb.fn.countAll().as('n')).where('org_id', '=', orgId).execute();
    return toCount(n);
  }
}

/** `rtsp://user:secret@host/x` → `rtsp://user:***@host/x`: camera passwords never leave in API answers or exports. */
export function maskUrl(u: string | null): string | null {
  if (!u) return u;
  return u.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

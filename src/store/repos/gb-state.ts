import type { Insertable, Kysely } from 'kysely';
import { parseGbId } from '../../core/gbid.js';
import type { ChannelsTable, DB } from '../schema.js';

/** One catalog item as the GB/T 28181 layer hands it over (already decoded from MANSCDP). */
export interface CatalogEntry {
  id: string;
  name: string;
  manufacturer?: string | null;
  model?: string | null;
  owner?: string | null;
  civilCode?: string | null;
  block?: string | null;
  address?: string | null;
  parental?: number | null;
  parentId?: string | null;
  businessGroupId?: string | null;
  secrecy?: number | null;
  ip?: string | null;
  port?: number | null;
  status?: string | null;
  longitude?: number | null;
  latitude?: number | null;
  ptzType?: number | null;
}

const ORG_TYPES: Record<string, 'business_group' | 'virtual_org'> = { '215': 'business_group', '216': 'virtual_org' };

/** Registration, presence and catalog writes of the GB/T 28181 layer (devices it learns of and keeps current). */
export class GbStateRepo {
  constructor(private readonly db: Kysely<DB>) {}

  /** Creates the device on first registration (auto-admit) or updates its learned address. */
  async registered(
    id: string,
    r: { ip: string; port: number; transport: 'udp' | 'tcp'; expiresAt: string; userAgent: string | null; keepaliveInterval: number },
    now: string,
  ): Promise<{ created: boolean; wasOnline: boolean }> {
    const row = await this.db.selectFrom('devices').select(['online']).where('id', '=', id).executeTakeFirst();
    const set = { ip: r.ip, port: r.port, transport: r.transport, expires_at: r.expiresAt, user_agent: r.userAgent, online: 1, registered_at: now, last_keepalive_at: now, keepalive_interval: r.keepaliveInterval, updated_at: now };
    if (row) {
      await this.db.updateTable('devices').set(set).where('id', '=', id).execute();
      return { created: false, wasOnline: Boolean(row.online) };
    }
    await this.db
      .insertInto('devices')
      .values({ id, name: id, type_code: parseGbId(id)?.typeCode ?? '000', capabilities: '{}', source: 'gb', created_at: now, ...set })
      .execute();
    return { created: true, wasOnline: false };
  }

  /** Offline: the device and every channel it carries. */
  async setDeviceOnline(id: string, online: boolean, now: string): Promise<void> {
    await this.db.updateTable('devices').set({ online: online ? 1 : 0, updated_at: now, ...(online ? {} : { expires_at: null }) }).where('id', '=', id).execute();
    if (!online) await this.db.updateTable('channels').set({ online: 0, updated_at: now }).where('device_id', '=', id).execute();
  }

  async setChannelOnline(id: string, online: boolean, now: string): Promise<void> {
    await this.db.updateTable('channels').set({ online: online ? 1 : 0, status: online ? 'ON' : 'OFF', updated_at: now }).where('id', '=', id).execute();
  }

  /**
   * Keepalive times, batched: one UPDATE per 500 devices with the newest time of the batch (the exact second lives in
   * memory; the database copy is for restarts and reports).
   */
  async flushKeepalives(ids: string[], at: string): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      await this.db.updateTable('devices').set({ last_keepalive_at: at }).where('id', 'in', ids.slice(i, i + 500)).execute();
    }
  }

  /** Devices whose registration had not expired when the process stopped (restart recovery). */
  async liveRegistrations(now: string) {
    return this.db
      .selectFrom('devices')
      .select(['id', 'ip', 'port', 'transport', 'expires_at', 'keepalive_interval', 'last_keepalive_at'])
      .where('online', '=', 1)
      .where('expires_at', '>', now)
      .execute();
  }

  /** GB devices still marked online (restart recovery compares them with the live registrations). */
  async onlineGbIds(): Promise<string[]> {
    return (await this.db.selectFrom('devices').select('id').where('online', '=', 1).where('source', '=', 'gb').execute()).map((r) => r.id);
  }

  /**
   * Applies a catalog (GB/T 28181-2016 §9.2.1): business groups (215) and virtual orgs (216) become org nodes,
   * everything else a channel of the device. Operator-set fields (org, name edits) are kept on update; status,
   * position and vendor fields follow the device.
   */
  async applyCatalog(deviceId: string, entries: CatalogEntry[], now: string): Promise<{ added: number; updated: number; orgs: number }> {
    let added = 0;
    let updated = 0;
    let orgs = 0;
    await this.db.transaction().execute(async (tx) => {
      // Only the orgs this catalog can name (its own 215/216 items and the parents its items point at): reading the
      // whole org table per catalog cost O(orgs) for every device of a register storm.
      const refs = new Set<string>();
      for (const e of entries) for (const r of [e.id, e.parentId, e.businessGroupId, e.civilCode]) if (r) refs.add(r);
      const knownOrgs = new Set<string>();
      const refList = [...refs];
      for (let i = 0; i < refList.length; i += 500) {
        for (const r of await tx.selectFrom('orgs').select('id').where('id', 'in', refList.slice(i, i + 500)).execute()) knownOrgs.add(r.id);
      }
      const existingIds = new Set<string>();
      const ids = entries.map((e) => e.id);
      for (let i = 0; i < ids.length; i += 500) {
        for (const r of await tx.selectFrom('channels').select('id').where('id', 'in', ids.slice(i, i + 500)).execute()) existingIds.add(r.id);
      }
      const inserts: Insertable<ChannelsTable>[] = [];
      for (const e of entries) {
        const type = parseGbId(e.id)?.typeCode ?? '';
        if (ORG_TYPES[type]) {
          if (!knownOrgs.has(e.id)) {
            const parent = e.parentId && knownOrgs.has(e.parentId) ? e.parentId : e.businessGroupId && knownOrgs.has(e.businessGroupId) ? e.businessGroupId : null;
            await tx.insertInto('orgs').values({ id: e.id, name: e.name || e.id, parent_id: parent, type: ORG_TYPES[type], sort: 0, created_at: now, updated_at: now }).execute();
            knownOrgs.add(e.id);
            orgs++;
          }
          continue;
        }
        if (e.id === deviceId && entries.length > 1) continue; // NVRs list themselves; the device row already exists
        const online = e.status === undefined || e.status === null ? 1 : /^(ON|ONLINE|OK)$/i.test(e.status) ? 1 : 0;
        const common = {
          manufacturer: e.manufacturer ?? null,
          model: e.model ?? null,
          owner: e.owner ?? null,
          civil_code: e.civilCode ?? null,
          block: e.block ?? null,
          parental: e.parental ?? null,
          parent_id: e.parentId ?? null,
          business_group_id: e.businessGroupId ?? null,
          secrecy: e.secrecy ?? null,
          ip: e.ip ?? null,
          port: e.port ?? null,
          status: e.status ?? null,
          online,
          ptz_type: e.ptzType ?? null,
          updated_at: now,
          ...(e.longitude !== undefined && e.longitude !== null && e.latitude !== undefined && e.latitude !== null && (e.longitude !== 0 || e.latitude !== 0)
            ? { longitude: e.longitude, latitude: e.latitude }
            : {}),
        };
        if (existingIds.has(e.id)) {
          await tx.updateTable('channels').set(common).where('id', '=', e.id).execute();
          updated++;
        } else {
          const orgId = [e.parentId, e.businessGroupId, e.civilCode].find((x) => x && knownOrgs.has(x)) ?? null;
          inserts.push({ id: e.id, device_id: deviceId, name: e.name || e.id, org_id: orgId, install_address: e.address ?? null, capabilities: JSON.stringify({ ptz: e.ptzType === 1 || e.ptzType === 4 }), sensitive: 0, created_at: now, ...common });
          existingIds.add(e.id);
          added++;
        }
      }
      // New channels in multi-row inserts (a register storm adds 100,000 of them).
      for (let i = 0; i < inserts.length; i += 50) await tx.insertInto('channels').values(inserts.slice(i, i + 50)).execute();
      await tx.updateTable('devices').set({ catalog_at: now }).where('id', '=', deviceId).execute();
    });
    return { added, updated, orgs };
  }

  async deleteChannel(deviceId: string, channelId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('channels').where('id', '=', channelId).where('device_id', '=', deviceId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async channelOrg(channelId: string): Promise<{ orgId: string | null; deviceId: string } | undefined> {
    const r = await this.db.selectFrom('channels').select(['org_id', 'device_id']).where('id', '=', channelId).executeTakeFirst();
    return r ? { orgId: r.org_id, deviceId: r.device_id } : undefined;
  }

  async channelOrgs(ids: string[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.db.selectFrom('channels').select(['id', 'org_id']).where('id', 'in', ids.slice(i, i + 500)).execute();
      for (const r of rows) out.set(r.id, r.org_id);
    }
    return out;
  }

  async setPosition(id: string, p: { longitude: number; latitude: number; at: string; speed?: string | null; direction?: string | null }): Promise<void> {
    await this.db
      .updateTable('channels')
      .set({ longitude: p.longitude, latitude: p.latitude, position_at: p.at, speed: p.speed ?? null, direction: p.direction ?? null })
      .where((eb) => eb.or([eb('id', '=', id), eb('device_id', '=', id)]))
      .execute();
  }
}

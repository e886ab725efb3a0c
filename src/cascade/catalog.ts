import type { CatalogItemInput } from '../lib/manscdp/index.js';
import type { CatalogMode, SharedChannel } from '../store/repos/upper-platforms.js';

export interface OrgNode {
  id: string;
  name: string;
  parentId: string | null;
  type: 'region' | 'business_group' | 'virtual_org';
}

/**
 * The catalog an upper sees (GB/T 28181-2016 §A.2.6, §9.5.2): the shared channels, and — in `org` mode — the org
 * nodes above them: business groups (ID type 215), virtual orgs (216) with ParentID/BusinessGroupID, and regions
 * (civil codes) as CivilCode of the channels. `civil` mode gives channels with their civil code only; `flat` gives
 * channels whose parent is our platform ID (what some uppers need to accept a catalog at all).
 */
export function catalogFor(localId: string, mode: CatalogMode, channels: readonly SharedChannel[], orgs: ReadonlyMap<string, OrgNode>): CatalogItemInput[] {
  const out: CatalogItemInput[] = [];
  const regionOf = (orgId: string | null): string | null => {
    for (let o = orgId ? orgs.get(orgId) : undefined, hops = 0; o && hops < 32; o = o.parentId ? orgs.get(o.parentId) : undefined, hops++) if (o.type === 'region') return o.id;
    return null;
  };
  const groupOf = (orgId: string | null): string | null => {
    for (let o = orgId ? orgs.get(orgId) : undefined, hops = 0; o && hops < 32; o = o.parentId ? orgs.get(o.parentId) : undefined, hops++) if (o.type === 'business_group') return o.id;
    return null;
  };
  const domain = localId.slice(0, 8);

  if (mode === 'org') {
    // the org nodes above the shared channels, parents before children
    const needed = new Map<string, OrgNode>();
    for (const c of channels) {
      for (let o = c.orgId ? orgs.get(c.orgId) : undefined, hops = 0; o && hops < 32; o = o.parentId ? orgs.get(o.parentId) : undefined, hops++) {
        if (o.type !== 'region') needed.set(o.id, o);
      }
    }
    const depth = (o: OrgNode): number => {
      let d = 0;
      for (let p = o.parentId ? orgs.get(o.parentId) : undefined; p && d < 32; p = p.parentId ? orgs.get(p.parentId) : undefined) d++;
      return d;
    };
    for (const o of [...needed.values()].sort((a, b) => depth(a) - depth(b) || (a.id < b.id ? -1 : 1))) {
      if (o.type === 'business_group') out.push({ deviceId: o.id, name: o.name, parental: 1, parentId: localId });
      else {
        const parent = o.parentId && needed.has(o.parentId) ? o.parentId : null;
        out.push({ deviceId: o.id, name: o.name, parental: 1, parentId: parent ?? groupOf(o.id) ?? localId, businessGroupId: groupOf(o.id) });
      }
    }
  }

  for (const c of channels) {
    const civil = c.civilCode || regionOf(c.orgId) || domain;
    const org = c.orgId ? orgs.get(c.orgId) : undefined;
    const parentId = mode === 'org' && org && org.type !== 'region' ? org.id : localId;
    out.push({
      deviceId: c.upperId,
      name: c.name,
      manufacturer: c.manufacturer ?? 'sharpeye',
      model: c.model ?? 'IPC',
      owner: c.owner ?? 'Owner',
      civilCode: civil,
      block: c.block,
      address: c.address ?? 'Address',
      parental: 0,
      parentId,
      businessGroupId: mode === 'org' ? groupOf(c.orgId) : null,
      safetyWay: 0,
      registerWay: 1,
      secrecy: c.secrecy ?? 0,
      ipAddress: c.ip,
      port: c.port,
      status: c.online ? 'ON' : 'OFF',
      longitude: c.longitude,
      latitude: c.latitude,
      ptzType: c.ptzType,
    });
  }
  return out;
}


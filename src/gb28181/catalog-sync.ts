import type { CatalogItem } from '../lib/manscdp/index.js';
import type { CatalogEntry } from '../store/repos/gb-state.js';
import type { GbDeps } from './context.js';
import type { DeviceJournal } from './device-journal.js';
import { yieldToLoop } from '../core/wait.js';

/**
 * What each device last reported per channel. A device usually sends its whole catalog twice on registration (the
 * Catalog answer, then a NOTIFY when we subscribe) and again after every re-registration: unchanged items skip the
 * database. Forgotten per channel on state events and per device when it goes offline.
 */
export class CatalogCache {
  private readonly byDevice = new Map<string, Map<string, string>>();

  changed(deviceId: string, entries: CatalogEntry[]): CatalogEntry[] {
    let seen = this.byDevice.get(deviceId);
    if (!seen) this.byDevice.set(deviceId, (seen = new Map()));
    const out: CatalogEntry[] = [];
    for (const e of entries) {
      const h = JSON.stringify(e);
      if (seen.get(e.id) !== h) out.push(e);
    }
    return out;
  }

  remember(deviceId: string, entries: CatalogEntry[]): void {
    let seen = this.byDevice.get(deviceId);
    if (!seen) this.byDevice.set(deviceId, (seen = new Map()));
    // the key is copied: `e.id` is a slice of the whole Catalog answer text and, kept as a key, held every device's
    // answer in memory (a heap snapshot showed 6 KB of catalog XML per device)
    for (const e of entries) seen.set(JSON.parse(JSON.stringify(e.id)) as string, JSON.stringify(e));
  }

  forget(deviceId: string, channelId?: string): void {
    if (channelId === undefined) this.byDevice.delete(deviceId);
    else this.byDevice.get(deviceId)?.delete(channelId);
  }
}

/** Items per transaction when a catalog is stored: a 5,000-channel lower platform is 10 transactions, not one long block. */
const APPLY_CHUNK = 500;

/**
 * Stores a catalog (GB/T 28181-2016 §9.2.1) in one transaction per 500 items, letting the event loop turn between
 * them, so a huge catalog never holds the loop (SQLite runs on the main thread) for more than one chunk.
 */
export async function applyCatalogChunked(deps: GbDeps, deviceId: string, entries: CatalogEntry[], now: string): Promise<{ added: number; updated: number; orgs: number }> {
  const sum = { added: 0, updated: 0, orgs: 0 };
  for (let i = 0; i === 0 || i < entries.length; i += APPLY_CHUNK) {
    if (i) await yieldToLoop();
    const r = await deps.store.gb.applyCatalog(deviceId, entries.slice(i, i + APPLY_CHUNK), now);
    sum.added += r.added;
    sum.updated += r.updated;
    sum.orgs += r.orgs;
  }
  return sum;
}

export function toEntry(i: CatalogItem): CatalogEntry {
  return {
    id: i.deviceId,
    name: i.name ?? i.deviceId,
    manufacturer: i.manufacturer,
    model: i.model,
    owner: i.owner,
    civilCode: i.civilCode,
    block: i.block,
    address: i.address,
    parental: i.parental,
    parentId: i.parentId,
    businessGroupId: i.businessGroupId,
    secrecy: i.secrecy,
    ip: i.ipAddress,
    port: i.port,
    status: i.status,
    longitude: i.longitude,
    latitude: i.latitude,
    ptzType: i.ptzType,
  };
}

/**
 * Catalog changes pushed by the device (NOTIFY or MESSAGE Notify, GB/T 28181-2016 §9.6.3):
 * ADD/UPDATE upsert, DEL removes, ON/OFF/VLOST/DEFECT change the channel state. Each change is logged and pushed.
 */
export async function applyCatalogEvents(deps: GbDeps, journal: DeviceJournal, cache: CatalogCache, deviceId: string, items: CatalogItem[]): Promise<void> {
  const now = deps.clock.now().toISOString();
  const withEvent = items.filter((i) => i.deviceId).map((i) => ({ it: i, ev: (i.event ?? 'UPDATE').toUpperCase() }));
  // ADD/UPDATE in one transaction: a subscription NOTIFY often carries the whole catalog.
  const upserts = cache.changed(deviceId, withEvent.filter((x) => x.ev === 'ADD' || x.ev === 'UPDATE').map((x) => toEntry(x.it)));
  if (upserts.length) {
    await applyCatalogChunked(deps, deviceId, upserts, now);
    cache.remember(deviceId, upserts);
  }
  const changedIds = new Set(upserts.map((e) => e.id));
  // A repeated whole catalog (the NOTIFY after subscribing) changes nothing: no events, so no org lookup either.
  const eventful = withEvent.filter((x) => (x.ev !== 'ADD' && x.ev !== 'UPDATE') || changedIds.has(x.it.deviceId));
  if (!eventful.length) return;
  const orgs = await deps.store.gb.channelOrgs(eventful.map((x) => x.it.deviceId));
  for (const { it, ev } of eventful) {
    const id = it.deviceId;
    const channel = { id, orgId: orgs.get(id) ?? null };
    if (ev !== 'ADD' && ev !== 'UPDATE') cache.forget(deviceId, id);
    else if (!changedIds.has(id)) continue; // nothing new: no event either
    if (ev === 'DEL') {
      if (await deps.store.gb.deleteChannel(deviceId, id)) {
        journal.log(deviceId, 'channel.deleted', 'info', `catalog DEL ${id}`, id);
        journal.push('channel.deleted', deviceId, { id }, channel);
      }
      continue;
    }
    if (ev === 'ON' || ev === 'OFF' || ev === 'VLOST' || ev === 'DEFECT') {
      await deps.store.gb.setChannelOnline(id, ev === 'ON', now);
      if (ev === 'VLOST') {
        await deps.store.logs.appendAlarm({ at: now, deviceId, channelId: id, alarmType: 'video_loss', priority: 2, method: 'catalog', description: '视频丢失 (catalog VLOST)' });
      }
      journal.log(deviceId, `channel.${ev.toLowerCase()}`, ev === 'ON' ? 'info' : 'warn', `catalog ${ev} ${id}`, id);
    } else if (ev !== 'ADD' && ev !== 'UPDATE') continue;
    journal.push(ev === 'ON' ? 'channel.online' : ev === 'OFF' ? 'channel.offline' : 'channel.updated', deviceId, { id, event: ev }, channel);
  }
}

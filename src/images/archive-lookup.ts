import type { Store } from '../store/index.js';

/** Where a GB ID sits in our archive: the device and (when known) the channel. */
export interface ArchivePlace {
  deviceId: string;
  channelId: string | null;
}

/**
 * "Registered with the platform" (EC000) means: in our device/channel archive (一机一档). A channel ID maps to its
 * device and itself; a device ID maps to itself and, when it has exactly one channel, that channel (so the capture
 * follows the channel scope of roles). Answers are cached briefly: ingest asks for every capture.
 */
export class ArchiveLookup {
  private readonly cache = new Map<string, { until: number; place: ArchivePlace | null }>();

  constructor(
    private readonly store: Store,
    private readonly ttlMs = 5000,
    private readonly missTtlMs = 1000,
  ) {}

  async place(id: string): Promise<ArchivePlace | null> {
    const now = Date.now();
    const hit = this.cache.get(id);
    if (hit && hit.until > now) return hit.place;
    const place = await this.lookup(id);
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(id, { until: now + (place ? this.ttlMs : this.missTtlMs), place });
    return place;
  }

  private async lookup(id: string): Promise<ArchivePlace | null> {
    const db = this.store.database.db;
    const ch = await db.selectFrom('channels').select(['id', 'device_id']).where('id', '=', id).executeTakeFirst();
    if (ch) return { deviceId: ch.device_id, channelId: ch.id };
    const dev = await db.selectFrom('devices').select('id').where('id', '=', id).executeTakeFirst();
    if (!dev) return null;
    const chans = await db.selectFrom('channels').select('id').where('device_id', '=', id).limit(2).execute();
    return { deviceId: id, channelId: chans.length === 1 ? chans[0].id : null };
  }

  /** May a key issued to `subject` (a device or channel) carry captures of `gate`? Same device, or one is the other. */
  async related(subject: string, gate: string): Promise<boolean> {
    if (subject === gate) return true;
    const [a, b] = await Promise.all([this.place(subject), this.place(gate)]);
    return !!a && !!b && a.deviceId === b.deviceId;
  }

  forget(): void {
    this.cache.clear();
  }
}

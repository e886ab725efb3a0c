import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';

/** Settings an administrator changes at run time (unlike start-up config). */
export interface Settings {
  /** R8 / Cybersecurity Law art. 21: network logs kept at least 6 months. */
  logRetentionDays: number;
  sessionTtlMinutes: number;
  /** ONVIF WS-Discovery probes on the LAN are sent only when an administrator turns this on */
  onvifDiscovery: boolean;
  /** map tiles: an `{z}/{x}/{y}` URL template of the customer's (offline) tile server; empty = plain grid base */
  mapTileUrl: string;
}

export const DEFAULT_SETTINGS: Settings = { logRetentionDays: 180, sessionTtlMinutes: 12 * 60, onvifDiscovery: false, mapTileUrl: '' };

export class SettingsRepo {
  constructor(private readonly db: Kysely<DB>) {}

  async get(): Promise<Settings> {
    const rows = await this.db.selectFrom('settings').selectAll().execute();
    const out: Record<string, unknown> = { ...DEFAULT_SETTINGS };
    for (const r of rows) {
      if (r.key in DEFAULT_SETTINGS) out[r.key] = JSON.parse(r.value);
    }
    return out as unknown as Settings;
  }

  async set(patch: Partial<Settings>): Promise<void> {
    for (const [key, v] of Object.entries(patch)) {
      if (v === undefined) continue;
      const value = JSON.stringify(v);
      await this.db
        .insertInto('settings')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute();
    }
  }
}

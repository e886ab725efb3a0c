import type { Kysely } from 'kysely';
import type { DB } from '../../store/schema.js';
import { channelInScope, type ChannelScope } from '../../store/scope.js';
import type { NamedChannel } from './checker.js';
import { mergeRules, type NamingRules } from './rules.js';

/** The settings row holding the rule set (JSON); absent = defaults. No migration: `settings` is a key/value table. */
export const RULES_KEY = 'naming.rules';

/** A channel as the naming report shows it. */
export interface NamingChannel extends NamedChannel {
  sourceType: string | null;
  online: boolean;
  width: number | null;
  height: number | null;
}

/** The few queries the naming service needs, on both dialects. */
export class NamingStore {
  constructor(private readonly db: Kysely<DB>) {}

  /** Every channel the scope shows (one narrow query: 20,000 rows are a few MB). */
  async channels(scope: ChannelScope): Promise<NamingChannel[]> {
    const rows = await this.db
      .selectFrom('channels')
      .select(['id', 'device_id', 'name', 'org_id', 'ptz_type', 'source_type', 'online', 'width', 'height'])
      .where((eb) => channelInScope(eb, scope))
      .execute();
    return rows.map((r) => ({ id: r.id, deviceId: r.device_id, name: r.name, orgId: r.org_id, ptzType: r.ptz_type, sourceType: r.source_type, online: Number(r.online) === 1, width: r.width, height: r.height }));
  }

  async rules(): Promise<NamingRules> {
    const row = await this.db.selectFrom('settings').select('value').where('key', '=', RULES_KEY).executeTakeFirst();
    let stored: unknown = null;
    try {
      stored = row ? JSON.parse(row.value) : null;
    } catch {
      stored = null;
    }
    return mergeRules(stored);
  }

  async saveRules(r: NamingRules): Promise<void> {
    const value = JSON.stringify(r);
    await this.db
      .insertInto('settings')
      .values({ key: RULES_KEY, value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
      .execute();
  }
}

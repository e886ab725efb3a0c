import type { Kysely, Selectable } from 'kysely';
import type { DB, TokensTable } from '../schema.js';

export type TokenRow = Selectable<TokensTable>;

/** Session tokens, stored only as their SHA-256 so a database leak does not leak sessions. */
export class TokenRepo {
  constructor(private readonly db: Kysely<DB>) {}

  async insert(row: TokenRow): Promise<void> {
    await this.db.insertInto('tokens').values(row).execute();
  }

  async get(id: string): Promise<TokenRow | undefined> {
    return this.db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async revoke(id: string, now: string): Promise<void> {
    await this.db.updateTable('tokens').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).execute();
  }

  /** Revokes every live token of a user except `keep`; returns the revoked ids (to cut their live connections). */
  async revokeAllOf(userId: string, now: string, keep?: string): Promise<string[]> {
    let q = this.db.selectFrom('tokens').select('id').where('user_id', '=', userId).where('revoked_at', 'is', null);
    if (keep) q = q.where('id', '!=', keep);
    const ids = (await q.execute()).map((r) => r.id);
    if (ids.length) await this.db.updateTable('tokens').set({ revoked_at: now }).where('id', 'in', ids).execute();
    return ids;
  }

  async purgeExpired(before: string): Promise<void> {
    await this.db.deleteFrom('tokens').where('expires_at', '<', before).execute();
  }
}

import type { Kysely, Selectable } from 'kysely';
import { parseJson } from '../paging.js';
import type { ApiKeysTable, DB } from '../schema.js';

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  userId: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

function toKey(r: Selectable<ApiKeysTable>): ApiKey {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scopes: parseJson<string[]>(r.scopes, []),
    userId: r.user_id,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  };
}

export class ApiKeyRepo {
  constructor(private readonly db: Kysely<DB>) {}

  async list(): Promise<ApiKey[]> {
    return (await this.db.selectFrom('api_keys').selectAll().where('revoked_at', 'is', null).orderBy('created_at').execute()).map(toKey);
  }

  async byHash(hash: string): Promise<ApiKey | undefined> {
    const r = await this.db.selectFrom('api_keys').selectAll().where('key_hash', '=', hash).executeTakeFirst();
    return r ? toKey(r) : undefined;
  }

  async insert(row: Selectable<ApiKeysTable>): Promise<void> {
    await this.db.insertInto('api_keys').values(row).execute();
  }

  async revoke(id: string, now: string): Promise<boolean> {
    const r = await this.db.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async touch(id: string, now: string): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
  }
}

import type { Kysely, Selectable } from 'kysely';
import { parseJson } from '../paging.js';
import type { DB, RolesTable } from '../schema.js';

export interface Role {
  id: string;
  name: string;
  description: string;
  permissions: string[];
  allChannels: boolean;
  orgIds: string[];
  channelIds: string[];
  builtin: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface RoleInput {
  name?: string;
  description?: string;
  permissions?: string[];
  allChannels?: boolean;
  orgIds?: string[];
  channelIds?: string[];
}

export class RoleRepo {
  constructor(private readonly db: Kysely<DB>) {}

  private async hydrate(rows: Selectable<RolesTable>[]): Promise<Role[]> {
    if (!rows.length) return [];
    const scopes = await this.db.selectFrom('role_scopes').selectAll().where('role_id', 'in', rows.map((r) => r.id)).execute();
    return rows.map((r) => {
      const mine = scopes.filter((s) => s.role_id === r.id);
      return {
        id: r.id,
        name: r.name,
        description: r.description,
        permissions: parseJson<string[]>(r.permissions, []),
        allChannels: Boolean(r.all_channels),
        orgIds: mine.filter((s) => s.kind === 'org').map((s) => s.target_id).sort(),
        channelIds: mine.filter((s) => s.kind === 'channel').map((s) => s.target_id).sort(),
        builtin: Boolean(r.builtin),
        createdAt: r.created_at,
        updatedAt: r.updated_at,
      };
    });
  }

  async all(): Promise<Role[]> {
    return this.hydrate(await this.db.selectFrom('roles').selectAll().orderBy('created_at').orderBy('name').execute());
  }

  async byIds(ids: string[]): Promise<Role[]> {
    if (!ids.length) return [];
    return this.hydrate(await this.db.selectFrom('roles').selectAll().where('id', 'in', ids).execute());
  }

  async get(id: string): Promise<Role | undefined> {
    return (await this.byIds([id]))[0];
  }

  async byName(name: string): Promise<Role | undefined> {
    const r = await this.db.selectFrom('roles').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? (await this.hydrate([r]))[0] : undefined;
  }

  async create(id: string, i: RoleInput, builtin: boolean, now: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('roles')
        .values({
          id,
          name: i.name ?? id,
          description: i.description ?? '',
          permissions: JSON.stringify(i.permissions ?? []),
          all_channels: i.allChannels ? 1 : 0,
          builtin: builtin ? 1 : 0,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await this.writeScopes(tx, id, i);
    });
  }

  async update(id: string, i: RoleInput, now: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const set: Partial<RolesTable> = { updated_at: now };
      if (i.name !== undefined) set.name = i.name;
      if (i.description !== undefined) set.description = i.description;
      if (i.permissions !== undefined) set.permissions = JSON.stringify(i.permissions);
      if (i.allChannels !== undefined) set.all_channels = i.allChannels ? 1 : 0;
      await tx.updateTable('roles').set(set).where('id', '=', id).execute();
      await this.writeScopes(tx, id, i);
    });
  }

  private async writeScopes(tx: Kysely<DB>, id: string, i: RoleInput): Promise<void> {
    for (const [kind, list] of [
      ['org', i.orgIds],
      ['channel', i.channelIds],
    ] as const) {
      if (list === undefined) continue;
      await tx.deleteFrom('role_scopes').where('role_id', '=', id).where('kind', '=', kind).execute();
      const unique = [...new Set(list)];
      // Chunked: PostgreSQL and SQLite both cap bound parameters per statement.
      for (let k = 0; k < unique.length; k += 500) {
        await tx
          .insertInto('role_scopes')
          .values(unique.slice(k, k + 500).map((target_id) => ({ role_id: id, kind, target_id })))
          .execute();
      }
    }
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('roles').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}

import { sql, type Kysely, type Selectable } from 'kysely';
import { likePattern, pageBounds, toCount, type Page, type PageQuery } from '../paging.js';
import type { DB, UsersTable } from '../schema.js';

export interface User {
  id: string;
  username: string;
  displayName: string;
  enabled: boolean;
  roleIds: string[];
  locked: boolean;
  lockedUntil: string | null;
  lastLoginAt: string | null;
  phone: string | null;
  email: string | null;
  mustChangePassword: boolean;
  createdAt: string;
  updatedAt: string;
}

export type UserRow = Selectable<UsersTable>;

export class UserRepo {
  constructor(private readonly db: Kysely<DB>) {}

  toUser(r: UserRow, roleIds: string[], now: string): User {
    return {
      id: r.id,
      username: r.username,
      displayName: r.display_name,
      enabled: Boolean(r.enabled),
      roleIds,
      locked: r.locked_until !== null && r.locked_until > now,
      lockedUntil: r.locked_until,
      lastLoginAt: r.last_login_at,
      phone: r.phone,
      email: r.email,
      mustChangePassword: Boolean(r.must_change_password),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  async rowByUsername(username: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  }

  async row(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async roleIds(userId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('user_roles').select('role_id').where('user_id', '=', userId).execute();
    return rows.map((r) => r.role_id).sort();
  }

  async get(id: string, now: string): Promise<User | undefined> {
    const r = await this.row(id);
    return r ? this.toUser(r, await this.roleIds(id), now) : undefined;
  }

  async list(q: PageQuery & { q?: string }, now: string): Promise<Page<User>> {
    const { page, pageSize, offset } = pageBounds(q);
    let base = this.db.selectFrom('users');
    if (q.q) {
      const p = likePattern(q.q);
      base = base.where((eb) =>
        eb.or([sql<boolean>`lower(username) like ${p} escape '\\'`, sql<boolean>`lower(display_name) like ${p} escape '\\'`]),
      );
    }
    const [{ n }] = await base.select((eb) => eb.fn.countAll().as('n')).execute();
    const rows = await base.selectAll().orderBy('username').limit(pageSize).offset(offset).execute();
    const links = rows.length
      ? await this.db.selectFrom('user_roles').selectAll().where('user_id', 'in', rows.map((r) => r.id)).execute()
      : [];
    const items = rows.map((r) =>
      this.toUser(
        r,
        links.filter((l) => l.user_id === r.id).map((l) => l.role_id).sort(),
        now,
      ),
    );
    return { items, total: toCount(n), page, pageSize };
  }

  async create(row: UserRow, roleIds: string[]): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('users').values(row).execute();
      if (roleIds.length) await tx.insertInto('user_roles').values(roleIds.map((role_id) => ({ user_id: row.id, role_id }))).execute();
    });
  }

  async update(id: string, set: Partial<UserRow>, roleIds?: string[]): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      if (Object.keys(set).length) await tx.updateTable('users').set(set).where('id', '=', id).execute();
      if (roleIds) {
        await tx.deleteFrom('user_roles').where('user_id', '=', id).execute();
        if (roleIds.length) await tx.insertInto('user_roles').values(roleIds.map((role_id) => ({ user_id: id, role_id }))).execute();
      }
    });
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async count(): Promise<number> {
    const [{ n }] = await this.db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).execute();
    return toCount(n);
  }

  async usersWithRole(roleId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('user_roles').select('user_id').where('role_id', '=', roleId).execute();
    return rows.map((r) => r.user_id);
  }
}

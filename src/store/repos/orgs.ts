import type { Kysely, Selectable } from 'kysely';
import type { DB, OrgsTable } from '../schema.js';

export type OrgType = OrgsTable['type'];

export interface Org {
  id: string;
  name: string;
  parentId: string | null;
  type: OrgType;
  sort: number;
}

function toOrg(r: Selectable<OrgsTable>): Org {
  return { id: r.id, name: r.name, parentId: r.parent_id, type: r.type, sort: Number(r.sort) };
}

export class OrgRepo {
  constructor(private readonly db: Kysely<DB>) {}

  async all(): Promise<Org[]> {
    const rows = await this.db.selectFrom('orgs').selectAll().orderBy('sort').orderBy('id').execute();
    return rows.map(toOrg);
  }

  async get(id: string): Promise<Org | undefined> {
    const r = await this.db.selectFrom('orgs').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toOrg(r) : undefined;
  }

  async create(o: Org, now: string): Promise<void> {
    await this.db
      .insertInto('orgs')
      .values({ id: o.id, name: o.name, parent_id: o.parentId, type: o.type, sort: o.sort, created_at: now, updated_at: now })
      .execute();
  }

  async update(id: string, p: Partial<Omit<Org, 'id'>>, now: string): Promise<boolean> {
    const set: Partial<OrgsTable> = { updated_at: now };
    if (p.name !== undefined) set.name = p.name;
    if (p.parentId !== undefined) set.parent_id = p.parentId;
    if (p.type !== undefined) set.type = p.type;
    if (p.sort !== undefined) set.sort = p.sort;
    const r = await this.db.updateTable('orgs').set(set).where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('orgs').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async childCount(id: string): Promise<number> {
    const rows = await this.db.selectFrom('orgs').select('id').where('parent_id', '=', id).execute();
    return rows.length;
  }
}

/** Every org id under the given roots (roots included), from the flat list. */
export function expandOrgIds(orgs: Org[], roots: string[]): string[] {
  const children = new Map<string, string[]>();
  for (const o of orgs) {
    if (o.parentId) {
      const l = children.get(o.parentId) ?? [];
      l.push(o.id);
      children.set(o.parentId, l);
    }
  }
  const out = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const id = stack.pop()!;
    if (out.has(id)) continue;
    out.add(id);
    stack.push(...(children.get(id) ?? []));
  }
  return [...out];
}

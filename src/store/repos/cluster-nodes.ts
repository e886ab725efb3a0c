import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';

export interface ClusterNodeRow {
  id: string;
  role: string;
  addresses: unknown;
  limits: unknown;
  startedAt: string;
  lastSeen: string;
}

/** Nodes that joined the cluster (issue 13), kept so a node that is down is still listed with when it was last seen. */
export class ClusterNodeRepo {
  constructor(private readonly db: Kysely<DB>) {}

  async upsert(n: ClusterNodeRow): Promise<void> {
    const row = { id: n.id, role: n.role, addresses: JSON.stringify(n.addresses), limits: JSON.stringify(n.limits), started_at: n.startedAt, last_seen: n.lastSeen };
    await this.db
      .insertInto('cluster_nodes')
      .values(row)
      .onConflict((oc) => oc.column('id').doUpdateSet({ role: row.role, addresses: row.addresses, limits: row.limits, started_at: row.started_at, last_seen: row.last_seen }))
      .execute();
  }

  async list(): Promise<ClusterNodeRow[]> {
    const rows = await this.db.selectFrom('cluster_nodes').selectAll().orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, role: r.role, addresses: JSON.parse(r.addresses), limits: JSON.parse(r.limits), startedAt: r.started_at, lastSeen: r.last_seen }));
  }

  async remove(id: string): Promise<void> {
    await this.db.deleteFrom('cluster_nodes').where('id', '=', id).execute();
  }
}

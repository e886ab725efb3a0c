import type { Kysely, Migration } from 'kysely';

/**
 * Cluster (issue 13): every node that ever joined, with its addresses and limits, so the nodes page lists a node that
 * is down (NATS only carries the live reports) and operators see when it was last heard from.
 */
export function cluster(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('cluster_nodes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('addresses', 'text', (c) => c.notNull())
        .addColumn('limits', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('last_seen', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('cluster_nodes').execute();
    },
  };
}

import type { FastifyInstance } from 'fastify';
import { assertPermission } from '../../auth/access.js';
import { principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';

/** Nodes of the cluster with their live load (issue 13 §6, CONTRACT.md `GET /api/v1/nodes`). */
export async function nodeRoutes(api: FastifyInstance, deps: ApiDeps): Promise<void> {
  api.get('/nodes', { schema: { tags: ['system'], summary: 'Nodes of the cluster (the one local node in single-process mode) with role, online, streams and load' } }, async (req) => {
    const p = principalOf(req);
    if (!p.permissions.has('system.config') && !p.permissions.has('log.view')) assertPermission(p, 'system.config');
    const list = (await deps.nodes?.list()) ?? [];
    return {
      items: list.map((n) => ({ ...n, streams: n.load?.streams ?? 0, viewers: n.load?.viewers ?? 0 })),
      total: list.length,
      role: deps.config.role,
    };
  });
}

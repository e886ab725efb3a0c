import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { ApiDeps } from '../context.js';

export async function healthRoutes(api: FastifyInstance, deps: ApiDeps): Promise<void> {
  api.get('/health', { config: { public: true }, schema: { tags: ['system'], summary: 'Liveness and readiness (no auth)' } }, async (_req, reply) => {
    let database = 'ok';
    try {
      await sql`select 1`.execute(deps.store.database.db);
    } catch (e) {
      database = `error: ${(e as Error).message}`;
    }
    const ok = database === 'ok';
    return reply.status(ok ? 200 : 503).send({
      status: ok ? 'ok' : 'degraded',
      version: '0.1.0',
      role: deps.config.role,
      nodeId: deps.config.nodeId,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      database: { dialect: deps.store.database.dialect, status: database },
    });
  });
}

import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../context.js';
import { opsAccess } from './ops-access.js';

/** `GET /api/v1/status`: every component with ok / degraded / down and a message, and the node table (issue 14 §4). */
export async function statusRoutes(api: FastifyInstance, deps: ApiDeps): Promise<void> {
  const a = opsAccess(deps);
  api.get('/status', { schema: { tags: ['ops'], summary: 'Status of every component (database, SIP, media nodes, storage, ffmpeg, S3, uppers, image forwarder, NATS/Redis) and the nodes with live load' } }, async (req) => {
    a.reader(req);
    return a.ops().status.report();
  });
}

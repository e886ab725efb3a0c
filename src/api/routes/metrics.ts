import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../core/errors.js';
import type { ApiDeps } from '../context.js';

function sameToken(given: string, want: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `GET /metrics` at the server root (CONTRACT.md: Prometheus metrics, may require a configured token): the text
 * exposition of the platform's own registry. With SHARPEYE_METRICS_TOKEN set, `Authorization: Bearer <token>` is
 * required (401 METRICS_TOKEN_INVALID otherwise); unset, it is open on the HTTP port. Also times every REST request
 * into `sharpeye_api_request_duration_seconds` by route pattern and status: call before the routes are registered.
 */
export function metricsRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const metrics = deps.ops?.metrics;
  if (!metrics) return;
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url;
    if (route?.startsWith('/api/')) metrics.observeRequest(req.method, route, reply.statusCode, reply.elapsedTime / 1000);
    else if (!route && req.url.startsWith('/api/')) metrics.observeRequest(req.method, 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { config: { public: true }, schema: { tags: ['ops'], summary: 'Prometheus metrics (bearer SHARPEYE_METRICS_TOKEN when set)' } }, async (req, reply) => {
    const want = deps.config.metricsToken;
    if (want) {
      const h = req.headers.authorization;
      const given = typeof h === 'string' && /^Bearer\s+/i.test(h) ? h.replace(/^Bearer\s+/i, '').trim() : '';
      if (!given || !sameToken(given, want)) throw new AppError('METRICS_TOKEN_INVALID', 'GET /metrics needs Authorization: Bearer <SHARPEYE_METRICS_TOKEN>');
    }
    return reply.header('content-type', metrics.contentType).header('cache-control', 'no-store').send(await metrics.text());
  });
}

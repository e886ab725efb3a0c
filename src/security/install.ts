import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../store/index.js';
import { rateLimitRoute } from './rate-limits.js';
import { secureHeaders } from './secure-headers.js';
import { sensitiveChannelRoute } from './sensitive-channels.js';
import { loadTls } from './tls.js';

export interface SecurityDeps {
  config: Readonly<Config>;
  store: Store;
  clock: Clock;
  log: Logger;
}

/** Fastify's `https` option when TLS is configured (HTTPS and WSS on the HTTP port), else nothing. */
export function httpsOptions(config: Readonly<Config>, log: Logger): { https?: { cert: Buffer; key: Buffer } } {
  if (!config.tls) return {};
  const t = loadTls(config.tls);
  if (t.generated) log.warn({ component: 'tls', cert: config.tls.certFile }, 'generated a self-signed certificate: clients must trust this file (or configure SHARPEYE_TLS_CERT/KEY)');
  return { https: { cert: t.cert, key: t.key } };
}

/**
 * The HTTP side of R11, installed on the root app before any route: secure headers, rate limits on the login and
 * the seed image interfaces, and the sensitive-channel guard on every media route.
 */
export function installSecurity(app: FastifyInstance, deps: SecurityDeps): void {
  app.addHook('onRequest', secureHeaders({ tls: !!deps.config.tls }));
  const limits = rateLimitRoute({ loginPerMin: deps.config.loginRatePerMin, seedPerSec: deps.config.seedRatePerSec });
  const sensitive = sensitiveChannelRoute({ store: deps.store, clock: deps.clock });
  app.addHook('onRoute', (route) => {
    limits(route);
    sensitive(route);
  });
}

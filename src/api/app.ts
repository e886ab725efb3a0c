import { existsSync } from 'node:fs';
import fastifyMultipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { AppError } from '../core/errors.js';
import { httpsOptions, installSecurity } from '../security/install.js';
import type { ApiDeps } from './context.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { registerRoutes } from './routes/index.js';
import { metricsRoutes } from './routes/metrics.js';
import { seedImageRoutes } from './routes/seed-images.js';
import { validatorCompiler } from './validation.js';

export const API_PREFIX = '/api/v1';

/** Reads the caller's credential: bearer token, API key header, or `?token=` (WebSocket and download links). */
function credentialOf(headers: Record<string, unknown>, url: string): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim();
  const key = headers['x-api-key'];
  if (typeof key === 'string' && key) return key.trim();
  const q = url.indexOf('?');
  if (q >= 0) {
    const t = new URLSearchParams(url.slice(q + 1)).get('token');
    if (t) return t;
  }
  return undefined;
}

/** The HTTP application (REST API, docs, console), testable with `inject()` without sockets. */
export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // HTTPS/WSS on the HTTP port when SHARPEYE_TLS_* is set (R11); typed loosely so the instance type stays the same
    ...(httpsOptions(deps.config, deps.log) as object),
    loggerInstance: deps.log.child({ component: "http" }) as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.bodyLimit,
    trustProxy: true,
    // Shutdown must not wait for viewers: FLV/WS-FLV connections stay open as long as the player does.
    forceCloseConnections: true,
    ajv: { customOptions: { removeAdditional: false } },
  });
  app.setValidatorCompiler(validatorCompiler());
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  installSecurity(app, deps); // secure headers, rate limits, sensitive-channel guard (R11): before any route
  metricsRoutes(app, deps); // GET /metrics and the API duration histogram (issue 14 §4): before the routes it times

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'sharpeye API', version: '1', description: 'GB/T 28181 video integration platform — REST API (集成平台接口)' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs' });
  await app.register(fastifyMultipart, { limits: { fileSize: 20 * 1024 * 1024, files: 1, fields: 20 } });
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });

  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith(API_PREFIX) || req.routeOptions.config?.public) return;
    if (req.is404) return; // unknown route: the 404 handler answers
    const cred = credentialOf(req.headers as Record<string, unknown>, req.url);
    if (!cred) throw new AppError('AUTH_REQUIRED', 'Login required (请先登录)');
    req.principal = await deps.auth.authenticate(cred);
  });

  await app.register(async (api) => registerRoutes(api, deps), { prefix: API_PREFIX });
  await app.register(async (seed) => seedImageRoutes(seed, deps)); // /redis/rest/{face,car}/*.json (seed appendices 1/2)
  if (deps.mediaHttp) await app.register(async (m) => deps.mediaHttp!(m));

  // The console: static files with a fallback to index.html for client-side routes.
  if (existsSync(deps.config.webDir)) {
    // preCompressed: the build writes .br/.gz twins (web/vite.config.ts); sent to browsers that accept them
    await app.register(fastifyStatic, { root: deps.config.webDir, wildcard: false, index: 'index.html', preCompressed: true });
    app.get('/*', { schema: { hide: true } }, (req, reply) => {
      if (req.url.startsWith('/api/')) return notFoundHandler(req, reply);
      return reply.type('text/html').sendFile('index.html');
    });
  } else {
    app.get('/', { schema: { hide: true } }, (_req, reply) =>
      reply.type('text/html').send(`<h1>sharpeye</h1><p>The console is not built (${deps.config.webDir} missing): run <code>npm run build:web</code>. API docs: <a href="/api/docs">/api/docs</a></p>`),
    );
  }
  return app;
}

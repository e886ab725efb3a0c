import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { assertPermission } from '../../auth/access.js';
import { API_KEY_SCOPES } from '../../auth/permissions.js';
import { AppError } from '../../core/errors.js';
import { audit, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed, IdParam, IsoTime, Nullable } from '../schemas.js';

export async function apiKeyRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();

  api.get('/api-keys', { schema: { tags: ['api-keys'], summary: 'API keys for other systems (R13)' } }, async (req) => {
    assertPermission(principalOf(req), 'apikey.manage');
    return deps.store.apiKeys.list();
  });

  api.post(
    '/api-keys',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'Create an API key; the key is shown only in this answer',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 64 }),
            scopes: Type.Array(Type.Union(Object.keys(API_KEY_SCOPES).map((s) => Type.Literal(s))), { minItems: 1, uniqueItems: true }),
            expiresAt: Type.Optional(Nullable(IsoTime)),
          },
          Closed,
        ),
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      assertPermission(p, 'apikey.manage');
      if (p.kind === 'apikey') throw new AppError('FORBIDDEN', 'API keys cannot create API keys');
      const expiresAt = req.body.expiresAt ? new Date(req.body.expiresAt).toISOString() : null;
      const k = await deps.auth.createApiKey(p, req.body.name, req.body.scopes, expiresAt);
      await audit(deps, req, { action: 'apikey.create', targetType: 'apikey', targetId: k.id, detail: `${req.body.name} scopes=${req.body.scopes.join(',')}` });
      return reply.status(201).send({ id: k.id, key: k.key, prefix: k.prefix, name: req.body.name, scopes: req.body.scopes, expiresAt });
    },
  );

  api.delete('/api-keys/:id', { schema: { tags: ['api-keys'], params: IdParam } }, async (req, reply) => {
    assertPermission(principalOf(req), 'apikey.manage');
    if (!(await deps.store.apiKeys.revoke(req.params.id, deps.clock.now().toISOString()))) throw new AppError('NOT_FOUND', 'API key not found');
    await audit(deps, req, { action: 'apikey.revoke', targetType: 'apikey', targetId: req.params.id });
    return reply.status(204).send();
  });
}

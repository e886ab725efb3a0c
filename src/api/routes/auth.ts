import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { PERMISSIONS } from '../../auth/permissions.js';
import { AppError } from '../../core/errors.js';
import { audit, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed } from '../schemas.js';

export async function authRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();

  api.post(
    '/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Log in; returns a bearer token',
        body: Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 128 }) }, Closed),
      },
    },
    async (req) => {
      const { username, password } = req.body;
      const { sessionTtlMinutes } = await deps.store.settings.get();
      try {
        const r = await deps.auth.login(username, password, sessionTtlMinutes, { ip: req.ip, userAgent: req.headers['user-agent'] });
        req.principal = r.principal;
        await audit(deps, req, { action: 'auth.login', targetType: 'user', targetId: r.user.id });
        return {
          token: r.token,
          expiresAt: r.expiresAt,
          mustChangePassword: Boolean(r.user.must_change_password),
          user: await deps.store.users.get(r.user.id, new Date().toISOString()),
        };
      } catch (e) {
        if (e instanceof AppError) {
          await audit(deps, req, { action: 'auth.login', targetType: 'user', targetId: username, username, userId: null, result: 'fail', detail: e.code });
        }
        throw e;
      }
    },
  );

  api.post('/auth/logout', { schema: { tags: ['auth'], summary: 'Revoke the current token' } }, async (req, reply) => {
    const p = principalOf(req);
    await deps.auth.logout(p);
    await audit(deps, req, { action: 'auth.logout', targetType: 'user', targetId: p.userId });
    return reply.status(204).send();
  });

  api.get('/auth/me', { schema: { tags: ['auth'], summary: 'Current user, permissions and channel scope kind' } }, async (req) => {
    const p = principalOf(req);
    return {
      user: await deps.store.users.get(p.userId, deps.clock.now().toISOString()),
      permissions: [...p.permissions].sort(),
      allChannels: p.scope.all,
    };
  });

  api.post(
    '/auth/password',
    {
      schema: {
        tags: ['auth'],
        summary: 'Change own password (revokes other sessions)',
        body: Type.Object({ oldPassword: Type.String({ maxLength: 128 }), newPassword: Type.String({ maxLength: 128 }) }, Closed),
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      try {
        await deps.auth.changePassword(p, req.body.oldPassword, req.body.newPassword);
      } catch (e) {
        await audit(deps, req, { action: 'auth.password', targetType: 'user', targetId: p.userId, result: 'fail', detail: (e as AppError).code });
        throw e;
      }
      await audit(deps, req, { action: 'auth.password', targetType: 'user', targetId: p.userId });
      return reply.status(204).send();
    },
  );

  api.get('/permissions', { schema: { tags: ['auth'], summary: 'The permission catalogue' } }, async () =>
    Object.entries(PERMISSIONS).map(([key, v]) => ({ key, group: v.group, label: { zh: v.zh, en: v.en } })),
  );
}

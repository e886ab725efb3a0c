import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { assertPermission, type Principal } from '../../auth/access.js';
import { checkUserRoles } from '../../security/separation-of-duties.js';
import { checkPasswordPolicy, hashPassword } from '../../auth/password.js';
import { AppError } from '../../core/errors.js';
import type { UserRow } from '../../store/repos/users.js';
import { audit, changedFields, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed, IdParam, Nullable, PageQuery } from '../schemas.js';

const UserFields = {
  displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  enabled: Type.Optional(Type.Boolean()),
  roleIds: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 50 })),
  phone: Type.Optional(Nullable(Type.String({ maxLength: 32 }))),
  email: Type.Optional(Nullable(Type.String({ maxLength: 128 }))),
  mustChangePassword: Type.Optional(Type.Boolean()),
};

export async function userRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const now = () => deps.clock.now().toISOString();

  async function checkRoles(ids: string[] | undefined, actor?: Principal, targetUserId: string | null = null): Promise<void> {
    if (!ids) return;
    const found = await deps.store.roles.byIds(ids);
    const missing = ids.filter((id) => !found.some((r) => r.id === id));
    if (missing.length) throw new AppError('VALIDATION_FAILED', `roleIds: unknown role(s) ${missing.join(', ')}`);
    if (actor) checkUserRoles(actor, targetUserId, found); // 三员分立 (security/separation-of-duties.ts)
  }

  api.get(
    '/users',
    { schema: { tags: ['users'], summary: 'List users', querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: 64 })), ...PageQuery }) } },
    async (req) => {
      assertPermission(principalOf(req), 'user.manage');
      return deps.store.users.list(req.query, now());
    },
  );

  api.post(
    '/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Create a user',
        body: Type.Object({ username: Type.String({ minLength: 2, maxLength: 32, pattern: '^[A-Za-z0-9_.@-]+$' }), password: Type.String({ maxLength: 128 }), ...UserFields }, Closed),
      },
    },
    async (req, reply) => {
      assertPermission(principalOf(req), 'user.manage');
      const b = req.body;
      if (await deps.store.users.rowByUsername(b.username)) throw new AppError('CONFLICT', `User name "${b.username}" is taken (用户名已存在)`);
      checkPasswordPolicy(b.password, b.username);
      await checkRoles(b.roleIds, principalOf(req));
      const t = now();
      const row: UserRow = {
        id: randomUUID(),
        username: b.username,
        display_name: b.displayName ?? b.username,
        password_hash: await hashPassword(b.password),
        enabled: b.enabled === false ? 0 : 1,
        must_change_password: b.mustChangePassword ? 1 : 0,
        failed_count: 0,
        locked_until: null,
        phone: b.phone ?? null,
        email: b.email ?? null,
        password_changed_at: t,
        last_login_at: null,
        created_at: t,
        updated_at: t,
      };
      await deps.store.users.create(row, b.roleIds ?? []);
      await audit(deps, req, { action: 'user.create', targetType: 'user', targetId: row.id, detail: `${b.username} roles=${(b.roleIds ?? []).join(',')}` });
      return reply.status(201).send(await deps.store.users.get(row.id, t));
    },
  );

  api.get('/users/:id', { schema: { tags: ['users'], params: IdParam } }, async (req) => {
    assertPermission(principalOf(req), 'user.manage');
    const u = await deps.store.users.get(req.params.id, now());
    if (!u) throw new AppError('NOT_FOUND', `User ${req.params.id} not found`);
    return u;
  });

  api.patch(
    '/users/:id',
    { schema: { tags: ['users'], params: IdParam, body: Type.Object({ ...UserFields, password: Type.Optional(Type.String({ maxLength: 128 })) }, Closed) } },
    async (req) => {
      const p = principalOf(req);
      assertPermission(p, 'user.manage');
      const row = await deps.store.users.row(req.params.id);
      if (!row) throw new AppError('NOT_FOUND', `User ${req.params.id} not found`);
      const b = req.body;
      if (b.roleIds) await checkRoles(b.roleIds, p, row.id);
      if (row.id === p.userId && (b.enabled === false || b.roleIds)) {
        throw new AppError('VALIDATION_FAILED', 'You cannot disable yourself or change your own roles (不能停用自己或修改自己的角色)');
      }
      await checkRoles(b.roleIds);
      const set: Partial<UserRow> = { updated_at: now() };
      if (b.displayName !== undefined) set.display_name = b.displayName;
      if (b.enabled !== undefined) set.enabled = b.enabled ? 1 : 0;
      if (b.phone !== undefined) set.phone = b.phone;
      if (b.email !== undefined) set.email = b.email;
      if (b.mustChangePassword !== undefined) set.must_change_password = b.mustChangePassword ? 1 : 0;
      if (b.password !== undefined) {
        checkPasswordPolicy(b.password, row.username);
        set.password_hash = await hashPassword(b.password);
        set.password_changed_at = now();
      }
      await deps.store.users.update(row.id, set, b.roleIds);
      deps.access.invalidate();
      // Disabling or a reset password ends the user's running sessions (R11: cut within 5 s).
      if (b.enabled === false || b.password !== undefined) await deps.auth.revokeUserSessions(row.id);
      await audit(deps, req, { action: 'user.update', targetType: 'user', targetId: row.id, detail: `${row.username}: ${changedFields(b)}` });
      return deps.store.users.get(row.id, now());
    },
  );

  api.post('/users/:id/unlock', { schema: { tags: ['users'], params: IdParam } }, async (req) => {
    assertPermission(principalOf(req), 'user.manage');
    const row = await deps.store.users.row(req.params.id);
    if (!row) throw new AppError('NOT_FOUND', `User ${req.params.id} not found`);
    await deps.store.users.update(row.id, { locked_until: null, failed_count: 0, updated_at: now() });
    await audit(deps, req, { action: 'user.unlock', targetType: 'user', targetId: row.id, detail: row.username });
    return deps.store.users.get(row.id, now());
  });

  api.delete('/users/:id', { schema: { tags: ['users'], params: IdParam } }, async (req, reply) => {
    const p = principalOf(req);
    assertPermission(p, 'user.manage');
    const row = await deps.store.users.row(req.params.id);
    if (!row) throw new AppError('NOT_FOUND', `User ${req.params.id} not found`);
    if (row.id === p.userId) throw new AppError('VALIDATION_FAILED', 'You cannot delete yourself (不能删除自己)');
    if (row.username === 'admin') throw new AppError('BUILTIN_READONLY', 'The built-in admin cannot be deleted; disable it instead (内置管理员不能删除)');
    await deps.auth.revokeUserSessions(row.id);
    await deps.store.users.delete(row.id);
    deps.access.invalidate();
    await audit(deps, req, { action: 'user.delete', targetType: 'user', targetId: row.id, detail: row.username });
    return reply.status(204).send();
  });
}

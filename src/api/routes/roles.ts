import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { assertPermission } from '../../auth/access.js';
import { isPermission } from '../../auth/permissions.js';
import { AppError } from '../../core/errors.js';
import type { RoleInput } from '../../store/repos/roles.js';
import { checkRoleHolders, checkRolePermissions } from '../../security/separation-of-duties.js';
import { audit, changedFields, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed, IdParam } from '../schemas.js';

const RoleFields = {
  description: Type.Optional(Type.String({ maxLength: 200 })),
  permissions: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 })),
  allChannels: Type.Optional(Type.Boolean()),
  orgIds: Type.Optional(Type.Array(Type.String({ maxLength: 20 }), { maxItems: 10000 })),
  channelIds: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9]{20}$' }), { maxItems: 100000 })),
};

export async function roleRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const now = () => deps.clock.now().toISOString();

  async function validate(i: RoleInput): Promise<void> {
    const badPerm = (i.permissions ?? []).filter((p) => !isPermission(p));
    if (badPerm.length) throw new AppError('VALIDATION_FAILED', `permissions: unknown permission(s) ${badPerm.join(', ')}`);
    if (i.orgIds?.length) {
      const known = new Set((await deps.store.orgs.all()).map((o) => o.id));
      const missing = i.orgIds.filter((o) => !known.has(o));
      if (missing.length) throw new AppError('VALIDATION_FAILED', `orgIds: unknown organisation(s) ${missing.slice(0, 10).join(', ')}`);
    }
  }

  api.get('/roles', { schema: { tags: ['roles'], summary: 'List roles' } }, async (req) => {
    const p = principalOf(req);
    // Anyone managing users must see the roles to assign them.
    if (!p.permissions.has('user.manage')) assertPermission(p, 'role.manage');
    return deps.store.roles.all();
  });

  api.get('/roles/:id', { schema: { tags: ['roles'], params: IdParam } }, async (req) => {
    assertPermission(principalOf(req), 'role.manage');
    const r = await deps.store.roles.get(req.params.id);
    if (!r) throw new AppError('NOT_FOUND', `Role ${req.params.id} not found`);
    return r;
  });

  api.post(
    '/roles',
    { schema: { tags: ['roles'], summary: 'Create a role', body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }), ...RoleFields }, Closed) } },
    async (req, reply) => {
      assertPermission(principalOf(req), 'role.manage');
      await validate(req.body);
      checkRolePermissions(principalOf(req), req.body.permissions ?? []); // 三员分立 (security/separation-of-duties.ts)
      if (await deps.store.roles.byName(req.body.name)) throw new AppError('CONFLICT', `Role "${req.body.name}" exists (角色名已存在)`);
      const id = randomUUID();
      await deps.store.roles.create(id, req.body, false, now());
      await audit(deps, req, { action: 'role.create', targetType: 'role', targetId: id, detail: `${req.body.name} permissions=${(req.body.permissions ?? []).join(',')}` });
      return reply.status(201).send(await deps.store.roles.get(id));
    },
  );

  api.patch(
    '/roles/:id',
    { schema: { tags: ['roles'], params: IdParam, body: Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), ...RoleFields }, Closed) } },
    async (req) => {
      assertPermission(principalOf(req), 'role.manage');
      const r = await deps.store.roles.get(req.params.id);
      if (!r) throw new AppError('NOT_FOUND', `Role ${req.params.id} not found`);
      if (r.builtin && (req.body.permissions || req.body.name || req.body.allChannels !== undefined)) {
        throw new AppError('BUILTIN_READONLY', 'Built-in roles keep their name and permissions; only scopes can change (内置角色权限不可修改)');
      }
      await validate(req.body);
      if (req.body.permissions) {
        checkRolePermissions(principalOf(req), req.body.permissions); // 三员分立
        await checkRoleHolders(deps.store, r.id, req.body.permissions);
      }
      if (req.body.name && req.body.name !== r.name && (await deps.store.roles.byName(req.body.name))) throw new AppError('CONFLICT', `Role "${req.body.name}" exists`);
      await deps.store.roles.update(r.id, req.body, now());
      deps.access.invalidate();
      await audit(deps, req, { action: 'role.update', targetType: 'role', targetId: r.id, detail: `${r.name}: ${changedFields(req.body)}` });
      return deps.store.roles.get(r.id);
    },
  );

  api.delete('/roles/:id', { schema: { tags: ['roles'], params: IdParam } }, async (req, reply) => {
    assertPermission(principalOf(req), 'role.manage');
    const r = await deps.store.roles.get(req.params.id);
    if (!r) throw new AppError('NOT_FOUND', `Role ${req.params.id} not found`);
    if (r.builtin) throw new AppError('BUILTIN_READONLY', 'Built-in roles cannot be deleted (内置角色不能删除)');
    await deps.store.roles.delete(r.id);
    deps.access.invalidate();
    await audit(deps, req, { action: 'role.delete', targetType: 'role', targetId: r.id, detail: r.name });
    return reply.status(204).send();
  });
}

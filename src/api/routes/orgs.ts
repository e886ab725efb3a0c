import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { assertPermission, type Principal } from '../../auth/access.js';
import { AppError } from '../../core/errors.js';
import { isCivilCode, parseGbId } from '../../core/gbid.js';
import type { Org, OrgType } from '../../store/repos/orgs.js';
import { channelInScope } from '../../store/scope.js';
import { audit, changedFields, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed, IdParam, Nullable } from '../schemas.js';

const OrgTypeSchema = Type.Union([Type.Literal('region'), Type.Literal('business_group'), Type.Literal('virtual_org')]);

/**
 * Org ids follow GB/T 28181-2016 Appendix D / §9.2.1 catalog: administrative regions use civil codes (2–8 digits),
 * business groups are 20-digit codes of type 215, virtual organisations type 216.
 */
function checkOrgId(id: string, type: OrgType): void {
  if (type === 'region') {
    if (!isCivilCode(id)) throw new AppError('VALIDATION_FAILED', `id: a region id must be a 2/4/6/8-digit civil code, got "${id}" (行政区划编码)`);
    return;
  }
  const want = type === 'business_group' ? '215' : '216';
  if (parseGbId(id)?.typeCode !== want) throw new AppError('VALIDATION_FAILED', `id: a ${type} id must be a 20-digit code of type ${want}, got "${id}"`);
}

export async function orgRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const now = () => deps.clock.now().toISOString();

  /** Orgs a scoped user sees: granted nodes, nodes of visible channels, and their ancestors (to draw the tree). */
  async function visibleOrgs(p: Principal): Promise<Org[]> {
    const all = await deps.store.orgs.all();
    if (p.scope.all) return all;
    const byId = new Map(all.map((o) => [o.id, o]));
    const seeds = new Set(p.scope.orgIds);
    const rows = await deps.store.database.db
      .selectFrom('channels')
      .select('org_id')
      .distinct()
      .where('org_id', 'is not', null)
      .where((eb) => channelInScope(eb, p.scope))
      .execute();
    for (const r of rows) if (r.org_id) seeds.add(r.org_id);
    const out = new Set<string>();
    for (const id of seeds) {
      let cur = byId.get(id);
      while (cur && !out.has(cur.id)) {
        out.add(cur.id);
        cur = cur.parentId ? byId.get(cur.parentId) : undefined;
      }
    }
    return all.filter((o) => out.has(o.id));
  }

  api.get('/orgs', { schema: { tags: ['orgs'], summary: 'Organisation tree as a flat list (build the tree from parentId)' } }, async (req) => visibleOrgs(principalOf(req)));

  api.post(
    '/orgs',
    {
      schema: {
        tags: ['orgs'],
        body: Type.Object(
          { id: Type.String({ minLength: 2, maxLength: 20, pattern: '^[0-9]+$' }), name: Type.String({ minLength: 1, maxLength: 100 }), parentId: Type.Optional(Nullable(Type.String({ maxLength: 20 }))), type: OrgTypeSchema, sort: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e6 })) },
          Closed,
        ),
      },
    },
    async (req, reply) => {
      assertPermission(principalOf(req), 'org.manage');
      const b = req.body;
      checkOrgId(b.id, b.type);
      if (await deps.store.orgs.get(b.id)) throw new AppError('CONFLICT', `Organisation ${b.id} exists (组织编码已存在)`);
      if (b.parentId && !(await deps.store.orgs.get(b.parentId))) throw new AppError('VALIDATION_FAILED', `parentId: organisation "${b.parentId}" does not exist`);
      const org: Org = { id: b.id, name: b.name, parentId: b.parentId ?? null, type: b.type, sort: b.sort ?? 0 };
      await deps.store.orgs.create(org, now());
      await audit(deps, req, { action: 'org.create', targetType: 'org', targetId: b.id, detail: b.name });
      return reply.status(201).send(org);
    },
  );

  api.patch(
    '/orgs/:id',
    {
      schema: {
        tags: ['orgs'],
        params: IdParam,
        body: Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), parentId: Type.Optional(Nullable(Type.String({ maxLength: 20 }))), sort: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e6 })) }, Closed),
      },
    },
    async (req) => {
      assertPermission(principalOf(req), 'org.manage');
      const org = await deps.store.orgs.get(req.params.id);
      if (!org) throw new AppError('NOT_FOUND', `Organisation ${req.params.id} not found`);
      const { parentId } = req.body;
      if (parentId) {
        const all = await deps.store.orgs.all();
        const byId = new Map(all.map((o) => [o.id, o]));
        if (!byId.has(parentId)) throw new AppError('VALIDATION_FAILED', `parentId: organisation "${parentId}" does not exist`);
        for (let cur: Org | undefined = byId.get(parentId); cur; cur = cur.parentId ? byId.get(cur.parentId) : undefined) {
          if (cur.id === org.id) throw new AppError('VALIDATION_FAILED', 'parentId: an organisation cannot move under itself (不能移动到自身下级)');
        }
      }
      await deps.store.orgs.update(org.id, req.body, now());
      deps.access.invalidate();
      await audit(deps, req, { action: 'org.update', targetType: 'org', targetId: org.id, detail: changedFields(req.body) });
      return deps.store.orgs.get(org.id);
    },
  );

  api.delete('/orgs/:id', { schema: { tags: ['orgs'], params: IdParam } }, async (req, reply) => {
    assertPermission(principalOf(req), 'org.manage');
    const org = await deps.store.orgs.get(req.params.id);
    if (!org) throw new AppError('NOT_FOUND', `Organisation ${req.params.id} not found`);
    const [children, devices, channels] = await Promise.all([deps.store.orgs.childCount(org.id), deps.store.devices.countByOrg(org.id), deps.store.channels.countByOrg(org.id)]);
    if (children + devices + channels > 0) {
      throw new AppError('ORG_NOT_EMPTY', `Organisation has ${children} sub-organisations, ${devices} devices, ${channels} channels; move or delete them first (组织下仍有下级/设备/通道)`);
    }
    await deps.store.orgs.delete(org.id);
    deps.access.invalidate();
    await audit(deps, req, { action: 'org.delete', targetType: 'org', targetId: org.id, detail: org.name });
    return reply.status(204).send();
  });
}

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { assertPermission } from '../../auth/access.js';
import { AppError } from '../../core/errors.js';
import { MAX_DWELL_S, MIN_DWELL_S, PATROL_LAYOUTS } from '../../patrol/pages.js';
import { PATROL_ACTIONS, type PatrolAction, type PatrolKind, type PatrolState } from '../../patrol/patrol-state.js';
import { audit, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed } from '../schemas.js';

const Dwell = Type.Integer({ minimum: MIN_DWELL_S, maximum: MAX_DWELL_S, description: `seconds, ${MIN_DWELL_S} … ${MAX_DWELL_S}` });
const Item = Type.Object({ channelId: Type.String({ minLength: 1, maxLength: 64 }), dwellSeconds: Type.Optional(Dwell) }, Closed);
const TaskFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  layout: Type.Union(PATROL_LAYOUTS.map((n) => Type.Literal(n)), { description: 'panes per page' }),
  dwellSeconds: Dwell,
  source: Type.Union([Type.Literal('channels'), Type.Literal('org')], { description: "channels: the ordered items; org: every channel under orgId (by name)" }),
  items: Type.Array(Item, { maxItems: 10_000 }),
  orgId: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]),
  includeChildren: Type.Boolean(),
  preload: Type.Boolean({ description: "INVITE the next page's streams a few seconds before the page turns (default true)" }),
};
const TaskCreate = Type.Object(
  {
    name: TaskFields.name,
    layout: TaskFields.layout,
    dwellSeconds: TaskFields.dwellSeconds,
    source: Type.Optional(TaskFields.source),
    items: Type.Optional(TaskFields.items),
    channelIds: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 10_000, description: 'shorthand for items without their own dwell' })),
    orgId: Type.Optional(TaskFields.orgId),
    includeChildren: Type.Optional(TaskFields.includeChildren),
    preload: Type.Optional(TaskFields.preload),
  },
  Closed,
);
const TaskPatch = Type.Partial(TaskCreate, Closed);
const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$' });
const Window = Type.Object(
  {
    days: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { maxItems: 7, description: 'ISO weekdays, 1 = Monday' })),
    dates: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' }), { maxItems: 366 })),
    from: HHMM,
    to: HHMM,
  },
  Closed,
);
const PlanCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    taskId: Type.String({ minLength: 1, maxLength: 64 }),
    wall: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'the display the plan drives (default "default")' })),
    windows: Type.Array(Window, { minItems: 1, maxItems: 50, description: `local times in SHARPEYE_TZ; from < to (split a night in two)` }),
    enabled: Type.Optional(Type.Boolean()),
  },
  Closed,
);
const PlanPatch = Type.Partial(PlanCreate, Closed);
const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, Closed);
const Control = Type.Object({ action: Type.Union(PATROL_ACTIONS.map((a) => Type.Literal(a))) }, Closed);

/**
 * Electronic patrol (R4, CONTRACT.md): tasks, plans, their state and control. Every route needs `patrol.manage`;
 * every change and every control action goes to the user log.
 */
export async function patrolRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const svc = () => {
    if (!deps.patrol) throw new AppError('FEATURE_UNAVAILABLE', 'patrol runs on control nodes only');
    return deps.patrol;
  };
  const who = (req: FastifyRequest) => {
    const p = principalOf(req);
    assertPermission(p, 'patrol.manage');
    return p;
  };
  /** `channelIds` is a shorthand for `items` (each channel with the task's dwell). */
  const body = <T extends { channelIds?: string[]; items?: { channelId: string; dwellSeconds?: number }[] }>(b: T) => {
    const { channelIds, ...rest } = b;
    return channelIds && !rest.items ? { ...rest, items: channelIds.map((channelId) => ({ channelId })) } : rest;
  };
  const describe = (s: PatrolState) => `${s.running ? `page ${s.page}/${s.pageCount}${s.paused ? ' paused' : ''}` : 'stopped'}`;

  // ---- tasks
  api.get('/patrol/tasks', { schema: { tags: ['patrol'], summary: 'Patrol tasks (items outside your scope are left out and counted)' } }, async (req) => svc().catalog.listTasks(who(req)));
  api.post('/patrol/tasks', { schema: { tags: ['patrol'], summary: 'Create a patrol task', body: TaskCreate } }, async (req, reply) => {
    const p = who(req);
    const t = await svc().catalog.createTask(body(req.body), p);
    await audit(deps, req, { action: 'patrol.task.create', targetType: 'patrol-task', targetId: t.id, detail: `${t.name}: ${t.source === 'org' ? `org ${t.orgId}` : `${t.items.length} channels`}, ${t.layout} panes, ${t.dwellSeconds} s` });
    return reply.code(201).send(t);
  });
  api.get('/patrol/tasks/:id', { schema: { tags: ['patrol'], params: Id } }, async (req) => svc().catalog.task(req.params.id, who(req)));
  api.patch('/patrol/tasks/:id', { schema: { tags: ['patrol'], params: Id, body: TaskPatch } }, async (req) => {
    const t = await svc().catalog.updateTask(req.params.id, body(req.body), who(req));
    await audit(deps, req, { action: 'patrol.task.update', targetType: 'patrol-task', targetId: t.id, detail: Object.keys(req.body).join(',') });
    return t;
  });
  api.delete('/patrol/tasks/:id', { schema: { tags: ['patrol'], params: Id } }, async (req, reply) => {
    await svc().catalog.deleteTask(req.params.id, who(req));
    await audit(deps, req, { action: 'patrol.task.delete', targetType: 'patrol-task', targetId: req.params.id });
    return reply.code(204).send();
  });

  // ---- plans
  api.get('/patrol/plans', { schema: { tags: ['patrol'], summary: 'Patrol plans (a task in time windows on a wall)' } }, async (req) => {
    who(req);
    return svc().catalog.listPlans();
  });
  api.post('/patrol/plans', { schema: { tags: ['patrol'], summary: 'Create a plan; overlapping windows on the same wall are refused (PATROL_PLAN_OVERLAP)', body: PlanCreate } }, async (req, reply) => {
    const pl = await svc().catalog.createPlan(req.body, who(req));
    await audit(deps, req, { action: 'patrol.plan.create', targetType: 'patrol-plan', targetId: pl.id, detail: `${pl.name}: task ${pl.taskName ?? pl.taskId}, wall ${pl.wall}, ${JSON.stringify(pl.windows)}` });
    return reply.code(201).send(pl);
  });
  api.get('/patrol/plans/:id', { schema: { tags: ['patrol'], params: Id } }, async (req) => {
    who(req);
    return svc().catalog.plan(req.params.id);
  });
  api.patch('/patrol/plans/:id', { schema: { tags: ['patrol'], params: Id, body: PlanPatch } }, async (req) => {
    who(req);
    const pl = await svc().catalog.updatePlan(req.params.id, req.body);
    await audit(deps, req, { action: 'patrol.plan.update', targetType: 'patrol-plan', targetId: pl.id, detail: JSON.stringify(req.body) });
    return pl;
  });
  api.delete('/patrol/plans/:id', { schema: { tags: ['patrol'], params: Id } }, async (req, reply) => {
    who(req);
    await svc().catalog.deletePlan(req.params.id);
    await audit(deps, req, { action: 'patrol.plan.delete', targetType: 'patrol-plan', targetId: req.params.id });
    return reply.code(204).send();
  });

  // ---- state and control (same two routes for tasks and plans)
  for (const kind of ['task', 'plan'] as PatrolKind[]) {
    api.get(`/patrol/${kind}s/:id/state`, { schema: { tags: ['patrol'], summary: `{page, pageCount, channelIds, paused, running, …} of a ${kind} (channelIds: the page's channels you may see)`, params: Id } }, async (req) =>
      svc().engine.state(kind, req.params.id, who(req)),
    );
    api.post(`/patrol/${kind}s/:id/control`, { schema: { tags: ['patrol'], summary: `start | pause | resume | next | prev | stop a ${kind}`, params: Id, body: Control } }, async (req) => {
      const p = who(req);
      const action = req.body.action as PatrolAction;
      try {
        const s = await svc().engine.control(kind, req.params.id, action, p);
        await audit(deps, req, { action: `patrol.${action}`, targetType: `patrol-${kind}`, targetId: req.params.id, detail: `${s.name}: ${describe(s)}` });
        return s;
      } catch (e) {
        await audit(deps, req, { action: `patrol.${action}`, targetType: `patrol-${kind}`, targetId: req.params.id, detail: (e as Error).message, result: 'fail' });
        throw e;
      }
    });
  }
  api.get('/patrol/running', { schema: { tags: ['patrol'], summary: 'Every running patrol as you see it' } }, async (req) => svc().engine.running(who(req)));
}

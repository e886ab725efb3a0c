import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ALERT_KINDS } from '../../ops/alerts/alert-rules.js';
import { audit } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed, PageQuery } from '../schemas.js';
import { opsAccess } from './ops-access.js';

// Shapes only: the values (kind, threshold range per kind, forMinutes, URLs) are checked by validateRule, which
// answers ALERT_RULE_INVALID with the field and the reason.
const RuleFields = {
  name: Type.String({ maxLength: 200 }),
  kind: Type.String({ maxLength: 64, description: Object.keys(ALERT_KINDS).join(' | ') }),
  threshold: Type.Number({ description: 'device_offline: minutes; availability_below: percent; storage_headroom: days; recording_gap / image_forward_lag: seconds; media_node_down / upper_platform_unregistered: 0' }),
  forMinutes: Type.Number({ description: 'the condition must hold this long before the alert fires (0–1440)' }),
  enabled: Type.Boolean(),
  orgId: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
  webhooks: Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 20 }),
};
const RuleCreate = Type.Object(
  {
    name: RuleFields.name,
    kind: RuleFields.kind,
    threshold: Type.Optional(RuleFields.threshold),
    forMinutes: Type.Optional(RuleFields.forMinutes),
    enabled: Type.Optional(RuleFields.enabled),
    orgId: Type.Optional(RuleFields.orgId),
    webhooks: Type.Optional(RuleFields.webhooks),
  },
  Closed,
);
const RulePatch = Type.Partial(RuleCreate, Closed);
const Id = Type.Object({ id: Type.String({ maxLength: 64 }) }, Closed);

/**
 * Alert rules and alerts (issue 14 §4, R17). Rules are validated at save (ALERT_RULE_INVALID); the evaluator runs
 * every 20 s; `POST /alerts/evaluate` runs a pass now (after changing a rule, or from a test).
 */
export async function alertRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const a = opsAccess(deps);

  api.get('/alerts/kinds', { schema: { tags: ['ops'], summary: 'Alert rule kinds with the unit and range of their threshold' } }, async (req) => {
    a.reader(req);
    return { items: Object.entries(ALERT_KINDS).map(([kind, s]) => ({ kind, ...s })) };
  });

  api.get('/alerts/rules', { schema: { tags: ['ops'], summary: 'Alert rules with the last evaluation of each' } }, async (req) => {
    a.reader(req);
    return { items: await a.ops().alerts.rules() };
  });

  api.post('/alerts/rules', { schema: { tags: ['ops'], summary: 'Create an alert rule (ALERT_RULE_INVALID when a value is out of range)', body: RuleCreate } }, async (req, reply) => {
    const p = a.writer(req);
    try {
      const r = await a.ops().alerts.createRule(req.body, p.username);
      await audit(deps, req, { action: 'alert.rule.create', targetType: 'alert-rule', targetId: r.id, detail: `${r.name}: ${r.kind} ${r.threshold} for ${r.forMinutes} min, ${r.webhooks.length} webhooks` });
      return reply.code(201).send(r);
    } catch (e) {
      await audit(deps, req, { action: 'alert.rule.create', targetType: 'alert-rule', detail: (e as Error).message, result: 'fail' });
      throw e;
    }
  });

  api.get('/alerts/rules/:id', { schema: { tags: ['ops'], params: Id } }, async (req) => {
    a.reader(req);
    return a.ops().alerts.rule(req.params.id);
  });

  api.patch('/alerts/rules/:id', { schema: { tags: ['ops'], summary: 'Change an alert rule (validated as a whole)', params: Id, body: RulePatch } }, async (req) => {
    const p = a.writer(req);
    try {
      const r = await a.ops().alerts.updateRule(req.params.id, req.body, p.username);
      await audit(deps, req, { action: 'alert.rule.update', targetType: 'alert-rule', targetId: r.id, detail: Object.keys(req.body).join(',') });
      return r;
    } catch (e) {
      await audit(deps, req, { action: 'alert.rule.update', targetType: 'alert-rule', targetId: req.params.id, detail: (e as Error).message, result: 'fail' });
      throw e;
    }
  });

  api.delete('/alerts/rules/:id', { schema: { tags: ['ops'], summary: 'Delete an alert rule (its firing alerts are cleared)', params: Id } }, async (req, reply) => {
    a.writer(req);
    await a.ops().alerts.deleteRule(req.params.id);
    await audit(deps, req, { action: 'alert.rule.delete', targetType: 'alert-rule', targetId: req.params.id });
    return reply.code(204).send();
  });

  api.get(
    '/alerts',
    {
      schema: {
        tags: ['ops'],
        summary: 'Alerts, newest first: firing (active) and cleared (history)',
        querystring: Type.Object({ state: Type.Optional(Type.Union([Type.Literal('firing'), Type.Literal('cleared')])), ruleId: Type.Optional(Type.String({ maxLength: 64 })), ...PageQuery }, Closed),
      },
    },
    async (req) => {
      a.reader(req);
      return a.ops().alerts.repo.list(req.query);
    },
  );

  api.post('/alerts/evaluate', { schema: { tags: ['ops'], summary: 'Run an evaluation pass now; answers the firing alerts' } }, async (req) => {
    a.writer(req);
    await a.ops().alerts.evaluate();
    return { items: await a.ops().alerts.active() };
  });

  api.get('/alerts/webhooks', { schema: { tags: ['ops'], summary: 'Webhook deliveries since start: delivered, failed, last answer' } }, async (req) => {
    a.reader(req);
    return { items: a.ops().alerts.webhooks.statuses(), pending: a.ops().alerts.webhooks.pending };
  });
}

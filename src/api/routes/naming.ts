import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { assertPermission } from '../../auth/access.js';
import { writeTable } from '../../lib/table/spreadsheet.js';
import { NamingService, RULE_CODES } from '../../ops/naming/naming-service.js';
import { audit, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed, GbId, IdParam, PageQuery } from '../schemas.js';
import { sendFile, stamp } from './download.js';

/** The naming service of an app (tests reach it to shorten the OSD answer timeout). */
export const namingServiceOf = new WeakMap<ApiDeps, NamingService>();

const RuleCode = Type.Union(RULE_CODES.map((c) => Type.Literal(c)));
const ReportQuery = {
  rule: Type.Optional(RuleCode),
  orgId: Type.Optional(Type.String({ maxLength: 20 })),
  q: Type.Optional(Type.String({ maxLength: 100 })),
};
const RulesBody = Type.Object(
  {
    maxLength: Type.Optional(Type.Integer({ minimum: 4, maximum: 64, description: 'longest name in 汉字 widths (ASCII counts ½)' })),
    minLocationChars: Type.Optional(Type.Integer({ minimum: 0, maximum: 64 })),
    separators: Type.Optional(Type.String({ maxLength: 20, description: 'punctuation allowed besides 汉字, letters, digits' })),
    directions: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 2 }), { minItems: 1, maxItems: 16 })),
    directionLinks: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 1 }), { minItems: 1, maxItems: 4 })),
    requireDirection: Type.Optional(Type.Boolean()),
    exemptPtzDomes: Type.Optional(Type.Boolean()),
    uniqueInOrg: Type.Optional(Type.Boolean()),
    pattern: Type.Optional(Type.String({ maxLength: 200, description: 'extra regular expression every name must match; empty: none' })),
    redundantPrefixes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 20 }), { maxItems: 50 })),
  },
  Closed,
);

/** GA/T 751-2008 channel naming: report, export, bulk fix, rule set, OSD push (issue 14 §3, docs/naming.md). */
export async function namingRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const svc = new NamingService({ store: deps.store, archive: deps.archive, gb: deps.gb, log: deps.log });
  namingServiceOf.set(deps, svc);

  api.get(
    '/naming/report',
    { schema: { tags: ['naming'], summary: 'Channels whose names break the naming rules (paged), each with rule codes and a suggested fix', querystring: Type.Object({ ...ReportQuery, ...PageQuery }, Closed) } },
    async (req) => {
      const p = principalOf(req);
      assertPermission(p, 'device.view');
      return svc.report(p.scope, req.query);
    },
  );

  api.get(
    '/naming/report/export',
    { schema: { tags: ['naming'], summary: 'The whole naming report as Excel or CSV', querystring: Type.Object({ ...ReportQuery, format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('xlsx')])) }, Closed) } },
    async (req, reply) => {
      const p = principalOf(req);
      assertPermission(p, 'device.view');
      const format = req.query.format ?? 'xlsx';
      const { table, count } = await svc.reportTable(p.scope, req.query);
      const body = await writeTable(table, format, '通道命名检查');
      await audit(deps, req, { action: 'naming.export', targetType: 'channel', detail: `${count} channels as ${format}` });
      return sendFile(reply, body, `通道命名检查-${stamp(deps.clock.now())}`, format);
    },
  );

  api.get('/naming/rules', { schema: { tags: ['naming'], summary: 'The naming rule set in force (defaults merged with the stored row)' } }, async (req) => {
    assertPermission(principalOf(req), 'device.view');
    return svc.rules();
  });

  api.put('/naming/rules', { schema: { tags: ['naming'], summary: 'Change the naming rule set (fields left out keep their value)', body: RulesBody } }, async (req) => {
    assertPermission(principalOf(req), 'system.config');
    const rules = await svc.setRules(req.body);
    await audit(deps, req, { action: 'naming.rules', targetType: 'settings', targetId: 'naming.rules', detail: JSON.stringify(req.body).slice(0, 1000) });
    return rules;
  });

  api.post(
    '/naming/fix',
    {
      schema: {
        tags: ['naming'],
        summary: 'Bulk rename: the suggested names, or the given ones; dryRun previews. Invalid given names reject the whole request',
        body: Type.Object(
          {
            channelIds: Type.Array(GbId, { minItems: 1, maxItems: 1000 }),
            mode: Type.Union([Type.Literal('suggested'), Type.Literal('manual')]),
            names: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 1000, description: 'manual mode: names[i] for channelIds[i]' })),
            dryRun: Type.Optional(Type.Boolean()),
            pushOsd: Type.Optional(Type.Boolean({ description: 'also push each new name to the camera OSD (GB/T 28181-2022 OSDConfig)' })),
          },
          Closed,
        ),
      },
    },
    async (req) => {
      const p = principalOf(req);
      assertPermission(p, 'device.manage');
      const { pushOsd, ...body } = req.body;
      const r = await svc.fix(p.scope, body);
      if (r.dryRun) return r;
      for (const it of r.items) {
        if (it.status === 'rename') await audit(deps, req, { action: 'channel.rename', targetType: 'channel', targetId: it.channelId, detail: `naming fix (${body.mode}): "${it.from}" → "${it.to}"` });
      }
      await audit(deps, req, { action: 'naming.fix', targetType: 'channel', detail: `${r.renamed} renamed of ${r.items.length} (${body.mode})` });
      if (pushOsd) {
        const renamed = r.items.filter((i) => i.status === 'rename').map((i) => i.channelId);
        const pushed = renamed.length ? await svc.pushOsd(p.scope, renamed) : [];
        for (const o of pushed) {
          const it = r.items.find((i) => i.channelId === o.channelId)!;
          it.osd = { ok: o.ok, ...(o.code ? { code: o.code, message: o.message } : {}) };
          await audit(deps, req, { action: 'channel.osd', targetType: 'channel', targetId: o.channelId, detail: o.ok ? `OSD text "${it.to}"` : `${o.code}: ${o.message}`, result: o.ok ? 'ok' : 'fail' });
        }
      }
      return r;
    },
  );

  api.post(
    '/naming/osd',
    {
      schema: {
        tags: ['naming'],
        summary: 'Push channel names to the camera OSD (GB/T 28181-2022 DeviceConfig/OSDConfig); one result per channel',
        body: Type.Object({ channelIds: Type.Array(GbId, { minItems: 1, maxItems: 500 }) }, Closed),
      },
    },
    async (req) => {
      const p = principalOf(req);
      assertPermission(p, 'device.manage');
      const items = await svc.pushOsd(p.scope, req.body.channelIds);
      for (const o of items) await audit(deps, req, { action: 'channel.osd', targetType: 'channel', targetId: o.channelId, detail: o.ok ? 'OSD text = channel name' : `${o.code}: ${o.message}`, result: o.ok ? 'ok' : 'fail' });
      return { ok: items.filter((i) => i.ok).length, failed: items.filter((i) => !i.ok).length, items };
    },
  );

  api.post(
    '/naming/osd/:id',
    {
      schema: {
        tags: ['naming'],
        summary: 'Push one channel\'s name (or the given text) to its camera OSD; typed errors DEVICE_OFFLINE, DEVICE_TIMEOUT, DEVICE_REJECTED, UNSUPPORTED_BY_DEVICE',
        params: IdParam,
        body: Type.Optional(Type.Object({ text: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'GB/T 28181-2022: at most 32 characters' })) }, Closed)),
      },
    },
    async (req) => {
      const p = principalOf(req);
      assertPermission(p, 'device.manage');
      const ch = await deps.access.visibleChannel(p, req.params.id);
      const text = req.body?.text ?? ch.name;
      try {
        const r = await svc.osd.push(ch, text);
        await audit(deps, req, { action: 'channel.osd', targetType: 'channel', targetId: ch.id, detail: `OSD text "${text}"` });
        return r;
      } catch (e) {
        await audit(deps, req, { action: 'channel.osd', targetType: 'channel', targetId: ch.id, detail: `OSD text "${text}": ${(e as Error).message}`.slice(0, 500), result: 'fail' });
        throw e;
      }
    },
  );
}

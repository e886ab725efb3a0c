import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { assertPermission } from '../../auth/access.js';
import { AppError } from '../../core/errors.js';
import { addDays, DAY_RE } from '../../ops/availability/days.js';
import { availabilityWorkbook } from '../../ops/availability/export.js';
import { buildOverview } from '../../ops/availability/overview.js';
import { audit, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { PageQuery } from '../schemas.js';
import { sendFile } from './download.js';

const Range = {
  from: Type.Optional(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'first day, YYYY-MM-DD in SHARPEYE_TZ (default: to − 6 days)' })),
  to: Type.Optional(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'last day, inclusive (default: today)' })),
};
const Level = Type.Union([Type.Literal('channel'), Type.Literal('device'), Type.Literal('org')], { description: 'group by channel, device or org (default channel)' });
/** longest range one request may ask for */
const MAX_DAYS = 366;

/**
 * Availability (完好率, R15): per channel / device / org over a day range, worst first; Excel export; the operations
 * dashboard's overview. Reading needs `device.view` and sees only the caller's channels.
 */
export async function availabilityRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const svc = () => {
    if (!deps.availability) throw new AppError('FEATURE_UNAVAILABLE', 'availability is not running on this node');
    return deps.availability;
  };
  const range = (q: { from?: string; to?: string }) => {
    const to = q.to ?? svc().today();
    const from = q.from ?? addDays(to, -6);
    if (!DAY_RE.test(from) || !DAY_RE.test(to) || Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(to))) throw new AppError('RANGE_INVALID', 'from/to must be days YYYY-MM-DD');
    if (from > to) throw new AppError('RANGE_INVALID', `from ${from} is after to ${to}`);
    if (addDays(from, MAX_DAYS - 1) < to) throw new AppError('RANGE_INVALID', `at most ${MAX_DAYS} days per request`);
    return { from, to };
  };

  api.get(
    '/availability',
    {
      schema: {
        tags: ['ops'],
        summary: '完好率: share of observed time each channel / device / org was online and delivering video, worst first',
        querystring: Type.Object({ level: Type.Optional(Level), ...Range, orgId: Type.Optional(Type.String({ maxLength: 64 })), below: Type.Optional(Type.Number({ minimum: 0, maximum: 100, description: 'only rows below this availability, percent' })), ...PageQuery }),
      },
    },
    async (req) => {
      const p = principalOf(req);
      assertPermission(p, 'device.view');
      const { from, to } = range(req.query);
      const page = await svc().report(req.query.level ?? 'channel', from, to, p.scope, { page: req.query.page, pageSize: req.query.pageSize, orgId: req.query.orgId, below: req.query.below === undefined ? undefined : req.query.below / 100 });
      return { ...page, level: req.query.level ?? 'channel', from, to, tz: deps.config.tz, targetPercent: svc().settings.targetPercent };
    },
  );

  api.get(
    '/availability/export',
    { schema: { tags: ['ops'], summary: '完好率 as Excel: sheets by org, device and channel (worst first) and the channel × day detail', querystring: Type.Object({ format: Type.Optional(Type.Literal('xlsx')), ...Range }) } },
    async (req, reply) => {
      const p = principalOf(req);
      assertPermission(p, 'device.view');
      const { from, to } = range(req.query);
      const body = await availabilityWorkbook(svc(), from, to, p.scope);
      await audit(deps, req, { action: 'availability.export', targetType: 'availability', detail: `${from}..${to} as xlsx` });
      return sendFile(reply, body, `完好率-${from}-${to}`, 'xlsx');
    },
  );

  api.get(
    '/ops/overview',
    { schema: { tags: ['ops'], summary: 'Operations dashboard: online rate, availability today and 30-day trend per org (with the channels below target), channels below 1080P/25 fps, streams, storage', querystring: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 90, default: 30 })) }) } },
    async (req) => {
      const p = principalOf(req);
      assertPermission(p, 'device.view');
      if (!deps.quality) throw new AppError('FEATURE_UNAVAILABLE', 'quality diagnosis is not running on this node');
      return buildOverview({ store: deps.store, availability: svc(), quality: deps.quality.store, media: deps.media }, p.scope, req.query.days ?? 30);
    },
  );
}

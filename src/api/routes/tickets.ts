import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { monthlyReportXlsx } from '../../ops/tickets/monthly-xlsx.js';
import { audit } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed, IsoTime, PageQuery } from '../schemas.js';
import { opsAccess } from './ops-access.js';

const Id = Type.Object({ id: Type.Integer({ minimum: 1 }) }, Closed);
const Note = Type.Object({ note: Type.Optional(Type.String({ maxLength: 1000 })) }, Closed);

/**
 * Fault tickets (故障工单, issue 14 §4): opened by firing alerts or by hand, acknowledged (response, 2 h) and closed
 * (recovery, 24 h); the monthly report as JSON or XLSX.
 */
export async function ticketRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const a = opsAccess(deps);

  api.get(
    '/tickets',
    {
      schema: {
        tags: ['ops'],
        summary: 'Fault tickets, newest first, with due times and breach flags (2 h response / 24 h recovery)',
        querystring: Type.Object(
          {
            state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('responded'), Type.Literal('recovered'), Type.Literal('unresolved')])),
            from: Type.Optional(IsoTime),
            to: Type.Optional(IsoTime),
            ...PageQuery,
          },
          Closed,
        ),
      },
    },
    async (req) => {
      a.reader(req);
      const q = req.query;
      return a.ops().tickets.list({ ...q, from: q.from ? new Date(q.from).toISOString() : undefined, to: q.to ? new Date(q.to).toISOString() : undefined });
    },
  );

  api.post(
    '/tickets',
    { schema: { tags: ['ops'], summary: 'Open a fault ticket by hand', body: Type.Object({ title: Type.String({ minLength: 1, maxLength: 200 }), description: Type.Optional(Type.String({ maxLength: 2000 })) }, Closed) } },
    async (req, reply) => {
      const p = a.writer(req);
      const t = await a.ops().tickets.open({ title: req.body.title, description: req.body.description, source: 'manual', by: p.username });
      await audit(deps, req, { action: 'ticket.open', targetType: 'ticket', targetId: String(t.id), detail: t.title });
      return reply.code(201).send(t);
    },
  );

  api.get(
    '/tickets/report',
    {
      schema: {
        tags: ['ops'],
        summary: 'Monthly report (local month in SHARPEYE_TZ): counts, median/max response and recovery, breaches; ?format=xlsx',
        querystring: Type.Object({ month: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}$' }), format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('xlsx')])) }, Closed),
      },
    },
    async (req, reply) => {
      a.reader(req);
      const r = await a.ops().tickets.monthly(req.query.month);
      if (req.query.format !== 'xlsx') return r;
      const name = `故障工单月报-${r.month}.xlsx`;
      return reply
        .header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .header('content-disposition', `attachment; filename="tickets-${r.month}.xlsx"; filename*=UTF-8''${encodeURIComponent(name)}`)
        .send(await monthlyReportXlsx(r));
    },
  );

  api.get('/tickets/:id', { schema: { tags: ['ops'], params: Id } }, async (req) => {
    a.reader(req);
    return a.ops().tickets.get(req.params.id);
  });

  api.post('/tickets/:id/respond', { schema: { tags: ['ops'], summary: 'Acknowledge a ticket (the response time stops)', params: Id, body: Note } }, async (req) => {
    const p = a.writer(req);
    const t = await a.ops().tickets.respond(req.params.id, p.username, req.body.note?.trim() || null);
    await audit(deps, req, { action: 'ticket.respond', targetType: 'ticket', targetId: String(t.id), detail: `${t.responseMinutes} min${t.responseBreached ? ' (over 2 h)' : ''}` });
    return t;
  });

  api.post('/tickets/:id/close', { schema: { tags: ['ops'], summary: 'Close a ticket as recovered (the recovery time stops)', params: Id, body: Note } }, async (req) => {
    const p = a.writer(req);
    const t = await a.ops().tickets.recover(req.params.id, p.username, req.body.note?.trim() || null);
    await audit(deps, req, { action: 'ticket.close', targetType: 'ticket', targetId: String(t.id), detail: `${t.recoveryMinutes} min${t.recoveryBreached ? ' (over 24 h)' : ''}` });
    return t;
  });
}

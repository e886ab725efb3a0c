import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { assertPermission } from '../../auth/access.js';
import { AppError } from '../../core/errors.js';
import { audit, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed, IsoTime, PageQuery } from '../schemas.js';

const Id = Type.Object({ id: Type.Integer({ minimum: 1 }) }, Closed);

/**
 * The alarm console (R8): alarms of the channels you may see, newest first, and acknowledgement with a comment. The
 * alarm log for auditors (every alarm, CSV/XLSX export) stays at `/logs/alarm`.
 */
export async function alarmRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const feed = () => {
    if (!deps.alarms) throw new AppError('FEATURE_UNAVAILABLE', 'alarms run on control nodes only');
    return deps.alarms;
  };
  const who = (req: FastifyRequest) => {
    const p = principalOf(req);
    assertPermission(p, 'alarm.handle');
    return p;
  };

  api.get(
    '/alarms',
    {
      schema: {
        tags: ['alarms'],
        summary: 'Alarms of the channels you may see (alarms without a channel: users who see all channels)',
        querystring: Type.Object({
          acked: Type.Optional(Type.Boolean({ description: 'false: open alarms only; true: acknowledged only' })),
          from: Type.Optional(IsoTime),
          to: Type.Optional(IsoTime),
          type: Type.Optional(Type.String({ maxLength: 64 })),
          channelId: Type.Optional(Type.String({ maxLength: 64 })),
          q: Type.Optional(Type.String({ maxLength: 100 })),
          ...PageQuery,
        }),
      },
    },
    async (req) => {
      const q = req.query;
      return feed().list(who(req), { ...q, from: q.from ? new Date(q.from).toISOString() : undefined, to: q.to ? new Date(q.to).toISOString() : undefined });
    },
  );

  api.get('/alarms/:id', { schema: { tags: ['alarms'], params: Id } }, async (req) => feed().get(who(req), req.params.id));

  api.post(
    '/alarms/:id/ack',
    { schema: { tags: ['alarms'], summary: 'Acknowledge (处理) an alarm with a comment', params: Id, body: Type.Object({ comment: Type.Optional(Type.String({ maxLength: 500 })) }, Closed) } },
    async (req) => {
      const p = who(req);
      const comment = req.body.comment?.trim() || null;
      try {
        const a = await feed().ack(p, req.params.id, comment);
        await audit(deps, req, { action: 'alarm.ack', targetType: 'alarm', targetId: String(a.id), detail: `${a.alarmType} ${a.channelId ?? a.deviceId ?? ''}${comment ? `: ${comment}` : ''}` });
        return a;
      } catch (e) {
        await audit(deps, req, { action: 'alarm.ack', targetType: 'alarm', targetId: String(req.params.id), detail: (e as Error).message, result: 'fail' });
        throw e;
      }
    },
  );
}

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { assertPermission } from '../../auth/access.js';
import { AppError } from '../../core/errors.js';
import { audit, changedFields, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { ChannelCreate, ChannelPatch, IdParam, PageQuery } from '../schemas.js';

export async function channelRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/channels',
    {
      schema: {
        tags: ['channels'],
        summary: 'Channels visible to the caller (paged, filtered)',
        querystring: Type.Object({
          q: Type.Optional(Type.String({ maxLength: 100 })),
          online: Type.Optional(Type.Boolean()),
          deviceId: Type.Optional(Type.String({ maxLength: 20 })),
          orgId: Type.Optional(Type.String({ maxLength: 20 })),
          ...PageQuery,
        }),
      },
    },
    // Channel lists need no function permission: the scope alone says what the caller sees.
    async (req) => deps.store.channels.list(principalOf(req).scope, req.query),
  );

  api.post('/channels', { schema: { tags: ['channels'], summary: 'Add a channel by hand (e.g. an RTSP source)', body: ChannelCreate } }, async (req, reply) => {
    const p = principalOf(req);
    assertPermission(p, 'device.manage');
    const { id, deviceId, ...rest } = req.body;
    await deps.access.visibleDevice(p, deviceId);
    const warning = await deps.archive.createChannel(id, deviceId, rest);
    await audit(deps, req, { action: 'channel.create', targetType: 'channel', targetId: id, detail: `${rest.name ?? ''} device=${deviceId}` });
    const ch = await deps.store.channels.get(id, { all: true });
    // an always-on RTSP source starts pulling now (and with every platform start)
    if (ch && ch.pullMode === 'always' && ch.sourceUrl && deps.live) void deps.live.startAlwaysOn([ch]);
    return reply.status(201).send({ ...ch, ...(ch?.sourceType === 'rtmp' ? { pushUrl: pushUrlOf(req, deps, id) } : {}), ...(warning ? { warning } : {}) });
  });

  api.get('/channels/:id/push-url', { schema: { tags: ['channels'], params: IdParam, summary: 'RTMP push URL (with the channel key) for an encoder' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'device.manage');
    const ch = await deps.access.visibleChannel(p, req.params.id);
    if (ch.sourceType !== 'rtmp') throw new AppError('VALIDATION_FAILED', `Channel ${ch.id} is not an RTMP push channel (sourceType ${ch.sourceType})`);
    return { pushUrl: pushUrlOf(req, deps, ch.id) };
  });

  api.get('/channels/:id', { schema: { tags: ['channels'], params: IdParam } }, async (req) => deps.access.visibleChannel(principalOf(req), req.params.id));

  api.patch('/channels/:id', { schema: { tags: ['channels'], params: IdParam, body: ChannelPatch } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'device.manage');
    const ch = await deps.access.visibleChannel(p, req.params.id);
    await deps.archive.updateChannel(ch.id, req.body, ch.orgId);
    await audit(deps, req, { action: 'channel.update', targetType: 'channel', targetId: ch.id, detail: changedFields(req.body) });
    return deps.store.channels.get(ch.id, { all: true });
  });

  api.delete('/channels/:id', { schema: { tags: ['channels'], params: IdParam } }, async (req, reply) => {
    const p = principalOf(req);
    assertPermission(p, 'device.manage');
    const ch = await deps.access.visibleChannel(p, req.params.id);
    await deps.archive.deleteChannel(ch.id, ch.orgId);
    await audit(deps, req, { action: 'channel.delete', targetType: 'channel', targetId: ch.id, detail: ch.name });
    return reply.status(204).send();
  });
}

/** rtmp://<host the caller used>:<RTMP port>/live/<channel>?key=<derived key> (CONTRACT.md: the answer's pushUrl). */
function pushUrlOf(req: FastifyRequest, deps: ApiDeps, channelId: string): string {
  if (!deps.pushKey) throw new AppError('FEATURE_UNAVAILABLE', 'RTMP input is not running on this node');
  const host = req.hostname.includes(':') ? `[${req.hostname}]` : req.hostname;
  return `rtmp://${host}:${deps.rtmpPort ?? deps.config.rtmpPort}/live/${channelId}?key=${deps.pushKey(channelId)}`;
}

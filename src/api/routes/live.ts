import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { assertPermission } from '../../auth/access.js';
import { AppError } from '../../core/errors.js';
import { audit, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed, IdParam } from '../schemas.js';

const LiveBody = Type.Object(
  { stream: Type.Optional(Type.Union([Type.Literal('main'), Type.Literal('sub')], { description: 'main stream (default) or sub-stream (子码流) for grids' })) },
  Closed,
);

/** Absolute media URLs for the host the caller used (the console's origin), each with the signed token. */
export function mediaUrls(req: FastifyRequest, deps: ApiDeps, path: string, token: string) {
  const host = req.host; // host[:port] as the client addressed us
  const secure = req.protocol === 'https';
  const q = `token=${encodeURIComponent(token)}`;
  const rtspHost = req.hostname.includes(':') ? `[${req.hostname}]` : req.hostname;
  return {
    flv: `${secure ? 'https' : 'http'}://${host}/media/${path}.flv?${q}`,
    wsFlv: `${secure ? 'wss' : 'ws'}://${host}/media/${path}.flv?${q}`,
    hls: `${secure ? 'https' : 'http'}://${host}/media/${path}/index.m3u8?${q}`,
    rtsp: `rtsp://${rtspHost}:${deps.rtspPort ?? deps.config.rtspPort}/${path}?${q}`,
  };
}

/** Live video (R3): start or join a channel's stream, list running streams, stop one. */
export async function liveRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const live = () => {
    if (!deps.live || !deps.media) throw new AppError('FEATURE_UNAVAILABLE', 'live video is not running on this node');
    return { live: deps.live, media: deps.media };
  };

  api.post('/channels/:id/live', { schema: { tags: ['media'], params: IdParam, body: LiveBody, summary: 'Start or join live video; returns signed FLV / WS-FLV / HLS / RTSP URLs' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'live.view');
    const ch = await deps.access.visibleChannel(p, req.params.id);
    const want = req.body?.stream ?? 'main';
    try {
      const g = await live().live.open(p, ch, want);
      await audit(deps, req, { action: 'live.start', targetType: 'channel', targetId: ch.id, detail: `${g.variant}${g.fallback ? ' (no sub-stream: main)' : ''}` });
      return { ...mediaUrls(req, deps, g.path, g.token), stream: g.variant, fallback: g.fallback, expiresIn: deps.config.mediaTokenTtl, info: g.stream };
    } catch (e) {
      await audit(deps, req, { action: 'live.start', targetType: 'channel', targetId: ch.id, detail: `${want}: ${(e as Error).message}`.slice(0, 300), result: 'fail' });
      throw e;
    }
  });

  api.get('/streams', { schema: { tags: ['media'], summary: 'Running streams this user may see, with measured codec, size, fps, bitrate, viewers and packet loss' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'live.view');
    const all = await live().media.streams();
    const visible = [];
    for (const s of all) {
      const ok = await deps.access.visibleChannel(p, s.channelId).then(() => true, () => false);
      if (ok) visible.push(s);
    }
    return { items: visible, total: visible.length };
  });

  api.delete('/channels/:id/live', { schema: { tags: ['media'], params: IdParam, querystring: Type.Object({ stream: Type.Optional(Type.Union([Type.Literal('main'), Type.Literal('sub')])) }, Closed), summary: 'Stop a live stream for every viewer (BYE to the device)' } }, async (req, reply) => {
    const p = principalOf(req);
    assertPermission(p, 'device.manage');
    const ch = await deps.access.visibleChannel(p, req.params.id);
    const key = `live/${ch.id}/${req.query.stream ?? 'main'}`;
    if (!(await live().media.stream(key))) throw new AppError('STREAM_NOT_FOUND', `no running stream ${key}`);
    await live().live.stop(key, `stopped by ${p.username}`);
    await audit(deps, req, { action: 'live.stop', targetType: 'channel', targetId: ch.id, detail: key });
    return reply.code(204).send();
  });
}

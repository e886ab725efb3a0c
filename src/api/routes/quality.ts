import type { AddressInfo } from 'node:net';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { assertPermission } from '../../auth/access.js';
import { AppError } from '../../core/errors.js';
import { STANDARD } from '../../ops/quality/standard.js';
import { audit, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { IdParam, PageQuery } from '../schemas.js';

/**
 * Video quality diagnosis (R12): measured codec / resolution / frame rate / bitrate / GOP per channel with flags
 * against the standard, and picture checks (frozen, black, blur, noise) on a few seconds of live video.
 */
export async function qualityRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const svc = () => {
    if (!deps.quality) throw new AppError('FEATURE_UNAVAILABLE', 'quality diagnosis is not running on this node');
    return deps.quality;
  };

  /** Where the node holding a stream serves HTTP-FLV: this process when it is the media node, else the directory. */
  const mediaBase = async (nodeId: string): Promise<string> => {
    if (deps.mediaHttp) {
      const a = root.server.address() as AddressInfo | string | null;
      if (a && typeof a === 'object') {
        const host = a.address === '0.0.0.0' || a.address === '::' ? '127.0.0.1' : a.address.includes(':') ? `[${a.address}]` : a.address;
        return `http://${host}:${a.port}`;
      }
      return `http://127.0.0.1:${deps.config.httpPort}`;
    }
    const n = await deps.nodes?.get(nodeId);
    if (!n?.addresses.http) throw new AppError('FEATURE_UNAVAILABLE', `media node ${nodeId} has no HTTP address for the picture check`);
    return n.addresses.http;
  };

  api.get(
    '/quality',
    {
      schema: {
        tags: ['ops'],
        summary: 'Per channel: measured codec, resolution, frame rate, bitrate and GOP, flags against 1080P / ≥25 fps / H.264·H.265·SVAC·MPEG-4, last picture check',
        querystring: Type.Object({ flagged: Type.Optional(Type.Boolean({ description: 'only measured channels below the standard' })), q: Type.Optional(Type.String({ maxLength: 100 })), orgId: Type.Optional(Type.String({ maxLength: 64 })), ...PageQuery }),
      },
    },
    async (req) => {
      const p = principalOf(req);
      assertPermission(p, 'device.view');
      const page = await svc().store.list(p.scope, req.query);
      return { ...page, standard: { minWidth: 1920, minHeight: 1080, minFps: STANDARD.minFps, codecs: STANDARD.codecs }, pictureChecks: svc().available };
    },
  );

  api.get('/channels/:id/quality-checks', { schema: { tags: ['ops'], params: IdParam, summary: 'Picture checks of a channel, newest first (at most 50)' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'device.view');
    const ch = await deps.access.visibleChannel(p, req.params.id);
    return { items: await svc().store.checks(ch.id, 50) };
  });

  api.post(
    '/channels/:id/quality-check',
    { schema: { tags: ['ops'], params: IdParam, summary: 'Picture check now: reads ~5 s of live video and runs ffmpeg freezedetect / blackdetect / signalstats / blurdetect; stored with its time' } },
    async (req) => {
      const p = principalOf(req);
      assertPermission(p, 'device.view');
      assertPermission(p, 'live.view'); // the check watches the channel's video
      const ch = await deps.access.visibleChannel(p, req.params.id);
      try {
        const r = await svc().check(p, ch, mediaBase);
        await audit(deps, req, { action: 'quality.check', targetType: 'channel', targetId: ch.id, detail: r.flags.length ? r.flags.join(',') : 'ok' });
        return r;
      } catch (e) {
        await audit(deps, req, { action: 'quality.check', targetType: 'channel', targetId: ch.id, detail: (e as Error).message.slice(0, 300), result: 'fail' });
        throw e;
      }
    },
  );
}

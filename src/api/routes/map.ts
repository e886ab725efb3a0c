import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../core/errors.js';
import { principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed, IsoTime } from '../schemas.js';

/**
 * The map (电子地图): positioned channels and devices you may see, the tile source (a setting: the customer's
 * offline tile server, or none for the plain grid base), and mobile-position tracks.
 */
export async function mapRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const who = (req: FastifyRequest) => {
    const p = principalOf(req);
    if (!p.permissions.has('live.view') && !p.permissions.has('device.view')) throw new AppError('FORBIDDEN', 'Permission "live.view" or "device.view" required (缺少权限)');
    return p;
  };

  api.get('/map/config', { schema: { tags: ['map'], summary: 'Tile URL template ({z}/{x}/{y}); empty = plain grid base' } }, async (req) => {
    who(req);
    const s = await deps.store.settings.get();
    return { tileUrl: s.mapTileUrl || null };
  });

  api.get(
    '/map/points',
    { schema: { tags: ['map'], summary: 'Channels and devices with a longitude/latitude that you may see, and channels with a recent track' } },
    async (req) => {
      const p = who(req);
      const since = new Date(deps.clock.now().getTime() - 86_400_000).toISOString();
      const [channels, devices, tracked] = await Promise.all([deps.store.map.channelPoints(p.scope), p.permissions.has('device.view') ? deps.store.map.devicePoints(p.scope) : [], deps.store.map.trackedChannels(since)]);
      const visible = new Set(channels.map((c) => c.id));
      return { channels, devices, tracked: tracked.filter((id) => visible.has(id)) };
    },
  );

  api.get(
    '/map/tracks/:channelId',
    {
      schema: {
        tags: ['map'],
        summary: 'Mobile-position track of a channel (default: the last 24 h)',
        params: Type.Object({ channelId: Type.String({ minLength: 1, maxLength: 64 }) }, Closed),
        querystring: Type.Object({ from: Type.Optional(IsoTime), to: Type.Optional(IsoTime) }, Closed),
      },
    },
    async (req) => {
      const p = who(req);
      const ch = await deps.access.visibleChannel(p, req.params.channelId);
      const now = deps.clock.now().getTime();
      const to = req.query.to ? new Date(req.query.to).toISOString() : new Date(now + 60_000).toISOString();
      const from = req.query.from ? new Date(req.query.from).toISOString() : new Date(now - 86_400_000).toISOString();
      return { channelId: ch.id, points: await deps.store.map.track(ch.id, from, to) };
    },
  );
}

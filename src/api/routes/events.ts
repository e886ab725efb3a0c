import type { FastifyInstance } from 'fastify';
import { channelVisible } from '../../auth/access.js';
import type { Permission } from '../../auth/permissions.js';
import type { PlatformEvent } from '../../core/events.js';
import { principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';

/**
 * `GET /api/v1/events` WebSocket: pushes the events the user may see. Channel events pass the same scope check as
 * REST; device events need `device.view`. The socket closes (4001) when the session is revoked.
 */
export async function eventRoutes(api: FastifyInstance, deps: ApiDeps): Promise<void> {
  api.get('/events', { websocket: true, schema: { tags: ['events'], summary: 'WebSocket of pushed events (token via ?token=)' } }, (socket, req) => {
    const p = principalOf(req);
    const visible = (e: PlatformEvent) => {
      if (e.permission && !p.permissions.has(e.permission as Permission)) return false;
      if (e.channel) return channelVisible(p, e.channel);
      if (e.deviceId || e.type.startsWith('device.')) return p.permissions.has('device.view') && p.scope.all;
      return true;
    };
    const offEvent = deps.bus.on('event', (e) => {
      if (socket.readyState === socket.OPEN && visible(e)) socket.send(JSON.stringify({ type: e.type, at: e.at, data: e.view ? e.view((ch) => channelVisible(p, ch)) : e.data }));
    });
    const offRevoke = deps.bus.on('sessions.revoked', ({ tokenIds, userId }) => {
      if ((p.tokenId && tokenIds.includes(p.tokenId)) || userId === p.userId) socket.close(4001, 'session revoked');
    });
    socket.send(JSON.stringify({ type: 'hello', at: deps.clock.now().toISOString(), data: { user: p.username } }));
    socket.on('close', () => {
      offEvent();
      offRevoke();
    });
    socket.on('message', () => undefined);
  });
}

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { assertPermission } from '../../auth/access.js';
import { audit, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed } from '../schemas.js';

export async function settingsRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();

  api.get('/settings', { schema: { tags: ['system'] } }, async (req) => {
    assertPermission(principalOf(req), 'system.config');
    return deps.store.settings.get();
  });

  api.patch(
    '/settings',
    {
      schema: {
        tags: ['system'],
        body: Type.Object(
          {
            // R8: logs are kept at least 6 months (Cybersecurity Law art. 21).
            logRetentionDays: Type.Optional(Type.Integer({ minimum: 180, maximum: 3650 })),
            onvifDiscovery: Type.Optional(Type.Boolean({ description: 'allow ONVIF WS-Discovery probes on the LAN' })),
            sessionTtlMinutes: Type.Optional(Type.Integer({ minimum: 5, maximum: 7 * 24 * 60 })),
            mapTileUrl: Type.Optional(Type.String({ maxLength: 500, pattern: '^$|^(?=.*\\{z\\})(?=.*\\{x\\})(?=.*\\{y\\})(https?://|/)', description: 'map tile URL template with {z} {x} {y} (offline tile server); empty: plain grid base' })),
          },
          Closed,
        ),
      },
    },
    async (req) => {
      assertPermission(principalOf(req), 'system.config');
      await deps.store.settings.set(req.body);
      await audit(deps, req, { action: 'settings.update', targetType: 'settings', detail: JSON.stringify(req.body) });
      return deps.store.settings.get();
    },
  );
}

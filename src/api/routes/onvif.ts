import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { assertPermission } from '../../auth/access.js';
import { AppError } from '../../core/errors.js';
import { discover } from '../../onvif/discovery.js';
import { audit, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed } from '../schemas.js';

const AddBody = Type.Object(
  {
    xaddr: Type.String({ maxLength: 500, pattern: '^https?://', description: 'device service address, e.g. http://192.168.1.64/onvif/device_service' }),
    username: Type.Optional(Type.String({ maxLength: 64 })),
    password: Type.Optional(Type.String({ maxLength: 64 })),
    id: Type.Optional(Type.String({ pattern: '^[0-9]{20}$', description: 'GB ID for the device (minted in the platform domain when absent)' })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    orgId: Type.Optional(Type.String({ maxLength: 20 })),
  },
  Closed,
);

/** ONVIF (R9): LAN discovery (opt-in setting) and adding a camera by address and credentials. */
export async function onvifRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const svc = () => {
    if (!deps.onvif) throw new AppError('FEATURE_UNAVAILABLE', 'ONVIF is not available on this node');
    return deps.onvif;
  };

  api.get('/onvif/discover', { schema: { tags: ['onvif'], querystring: Type.Object({ timeoutMs: Type.Optional(Type.Integer({ minimum: 500, maximum: 10_000 })) }, Closed), summary: 'WS-Discovery probe on the LAN (needs the onvifDiscovery setting)' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'device.manage');
    const settings = await deps.store.settings.get();
    if (!settings.onvifDiscovery) throw new AppError('FEATURE_UNAVAILABLE', 'ONVIF discovery is off: an administrator enables it in 系统设置 (onvifDiscovery)');
    const found = await discover({ timeoutMs: req.query.timeoutMs ?? 3000 });
    await audit(deps, req, { action: 'onvif.discover', detail: `${found.length} found` });
    return { items: found, total: found.length };
  });

  api.post('/onvif/devices', { schema: { tags: ['onvif'], body: AddBody, summary: 'Add an ONVIF camera: reads its profiles and creates channels (main + sub RTSP, PTZ)' } }, async (req, reply) => {
    const p = principalOf(req);
    assertPermission(p, 'device.manage');
    const r = await svc().add(req.body);
    await audit(deps, req, { action: 'onvif.add', targetType: 'device', targetId: r.deviceId, detail: `${req.body.xaddr} ${r.channels.length} channels` });
    return reply.status(201).send(r);
  });
}

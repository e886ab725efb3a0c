import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { assertPermission } from '../../auth/access.js';
import type { DeviceInput } from '../../store/repos/devices.js';
import { audit, changedFields, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { DeviceCreate, DevicePatch, IdParam, PageQuery, SiteCategory } from '../schemas.js';

export async function deviceRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();

  /** Body → repository input; the SIP password is sealed before it reaches the store (R11). */
  function toInput(b: Static<typeof DevicePatch>): DeviceInput {
    const { password, ...rest } = b;
    const input: DeviceInput = { ...rest };
    if (password !== undefined) input.passwordSealed = password === null ? null : deps.secrets.seal(password);
    return input;
  }

  api.get(
    '/devices',
    {
      schema: {
        tags: ['devices'],
        summary: 'Devices visible to the caller (paged, filtered)',
        querystring: Type.Object({
          q: Type.Optional(Type.String({ maxLength: 100 })),
          online: Type.Optional(Type.Boolean()),
          orgId: Type.Optional(Type.String({ maxLength: 20 })),
          siteCategory: Type.Optional(SiteCategory),
          ...PageQuery,
        }),
      },
    },
    async (req) => {
      const p = principalOf(req);
      assertPermission(p, 'device.view');
      const page = await deps.store.devices.list(p.scope, req.query);
      return { ...page, items: page.items.map((d) => withLiveKeepalive(deps, d)) };
    },
  );

  api.post('/devices', { schema: { tags: ['devices'], summary: 'Add a device with its archive', body: DeviceCreate } }, async (req, reply) => {
    const p = principalOf(req);
    assertPermission(p, 'device.manage');
    const { id, ...rest } = req.body;
    const warning = await deps.archive.createDevice(id, { ...toInput(rest), source: 'manual' });
    await audit(deps, req, { action: 'device.create', targetType: 'device', targetId: id, detail: rest.name });
    const d = await deps.store.devices.get(id, { all: true });
    return reply.status(201).send({ ...d, ...(warning ? { warning } : {}) });
  });

  api.get('/devices/:id', { schema: { tags: ['devices'], params: IdParam } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'device.view');
    return withLiveKeepalive(deps, await deps.access.visibleDevice(p, req.params.id));
  });

  api.patch('/devices/:id', { schema: { tags: ['devices'], params: IdParam, body: DevicePatch } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'device.manage');
    await deps.access.visibleDevice(p, req.params.id);
    await deps.archive.updateDevice(req.params.id, toInput(req.body));
    await audit(deps, req, { action: 'device.update', targetType: 'device', targetId: req.params.id, detail: changedFields(req.body) });
    return deps.store.devices.get(req.params.id, p.scope);
  });

  api.delete('/devices/:id', { schema: { tags: ['devices'], params: IdParam } }, async (req, reply) => {
    const p = principalOf(req);
    assertPermission(p, 'device.manage');
    const d = await deps.access.visibleDevice(p, req.params.id);
    await deps.archive.deleteDevice(d.id);
    await audit(deps, req, { action: 'device.delete', targetType: 'device', targetId: d.id, detail: `${d.name} (${d.channelCount} channels)` });
    return reply.status(204).send();
  });
}

/** The archive writes keepalive times every few minutes; a registered device's live time is in the signalling layer. */
function withLiveKeepalive<D extends { id: string; lastKeepaliveAt: string | null }>(deps: { gb?: { registry: { lastSeenIso(id: string): string | undefined } } }, d: D): D {
  const live = deps.gb?.registry.lastSeenIso(d.id);
  return live && (!d.lastKeepaliveAt || live > d.lastKeepaliveAt) ? { ...d, lastKeepaliveAt: live } : d;
}

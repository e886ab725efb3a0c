import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { assertPermission } from '../../auth/access.js';
import { AppError } from '../../core/errors.js';
import { audit, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed, GbId } from '../schemas.js';

const Fields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  serverId: GbId,
  domain: Type.String({ pattern: '^[0-9]{10}$', description: "the upper's 10-digit SIP domain" }),
  host: Type.String({ minLength: 1, maxLength: 255 }),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  transport: Type.Union([Type.Literal('udp'), Type.Literal('tcp')]),
  localId: GbId,
  username: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
  password: Type.String({ maxLength: 128 }),
  expires: Type.Integer({ minimum: 60, maximum: 86_400 }),
  keepaliveInterval: Type.Integer({ minimum: 1, maximum: 3600 }),
  keepaliveMisses: Type.Integer({ minimum: 1, maximum: 10 }),
  charset: Type.Union([Type.Literal('GB2312'), Type.Literal('UTF-8')]),
  catalogMode: Type.Union([Type.Literal('org'), Type.Literal('civil'), Type.Literal('flat')], { description: 'org: business groups 215 / virtual orgs 216; civil: by civil code; flat: channels only' }),
  catalogPageSize: Type.Integer({ minimum: 1, maximum: 100 }),
  ptzAllowed: Type.Boolean(),
  recordSource: Type.Union([Type.Literal('platform'), Type.Literal('device'), Type.Literal('both')]),
  timeSync: Type.Boolean(),
  enabled: Type.Boolean(),
};
const CreateBody = Type.Object(
  {
    name: Fields.name,
    serverId: Fields.serverId,
    domain: Fields.domain,
    host: Fields.host,
    port: Fields.port,
    localId: Fields.localId,
    transport: Type.Optional(Fields.transport),
    username: Type.Optional(Fields.username),
    password: Type.Optional(Fields.password),
    expires: Type.Optional(Fields.expires),
    keepaliveInterval: Type.Optional(Fields.keepaliveInterval),
    keepaliveMisses: Type.Optional(Fields.keepaliveMisses),
    charset: Type.Optional(Fields.charset),
    catalogMode: Type.Optional(Fields.catalogMode),
    catalogPageSize: Type.Optional(Fields.catalogPageSize),
    ptzAllowed: Type.Optional(Fields.ptzAllowed),
    recordSource: Type.Optional(Fields.recordSource),
    timeSync: Type.Optional(Fields.timeSync),
    enabled: Type.Optional(Fields.enabled),
  },
  Closed,
);
const PatchBody = Type.Partial(CreateBody, Closed);
const SharesBody = Type.Object(
  {
    channelIds: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 100_000 }),
    orgIds: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 10_000 })),
    customIds: Type.Optional(Type.Record(Type.String(), GbId, { description: 'our channel ID → the GB ID the upper assigned' })),
  },
  Closed,
);
const UpperParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, Closed);

/** Upper platforms (级联): the bureau's platforms we register to, and the channels each may see (CONTRACT.md). */
export async function cascadeRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const cascade = () => {
    if (!deps.cascade) throw new AppError('FEATURE_UNAVAILABLE', 'cascade is not running on this node');
    return deps.cascade;
  };
  const view = async (id: string) => {
    const u = await deps.store.uppers.get(id);
    if (!u) throw new AppError('NOT_FOUND', `no upper platform ${id}`);
    return { ...u, status: cascade().status(id) ?? null };
  };

  api.get('/upper-platforms', { schema: { tags: ['cascade'], summary: 'Upper platforms with their live registration status' } }, async (req) => {
    assertPermission(principalOf(req), 'cascade.manage');
    const items = await deps.store.uppers.list();
    return { items: items.map((u) => ({ ...u, status: cascade().status(u.id) ?? null })), total: items.length };
  });

  api.post('/upper-platforms', { schema: { tags: ['cascade'], body: CreateBody, summary: 'Add an upper platform; we register to it at once when enabled' } }, async (req, reply) => {
    assertPermission(principalOf(req), 'cascade.manage');
    const b = req.body;
    const u = await cascade().create({
      name: b.name,
      serverId: b.serverId,
      domain: b.domain,
      host: b.host,
      port: b.port,
      transport: b.transport ?? 'udp',
      localId: b.localId,
      username: b.username ?? null,
      password: b.password,
      expires: b.expires ?? 3600,
      keepaliveInterval: b.keepaliveInterval ?? 60,
      keepaliveMisses: b.keepaliveMisses ?? 3,
      charset: b.charset ?? 'GB2312',
      catalogMode: b.catalogMode ?? 'org',
      catalogPageSize: b.catalogPageSize ?? 20,
      ptzAllowed: b.ptzAllowed ?? true,
      recordSource: b.recordSource ?? 'platform',
      timeSync: b.timeSync ?? false,
      enabled: b.enabled ?? true,
    });
    await audit(deps, req, { action: 'cascade.create', targetType: 'upper', targetId: u.id, detail: `${u.name} ${u.serverId}@${u.host}:${u.port}/${u.transport}` });
    return reply.code(201).send(await view(u.id));
  });

  api.get('/upper-platforms/:id', { schema: { tags: ['cascade'], params: UpperParam } }, async (req) => {
    assertPermission(principalOf(req), 'cascade.manage');
    return view(req.params.id);
  });

  api.patch('/upper-platforms/:id', { schema: { tags: ['cascade'], params: UpperParam, body: PatchBody, summary: 'Edit (a changed configuration registers again); enabled:false unregisters' } }, async (req) => {
    assertPermission(principalOf(req), 'cascade.manage');
    const u = await cascade().update(req.params.id, req.body);
    await audit(deps, req, { action: 'cascade.update', targetType: 'upper', targetId: u.id, detail: Object.keys(req.body).filter((k) => k !== 'password').join(',') + (req.body.password !== undefined ? ',password' : '') });
    return view(u.id);
  });

  api.delete('/upper-platforms/:id', { schema: { tags: ['cascade'], params: UpperParam } }, async (req, reply) => {
    assertPermission(principalOf(req), 'cascade.manage');
    await cascade().remove(req.params.id);
    await audit(deps, req, { action: 'cascade.delete', targetType: 'upper', targetId: req.params.id });
    return reply.code(204).send();
  });

  api.get('/upper-platforms/:id/channels', { schema: { tags: ['cascade'], params: UpperParam, summary: 'What is shared with the upper: channels (with custom IDs), org nodes, and the resulting channel count' } }, async (req) => {
    assertPermission(principalOf(req), 'cascade.manage');
    await view(req.params.id);
    const s = await deps.store.uppers.shares(req.params.id);
    const all = await cascade().shared(req.params.id);
    return { channels: s.channels, orgIds: s.orgIds, shared: [...all.byChannel.values()].map((c) => ({ id: c.id, upperId: c.upperId, name: c.name, online: c.online })) };
  });

  api.put('/upper-platforms/:id/channels', { schema: { tags: ['cascade'], params: UpperParam, body: SharesBody, summary: 'Choose the shared channels (and org nodes); subscribed uppers get ADD/DEL NOTIFYs' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'cascade.manage');
    const b = req.body;
    const custom = b.customIds ?? {};
    const seen = new Set<string>();
    for (const gb of Object.values(custom)) {
      if (seen.has(gb)) throw new AppError('VALIDATION_FAILED', `custom ID ${gb} is given to two channels`);
      seen.add(gb);
    }
    const r = await cascade().setShares(
      req.params.id,
      b.channelIds.map((channelId) => ({ channelId, customId: custom[channelId] ?? null })),
      b.orgIds ?? [],
    );
    await audit(deps, req, { action: 'cascade.share', targetType: 'upper', targetId: req.params.id, detail: `${b.channelIds.length} channels, ${(b.orgIds ?? []).length} orgs → ${r.shared} shared` });
    return r;
  });

  api.get('/upper-platforms/:id/catalog', { schema: { tags: ['cascade'], params: UpperParam, summary: 'The catalog the upper receives (preview)' } }, async (req) => {
    assertPermission(principalOf(req), 'cascade.manage');
    const items = await cascade().catalog(req.params.id);
    return { items, total: items.length };
  });

  api.get('/upper-platforms/:id/sessions', { schema: { tags: ['cascade'], params: UpperParam, summary: 'Media sessions the upper holds on us (live, playback, download)' } }, async (req) => {
    assertPermission(principalOf(req), 'cascade.manage');
    return { items: (cascade().invites?.list() ?? []).filter((s) => s.upperId === req.params.id) };
  });
}

import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { assertPermission, hasPermission } from '../../auth/access.js';
import { AppError } from '../../core/errors.js';
import { imageMime } from '../../images/image-files.js';
import type { FaceCapture, VehiclePass } from '../../store/repos/image-captures.js';
import type { TargetInput } from '../../store/repos/image-forward.js';
import { audit, changedFields, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed, DateOnly, PageQuery } from '../schemas.js';

const Id = Type.String({ minLength: 1, maxLength: 64 });
const IdParam = Type.Object({ id: Id }, Closed);
const ImageParam = Type.Object({ id: Id, name: Type.String({ pattern: '^(background|face-[0-9]{1,3}|(zpcltp|zpcptp|zpcjt|zpjsytp)-[0-9]{1,3})$' }) }, Closed);
const CaptureQuery = Type.Object(
  {
    ...PageQuery,
    deviceId: Type.Optional(Type.String({ maxLength: 64, description: 'the capture device (imageGateTagCode), its archived device, or its channel' })),
    channelId: Type.Optional(Type.String({ maxLength: 64 })),
    start: Type.Optional(Type.String({ description: 'ISO 8601; capture (pass) time ≥ start' })),
    end: Type.Optional(Type.String({ description: 'ISO 8601; capture (pass) time < end' })),
    source: Type.Optional(Type.String({ maxLength: 32, description: 'seed (the seed interfaces), gb-snapshot (GB/T 28181-2022 snapshot upload), ftp (ingest directory)' })),
  },
  Closed,
);
const PassQuery = Type.Object({ ...CaptureQuery.properties, plate: Type.Optional(Type.String({ maxLength: 32, description: 'part of the plate number (号牌)' })) }, Closed);
const DailyQuery = Type.Object(
  {
    kind: Type.Optional(Type.Union([Type.Literal('face'), Type.Literal('car'), Type.Literal('all')])),
    start: DateOnly,
    end: DateOnly,
    deviceId: Type.Optional(Type.String({ maxLength: 64 })),
  },
  Closed,
);

const TargetFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  kind: Type.Union([Type.Literal('face'), Type.Literal('car')], { description: 'face: 人像云 (appendix 1); car: 车辆 (appendix 2)' }),
  url: Type.String({ maxLength: 500, pattern: '^https?://[^\\s]+$', description: 'base URL of the interface, e.g. http://35.48.98.49/redis/rest/face' }),
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ maxLength: 128, description: 'digest password (stored encrypted)' }),
  authMode: Type.Union([Type.Literal('node'), Type.Literal('device')], { description: 'node: one key for the platform (nodeID / gbid = nodeId); device: a key per capture device' }),
  nodeId: Type.String({ minLength: 1, maxLength: 64 }),
  encoding: Type.Union([Type.Literal('form'), Type.Literal('json')]),
  keepaliveSeconds: Type.Integer({ minimum: 5, maximum: 3600 }),
  timeoutSeconds: Type.Integer({ minimum: 1, maximum: 300 }),
  retryMaxSeconds: Type.Integer({ minimum: 1, maximum: 3600, description: 'back-off ceiling while the bureau is down' }),
  concurrency: Type.Integer({ minimum: 1, maximum: 64 }),
  maxAttempts: Type.Integer({ minimum: 1, maximum: 1000, description: 'refusals (other than EC000–EC003) before a capture is set aside' }),
  enabled: Type.Boolean({ description: 'false pauses forwarding; captures keep queueing' }),
};
const TargetCreate = Type.Object(
  {
    name: TargetFields.name,
    kind: TargetFields.kind,
    url: TargetFields.url,
    username: Type.Optional(TargetFields.username),
    password: Type.Optional(TargetFields.password),
    authMode: Type.Optional(TargetFields.authMode),
    nodeId: Type.Optional(TargetFields.nodeId),
    encoding: Type.Optional(TargetFields.encoding),
    keepaliveSeconds: Type.Optional(TargetFields.keepaliveSeconds),
    timeoutSeconds: Type.Optional(TargetFields.timeoutSeconds),
    retryMaxSeconds: Type.Optional(TargetFields.retryMaxSeconds),
    concurrency: Type.Optional(TargetFields.concurrency),
    maxAttempts: Type.Optional(TargetFields.maxAttempts),
    enabled: Type.Optional(TargetFields.enabled),
  },
  Closed,
);
const TargetPatch = Type.Partial(TargetCreate, Closed);

function isoOf(v: string | undefined, field: string): string | undefined {
  if (v === undefined || v === '') return undefined;
  const t = Date.parse(v);
  if (!Number.isFinite(t)) throw new AppError('RANGE_INVALID', `${field} "${v}" is not an ISO 8601 time`);
  return new Date(t).toISOString();
}

function faceView(c: FaceCapture) {
  const base = `/api/v1/face-captures/${c.id}/images`;
  return {
    id: c.id,
    deviceId: c.gateId,
    archiveDeviceId: c.deviceId,
    channelId: c.channelId,
    nodeId: c.nodeId,
    capturedAt: c.capturedAt,
    receivedAt: c.receivedAt,
    locationName: c.locationName,
    resolution: c.resolution,
    longitude: c.longitude,
    latitude: c.latitude,
    quality: c.quality,
    faceCount: c.faceCount,
    faces: c.faces.map((f, i) => ({ index: i, url: `${base}/face-${i}`, type: f.type, size: f.size, pos: f.pos })),
    background: c.background ? { url: `${base}/background`, type: c.background.type, size: c.background.size, width: c.background.width, height: c.background.height } : null,
    bytes: c.bytes,
    source: c.source,
    meta: c.meta,
  };
}

function passView(v: VehiclePass) {
  const base = `/api/v1/vehicle-passes/${v.id}/images`;
  return {
    id: v.id,
    gcjlid: v.gcjlid,
    deviceId: v.gateId,
    archiveDeviceId: v.deviceId,
    channelId: v.channelId,
    passedAt: v.passedAt,
    receivedAt: v.receivedAt,
    plate: v.plate,
    plateColor: v.plateColor,
    plateType: v.plateType,
    vehicleColor: v.vehicleColor,
    vehicleBrand: v.vehicleBrand,
    vehicleModel: v.vehicleModel,
    vehicleType: v.vehicleType,
    direction: v.direction,
    deviceName: v.deviceName,
    longitude: v.longitude,
    latitude: v.latitude,
    images: v.images.map((im) => ({ name: `${im.role}-${im.index}`, role: im.role, index: im.index, url: `${base}/${im.role}-${im.index}`, type: im.type, size: im.size, pos: im.pos, width: im.width, height: im.height })),
    bytes: v.bytes,
    source: v.source,
    meta: v.meta,
  };
}

/**
 * Stored face captures and vehicle passes (CONTRACT.md `GET /api/v1/face-captures`, `GET /api/v1/vehicle-passes`),
 * their image files, per-device daily counts (R14), and forwarding to the bureau (targets, queue depth and lag).
 */
export async function imageRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const images = () => {
    if (!deps.images) throw new AppError('FEATURE_UNAVAILABLE', 'face/vehicle images are not running on this node');
    return deps.images;
  };

  const sendImage = async (reply: import('fastify').FastifyReply, file: string, type: string) => {
    let buf: Buffer;
    try {
      buf = await images().files.read(file);
    } catch {
      throw new AppError('IMAGE_MISSING', 'The image file is no longer on the storage (图片文件已不存在)');
    }
    return reply.header('content-type', imageMime(buf, type)).header('cache-control', 'private, max-age=86400, immutable').send(buf);
  };

  api.get('/face-captures', { schema: { tags: ['images'], querystring: CaptureQuery, summary: 'Stored face captures (人脸抓拍), newest first, filtered by device and capture time' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'image.view');
    const q = req.query;
    const page = await deps.store.images.faces.list(p.scope, { ...q, start: isoOf(q.start, 'start'), end: isoOf(q.end, 'end') });
    return { ...page, items: page.items.map(faceView) };
  });

  api.get('/face-captures/:id', { schema: { tags: ['images'], params: IdParam } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'image.view');
    const c = await deps.store.images.faces.get(req.params.id, p.scope);
    if (!c) throw new AppError('NOT_FOUND', `face capture ${req.params.id} not found (抓拍不存在或无权限)`);
    return faceView(c);
  });

  api.get('/face-captures/:id/images/:name', { schema: { tags: ['images'], params: ImageParam, summary: 'An image of a capture: background or face-N (use ?token= in <img>)' } }, async (req, reply) => {
    const p = principalOf(req);
    assertPermission(p, 'image.view');
    const c = await deps.store.images.faces.get(req.params.id, p.scope);
    if (!c) throw new AppError('NOT_FOUND', `face capture ${req.params.id} not found (抓拍不存在或无权限)`);
    const n = req.params.name;
    const img = n === 'background' ? c.background : n.startsWith('face-') ? c.faces[Number(n.slice(5))] : undefined;
    if (!img) throw new AppError('NOT_FOUND', `capture ${c.id} has no image ${n}`);
    return sendImage(reply, img.file, img.type);
  });

  api.get('/vehicle-passes', { schema: { tags: ['images'], querystring: PassQuery, summary: 'Stored vehicle passes (过车记录), newest first, filtered by device, pass time and plate' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'image.view');
    const q = req.query;
    const page = await deps.store.images.vehicles.list(p.scope, { ...q, start: isoOf(q.start, 'start'), end: isoOf(q.end, 'end') });
    return { ...page, items: page.items.map(passView) };
  });

  api.get('/vehicle-passes/:id', { schema: { tags: ['images'], params: IdParam } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'image.view');
    const v = await deps.store.images.vehicles.get(req.params.id, p.scope);
    if (!v) throw new AppError('NOT_FOUND', `vehicle pass ${req.params.id} not found (过车记录不存在或无权限)`);
    return passView(v);
  });

  api.get('/vehicle-passes/:id/images/:name', { schema: { tags: ['images'], params: ImageParam, summary: 'An image of a pass: zpcltp-N (vehicle), zpcptp-0 (plate), zpcjt-0 (scene), zpjsytp-0 (driver)' } }, async (req, reply) => {
    const p = principalOf(req);
    assertPermission(p, 'image.view');
    const v = await deps.store.images.vehicles.get(req.params.id, p.scope);
    if (!v) throw new AppError('NOT_FOUND', `vehicle pass ${req.params.id} not found (过车记录不存在或无权限)`);
    const img = v.images.find((im) => `${im.role}-${im.index}` === req.params.name);
    if (!img) throw new AppError('NOT_FOUND', `pass ${v.id} has no image ${req.params.name}`);
    return sendImage(reply, img.file, img.type);
  });

  api.get('/image-stats/daily', { schema: { tags: ['images'], querystring: DailyQuery, summary: 'Captures per device and local day (R14): face captures (and faces in them), vehicle passes' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'image.view');
    const { start, end, deviceId } = req.query;
    const kind = req.query.kind ?? 'all';
    if (end < start) throw new AppError('RANGE_INVALID', 'end must not be before start');
    if (Date.parse(end) - Date.parse(start) > 400 * 86_400_000) throw new AppError('RANGE_INVALID', 'at most 400 days');
    const faces = kind === 'car' ? [] : await deps.store.images.faces.daily(p.scope, start, end, deviceId);
    const cars = kind === 'face' ? [] : await deps.store.images.vehicles.daily(p.scope, start, end, deviceId);
    const items = [...faces.map((r) => ({ kind: 'face' as const, ...r })), ...cars.map((r) => ({ kind: 'car' as const, ...r }))];
    items.sort((a, b) => a.day.localeCompare(b.day) || a.deviceId.localeCompare(b.deviceId) || a.kind.localeCompare(b.kind));
    return { items, total: items.length };
  });

  api.get('/image-ingest/clients', { schema: { tags: ['images'], summary: 'Devices and nodes that authenticated, kept alive or sent captures through the seed interfaces (since start)' } }, async (req) => {
    const p = principalOf(req);
    if (!hasPermission(p, 'system.config')) assertPermission(p, 'image.view');
    const items = images().server.seen();
    return { items, total: items.length, counters: images().ingest.counters };
  });

  // ---- forwarding to the bureau (system.config) ----

  const targetView = async (id: string) => {
    const [s] = await images().forwarding.status(id);
    if (!s) throw new AppError('NOT_FOUND', `no image forwarding target ${id}`);
    return s;
  };

  api.get('/image-forward/targets', { schema: { tags: ['images'], summary: 'Bureau endpoints captures are forwarded to, with state, queue depth and lag' } }, async (req) => {
    const p = principalOf(req);
    if (!hasPermission(p, 'system.config')) assertPermission(p, 'image.view');
    const items = await images().forwarding.status();
    return { items, total: items.length };
  });

  api.post('/image-forward/targets', { schema: { tags: ['images'], body: TargetCreate, summary: 'Add a bureau endpoint (portrait or vehicle cloud); captures stored from now on are forwarded' } }, async (req, reply) => {
    assertPermission(principalOf(req), 'system.config');
    const b = req.body;
    const id = randomUUID();
    const input: TargetInput = {
      name: b.name,
      kind: b.kind,
      url: b.url.replace(/\/+$/, ''),
      username: b.username ?? 'lpt',
      passwordSealed: deps.secrets.seal(b.password ?? 'lpt123'),
      authMode: b.authMode ?? 'node',
      nodeId: b.nodeId ?? deps.config.sipId,
      encoding: b.encoding ?? 'form',
      keepaliveSeconds: b.keepaliveSeconds ?? 60,
      timeoutSeconds: b.timeoutSeconds ?? 30,
      retryMaxSeconds: b.retryMaxSeconds ?? 60,
      concurrency: b.concurrency ?? 4,
      maxAttempts: b.maxAttempts ?? 10,
      enabled: b.enabled ?? true,
    };
    await deps.store.images.targets.create(id, input, deps.clock.now().toISOString());
    await images().forwarding.reload();
    await audit(deps, req, { action: 'image.target.create', targetType: 'image-target', targetId: id, detail: `${input.name} ${input.kind} ${input.url}` });
    return reply.code(201).send(await targetView(id));
  });

  api.get('/image-forward/targets/:id', { schema: { tags: ['images'], params: IdParam } }, async (req) => {
    const p = principalOf(req);
    if (!hasPermission(p, 'system.config')) assertPermission(p, 'image.view');
    return targetView(req.params.id);
  });

  api.patch('/image-forward/targets/:id', { schema: { tags: ['images'], params: IdParam, body: TargetPatch, summary: 'Edit a target (its runner restarts after finishing what it is sending); enabled:false pauses' } }, async (req) => {
    assertPermission(principalOf(req), 'system.config');
    const b = req.body;
    if (!(await deps.store.images.targets.get(req.params.id))) throw new AppError('NOT_FOUND', `no image forwarding target ${req.params.id}`);
    const { password, ...rest } = b;
    const patch: Partial<TargetInput> = { ...rest, ...(rest.url ? { url: rest.url.replace(/\/+$/, '') } : {}), ...(password !== undefined ? { passwordSealed: deps.secrets.seal(password) } : {}) };
    await deps.store.images.targets.update(req.params.id, patch, deps.clock.now().toISOString());
    await images().forwarding.reload();
    await audit(deps, req, { action: 'image.target.update', targetType: 'image-target', targetId: req.params.id, detail: changedFields(b) });
    return targetView(req.params.id);
  });

  api.delete('/image-forward/targets/:id', { schema: { tags: ['images'], params: IdParam, summary: 'Remove a target and its queue' } }, async (req, reply) => {
    assertPermission(principalOf(req), 'system.config');
    if (!(await deps.store.images.targets.delete(req.params.id))) throw new AppError('NOT_FOUND', `no image forwarding target ${req.params.id}`);
    await images().forwarding.reload();
    await audit(deps, req, { action: 'image.target.delete', targetType: 'image-target', targetId: req.params.id });
    return reply.code(204).send();
  });

  api.get('/image-forward/targets/:id/rejected', { schema: { tags: ['images'], params: IdParam, summary: 'Captures the bureau refused repeatedly (kept, not forwarded until retried)' } }, async (req) => {
    assertPermission(principalOf(req), 'system.config');
    const items = await deps.store.images.queue.rejected(req.params.id, 1000);
    return { items, total: items.length };
  });

  api.post('/image-forward/targets/:id/retry', { schema: { tags: ['images'], params: IdParam, summary: 'Put refused captures back into the queue' } }, async (req) => {
    assertPermission(principalOf(req), 'system.config');
    const n = await deps.store.images.queue.retryRejected(req.params.id);
    await images().forwarding.reload();
    await audit(deps, req, { action: 'image.target.retry', targetType: 'image-target', targetId: req.params.id, detail: `${n} captures` });
    return { requeued: n };
  });
}

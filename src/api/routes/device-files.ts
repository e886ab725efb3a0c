import { randomUUID } from 'node:crypto';
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { devicesToTable } from '../../archive/device-table.js';
import { assertPermission } from '../../auth/access.js';
import { AppError } from '../../core/errors.js';
import { readTable, TableReadError, writeTable } from '../../lib/table/spreadsheet.js';
import { audit, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed, DateOnly, IdParam } from '../schemas.js';
import { sendFile, stamp } from './download.js';

const PHOTO_MAX = 10 * 1024 * 1024;

/** Reads the single uploaded file of a multipart request. */
async function uploadedFile(req: FastifyRequest, maxBytes: number): Promise<{ filename: string; buf: Buffer }> {
  if (!req.isMultipart()) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the file as multipart/form-data with field "file"');
  const f = await req.file({ limits: { fileSize: maxBytes } });
  if (!f) throw new AppError('INVALID_FILE', 'No file in the upload (field "file")');
  const buf = await f.toBuffer();
  return { filename: f.filename, buf };
}

function imageMime(buf: Buffer): string | undefined {
  if (buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'image/jpeg';
  if (buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  return undefined;
}

export async function deviceFileRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const photoDir = path.join(deps.config.dataDir, 'photos');

  api.get(
    '/devices/export',
    { schema: { tags: ['devices'], summary: 'Archive export (一机一档) as CSV or Excel', querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('xlsx')])) }) } },
    async (req, reply) => {
      const p = principalOf(req);
      assertPermission(p, 'device.view');
      const format = req.query.format ?? 'xlsx';
      const devices = await deps.store.devices.all(p.scope);
      const body = await writeTable(devicesToTable(devices), format, '设备档案');
      await audit(deps, req, { action: 'device.export', targetType: 'device', detail: `${devices.length} devices as ${format}` });
      return sendFile(reply, body, `设备档案-${stamp(deps.clock.now())}`, format);
    },
  );

  api.post('/devices/import', { schema: { tags: ['devices'], summary: 'Archive import (.xlsx/.csv); all rows or none', consumes: ['multipart/form-data'] } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'device.manage');
    const { filename, buf } = await uploadedFile(req, 20 * 1024 * 1024);
    let table;
    try {
      table = await readTable(buf, filename);
    } catch (e) {
      if (e instanceof TableReadError) throw new AppError('INVALID_FILE', `${filename}: ${e.message} (文件无法读取)`);
      throw e;
    }
    try {
      const r = await deps.archive.importTable(table);
      await audit(deps, req, { action: 'device.import', targetType: 'device', detail: `${filename}: ${r.imported} new, ${r.updated} updated` });
      return r;
    } catch (e) {
      await audit(deps, req, { action: 'device.import', targetType: 'device', detail: `${filename}: rejected`, result: 'fail' });
      throw e;
    }
  });

  api.get('/devices/:id/maintenance', { schema: { tags: ['devices'], params: IdParam } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'device.view');
    await deps.access.visibleDevice(p, req.params.id);
    return deps.store.maintenance.list(req.params.id);
  });

  api.post(
    '/devices/:id/maintenance',
    {
      schema: {
        tags: ['devices'],
        params: IdParam,
        body: Type.Object({ date: DateOnly, person: Type.String({ minLength: 1, maxLength: 50 }), content: Type.String({ minLength: 1, maxLength: 2000 }) }, Closed),
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      assertPermission(p, 'device.manage');
      await deps.access.visibleDevice(p, req.params.id);
      const id = await deps.store.maintenance.add({ deviceId: req.params.id, ...req.body, createdBy: p.username, createdAt: deps.clock.now().toISOString() });
      await audit(deps, req, { action: 'device.maintenance.add', targetType: 'device', targetId: req.params.id, detail: `${req.body.date} ${req.body.person}` });
      return reply.status(201).send({ id, deviceId: req.params.id, ...req.body, createdBy: p.username });
    },
  );

  api.delete(
    '/devices/:id/maintenance/:recordId',
    { schema: { tags: ['devices'], params: Type.Object({ id: Type.String({ maxLength: 20 }), recordId: Type.Integer({ minimum: 1 }) }) } },
    async (req, reply) => {
      const p = principalOf(req);
      assertPermission(p, 'device.manage');
      await deps.access.visibleDevice(p, req.params.id);
      if (!(await deps.store.maintenance.delete(req.params.id, req.params.recordId))) throw new AppError('NOT_FOUND', 'Maintenance record not found');
      await audit(deps, req, { action: 'device.maintenance.delete', targetType: 'device', targetId: req.params.id, detail: String(req.params.recordId) });
      return reply.status(204).send();
    },
  );

  api.get('/devices/:id/photos', { schema: { tags: ['devices'], params: IdParam } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'device.view');
    await deps.access.visibleDevice(p, req.params.id);
    return deps.store.photos.list(req.params.id);
  });

  api.post('/devices/:id/photos', { schema: { tags: ['devices'], params: IdParam, consumes: ['multipart/form-data'], summary: 'Upload a JPEG/PNG photo (≤10 MB)' } }, async (req, reply) => {
    const p = principalOf(req);
    assertPermission(p, 'device.manage');
    await deps.access.visibleDevice(p, req.params.id);
    const { filename, buf } = await uploadedFile(req, PHOTO_MAX);
    const mime = imageMime(buf);
    if (!mime) throw new AppError('INVALID_FILE', `${filename} is not a JPEG or PNG image (仅支持 JPEG/PNG)`);
    const id = randomUUID();
    const dir = path.join(photoDir, req.params.id);
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `${id}.${mime === 'image/png' ? 'png' : 'jpg'}`);
    await writeFile(file, buf);
    const createdAt = deps.clock.now().toISOString();
    await deps.store.photos.insert({ id, device_id: req.params.id, filename: filename.slice(0, 200), mime, size: buf.length, path: path.relative(deps.config.dataDir, file), created_at: createdAt });
    await audit(deps, req, { action: 'device.photo.add', targetType: 'device', targetId: req.params.id, detail: filename });
    return reply.status(201).send({ id, deviceId: req.params.id, filename, mime, size: buf.length, createdAt });
  });

  api.get('/devices/:id/photos/:photoId', { schema: { tags: ['devices'], params: Type.Object({ id: Type.String({ maxLength: 20 }), photoId: Type.String({ maxLength: 64 }) }) } }, async (req, reply) => {
    const p = principalOf(req);
    assertPermission(p, 'device.view');
    await deps.access.visibleDevice(p, req.params.id);
    const row = await deps.store.photos.row(req.params.id, req.params.photoId);
    if (!row) throw new AppError('NOT_FOUND', 'Photo not found');
    return reply.header('content-type', row.mime).header('cache-control', 'private, max-age=3600').send(await readFile(path.join(deps.config.dataDir, row.path)));
  });

  api.delete('/devices/:id/photos/:photoId', { schema: { tags: ['devices'], params: Type.Object({ id: Type.String({ maxLength: 20 }), photoId: Type.String({ maxLength: 64 }) }) } }, async (req, reply) => {
    const p = principalOf(req);
    assertPermission(p, 'device.manage');
    await deps.access.visibleDevice(p, req.params.id);
    const row = await deps.store.photos.row(req.params.id, req.params.photoId);
    if (!row) throw new AppError('NOT_FOUND', 'Photo not found');
    await deps.store.photos.delete(row.id);
    await unlink(path.join(deps.config.dataDir, row.path)).catch(() => undefined);
    await audit(deps, req, { action: 'device.photo.delete', targetType: 'device', targetId: req.params.id, detail: row.filename });
    return reply.status(204).send();
  });
}

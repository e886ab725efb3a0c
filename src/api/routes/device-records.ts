import { createReadStream } from 'node:fs';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { assertPermission } from '../../auth/access.js';
import { AppError, isAppError } from '../../core/errors.js';
import { deviceOf } from '../../record/device-records.js';
import { gapsBetween, mergeSpans, type RecordSpan } from '../../record/spans.js';
import type { Channel } from '../../store/repos/channels.js';
import { audit, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed, IdParam } from '../schemas.js';

/** a=downloadspeed values offered (GB/T 28181-2016 附录F; devices commonly take 1, 2, 4, 8) */
export const DOWNLOAD_SPEEDS = [1, 2, 4, 8, 16] as const;

const JobParam = Type.Object({ job: Type.String({ pattern: '^[0-9a-f]{16}$' }) }, Closed);
const DownloadBody = Type.Object(
  {
    start: Type.String({ description: 'ISO 8601 time' }),
    end: Type.String({ description: 'ISO 8601 time' }),
    speed: Type.Optional(Type.Integer({ description: `a=downloadspeed, one of ${DOWNLOAD_SPEEDS.join(', ')} (default 4)` })),
  },
  Closed,
);

function ms(iso: string, field: string): number {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) throw new AppError('RANGE_INVALID', `${field} "${iso}" is not an ISO 8601 time`);
  return t;
}

function recording(deps: ApiDeps) {
  if (!deps.recording) throw new AppError('FEATURE_UNAVAILABLE', 'recording is not running on this node');
  return deps.recording;
}

/**
 * `GET /channels/{id}/records?source=device|all`: the device's recordings via RecordInfo, alone or merged with the
 * platform's (each span carries `source`). With `all`, a device that cannot answer leaves the platform spans and a
 * `device.error`; with `device` its error is the answer (DEVICE_OFFLINE 409, DEVICE_TIMEOUT 504 …).
 */
export async function deviceRecordsAnswer(deps: ApiDeps, ch: Channel, source: 'device' | 'all', startMs: number, endMs: number) {
  const rec = recording(deps);
  if (!rec.devices) throw new AppError('FEATURE_UNAVAILABLE', 'GB/T 28181 signalling is not running on this node: device recordings cannot be searched');
  const t0 = performance.now();
  let platform: RecordSpan[] = [];
  let segments = 0;
  let damaged: Array<{ start: string; end: string; state: string; error: string | null }> = [];
  if (source === 'all') {
    const rows = await deps.store.segments.spans(ch.id, startMs, endMs);
    segments = rows.length;
    platform = mergeSpans(rows, startMs, endMs);
    damaged = (await deps.store.segments.damaged(ch.id, 200))
      .filter((s) => s.startMs < endMs && s.endMs > startMs)
      .map((s) => ({ start: new Date(s.startMs).toISOString(), end: new Date(s.endMs).toISOString(), state: s.state, error: s.error }));
  }
  let device;
  let deviceError: { code: string; message: string } | undefined;
  try {
    device = await rec.devices.search(deviceOf(ch), ch.id, startMs, endMs);
  } catch (e) {
    if (source === 'device' || !isAppError(e)) throw e;
    deviceError = { code: e.code, message: e.message };
  }
  const items: RecordSpan[] = [...platform, ...(device?.items ?? [])].sort((a, b) => a.startMs - b.startMs || (a.source === 'platform' ? -1 : 1));
  // gaps: time covered by neither source
  const union: RecordSpan[] = [];
  for (const it of items) {
    const last = union[union.length - 1];
    if (last && it.startMs <= last.endMs) last.endMs = Math.max(last.endMs, it.endMs);
    else union.push({ ...it });
  }
  return {
    channelId: ch.id,
    source,
    items,
    complete: device ? device.complete : false,
    segments,
    gaps: gapsBetween(union, startMs, Math.min(endMs, Date.now())).map((g) => ({ start: new Date(g.startMs).toISOString(), end: new Date(g.endMs).toISOString() })),
    damaged,
    device: device ? { complete: device.complete, sumNum: device.sumNum, received: device.received, dropped: device.dropped, messages: device.messages, queryMs: device.queryMs, cached: device.cached, at: device.at } : { error: deviceError },
    searchMs: Math.round((performance.now() - t0) * 10) / 10,
  };
}

async function startDownload(deps: ApiDeps, req: FastifyRequest, ch: Channel, startIso: string, endIso: string, speed = 4) {
  const p = principalOf(req);
  const rec = recording(deps);
  if (!(DOWNLOAD_SPEEDS as readonly number[]).includes(speed)) throw new AppError('VALIDATION_FAILED', `speed must be one of ${DOWNLOAD_SPEEDS.join(', ')}`);
  const { startMs, endMs } = rec.playback.checkRange(ms(startIso, 'start'), ms(endIso, 'end'));
  const deviceId = deviceOf(ch);
  try {
    const job = rec.deviceDownloads.start({ userId: p.userId, channelId: ch.id, deviceId, startMs, endMs, speed });
    await audit(deps, req, { action: 'record.download', targetType: 'channel', targetId: ch.id, detail: `${job.start} – ${job.end} (device, ×${speed}, job ${job.id})` });
    return job;
  } catch (e) {
    await audit(deps, req, { action: 'record.download', targetType: 'channel', targetId: ch.id, detail: `${startIso} – ${endIso} (device): ${(e as Error).message}`.slice(0, 300), result: 'fail' });
    throw e;
  }
}

/** `GET /channels/{id}/download?source=device`: starts a device download job and answers 202 with it (Location: the job). */
export async function deviceDownloadRedirect(deps: ApiDeps, req: FastifyRequest<{ Querystring: { start: string; end: string } }>, reply: FastifyReply, ch: Channel) {
  const job = await startDownload(deps, req, ch, req.query.start, req.query.end);
  return reply.code(202).header('Location', `/api/v1/device-downloads/${job.id}`).send(job);
}

/** Device recordings over GB/T 28181 (issue 8): download jobs and the 30-day check. Search and playback are in records.ts. */
export async function deviceRecordRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const owned = (req: FastifyRequest, id: string) => {
    const p = principalOf(req);
    assertPermission(p, 'record.download');
    const j = recording(deps).deviceDownloads.get(id);
    // another user's job is reported as absent
    if (!j || (j.userId !== p.userId && !p.permissions.has('system.config'))) throw new AppError('NOT_FOUND', `no device download ${id}`);
    return j;
  };

  api.post('/channels/:id/device-downloads', { schema: { tags: ['records'], params: IdParam, body: DownloadBody, summary: 'Download the device\'s own recording of a range (GB/T 28181 Download INVITE); answers 202 with the job' } }, async (req, reply) => {
    const p = principalOf(req);
    assertPermission(p, 'record.download');
    const ch = await deps.access.visibleChannel(p, req.params.id);
    const job = await startDownload(deps, req, ch, req.body.start, req.body.end, req.body.speed);
    return reply.code(202).header('Location', `/api/v1/device-downloads/${job.id}`).send(job);
  });

  api.get('/device-downloads', { schema: { tags: ['records'], summary: 'Device downloads with progress (own; all with system.config)' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'record.download');
    return { items: recording(deps).deviceDownloads.list(p.permissions.has('system.config') ? undefined : p.userId) };
  });

  api.get('/device-downloads/:job', { schema: { tags: ['records'], params: JobParam, summary: 'One device download: state, progress %, received time, the file when done' } }, async (req) => owned(req, req.params.job));

  api.get('/device-downloads/:job/file', { schema: { tags: ['records'], params: JobParam, summary: 'The finished MP4 (409 DOWNLOAD_NOT_READY while running, 502 DOWNLOAD_FAILED)' } }, async (req, reply) => {
    owned(req, req.params.job);
    if (!deps.mediaFiles) throw new AppError('FEATURE_UNAVAILABLE', 'the download is held by another media node');
    const f = recording(deps).deviceDownloads.file(req.params.job);
    return reply
      .header('Content-Type', 'video/mp4')
      .header('Content-Length', String(f.size))
      .header('Content-Disposition', `attachment; filename="${f.name}"`)
      .header('Cache-Control', 'no-store')
      .send(createReadStream(f.path));
  });

  api.delete('/device-downloads/:job', { schema: { tags: ['records'], params: JobParam, summary: 'Cancel a running device download (BYE) or delete a finished one' } }, async (req, reply) => {
    const j = owned(req, req.params.job);
    await recording(deps).deviceDownloads.cancel(j.id);
    await audit(deps, req, { action: 'record.download.cancel', targetType: 'channel', targetId: j.channelId, detail: `job ${j.id} (${j.state})` });
    return reply.code(204).send();
  });

  api.get('/records/device-check', { schema: { tags: ['records'], summary: '30-day check of device recordings: per channel the oldest recording, days held, ok (visible channels)' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'device.view');
    const check = recording(deps).deviceCheck;
    if (!check) throw new AppError('FEATURE_UNAVAILABLE', 'GB/T 28181 signalling is not running on this node');
    const r = check.report();
    if (p.scope.all) return r;
    const channels = [];
    for (const c of r.channels) if (await deps.store.channels.get(c.channelId, p.scope)) channels.push(c);
    return { ...r, channels };
  });

  api.post('/records/device-check', { schema: { tags: ['records'], querystring: Type.Object({ wait: Type.Optional(Type.Boolean({ description: 'answer with the finished report (else 202 at once)' })) }, Closed), summary: 'Run the 30-day device recording check now' } }, async (req, reply) => {
    const p = principalOf(req);
    assertPermission(p, 'system.config');
    const check = recording(deps).deviceCheck;
    if (!check) throw new AppError('FEATURE_UNAVAILABLE', 'GB/T 28181 signalling is not running on this node');
    const run = check.run();
    await audit(deps, req, { action: 'record.device-check', detail: req.query.wait ? 'run (waited)' : 'run' });
    if (req.query.wait) return run;
    run.catch(() => undefined);
    return reply.code(202).send(check.report());
  });
}

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { assertPermission } from '../../auth/access.js';
import { AppError } from '../../core/errors.js';
import { mergeSpans, gapsBetween } from '../../record/spans.js';
import { SPEEDS } from '../../record/playback-service.js';
import { audit, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed, IdParam } from '../schemas.js';
import { mediaUrls, servingNode } from './live.js';
import { deviceDownloadRedirect, deviceRecordsAnswer } from './device-records.js';

const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$' });
const PlanBody = Type.Object(
  {
    mode: Type.Union([Type.Literal('always'), Type.Literal('schedule'), Type.Literal('alarm'), Type.Literal('off')], { description: 'always 全天录像, schedule 计划录像, alarm 报警录像, off' }),
    schedule: Type.Optional(Type.Array(Type.Object({ days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1, maxItems: 7 }), from: HHMM, to: HHMM }, Closed), { maxItems: 50, description: 'weekly windows in SHARPEYE_TZ; days 1 = Monday' })),
    preSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 120, description: 'alarm plans: seconds recorded before the alarm (预录)' })),
    postSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600, description: 'alarm plans: seconds recorded after the alarm (延录)' })),
    stream: Type.Optional(Type.Union([Type.Literal('main'), Type.Literal('sub')])),
    retentionDays: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 3650 }), Type.Null()])),
    quotaMb: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  },
  Closed,
);
const RangeQuery = Type.Object(
  {
    start: Type.String({ description: 'ISO 8601 time' }),
    end: Type.String({ description: 'ISO 8601 time' }),
    source: Type.Optional(Type.Union([Type.Literal('platform'), Type.Literal('device'), Type.Literal('all')])),
  },
  Closed,
);
const PlaybackBody = Type.Object(
  {
    start: Type.String(),
    end: Type.String(),
    source: Type.Optional(Type.Union([Type.Literal('platform'), Type.Literal('device')], { description: 'platform recordings (default) or the device\'s own (GB/T 28181 Playback)' })),
    speed: Type.Optional(Type.Number({ description: `one of ${SPEEDS.join(', ')}` })),
  },
  Closed,
);
const ControlBody = Type.Object(
  {
    action: Type.Union([Type.Literal('pause'), Type.Literal('resume'), Type.Literal('seek'), Type.Literal('speed'), Type.Literal('step')]),
    time: Type.Optional(Type.String({ description: 'seek: ISO 8601 time' })),
    speed: Type.Optional(Type.Number()),
    direction: Type.Optional(Type.Union([Type.Literal('forward'), Type.Literal('backward')])),
  },
  Closed,
);
const SessionParam = Type.Object({ session: Type.String({ pattern: '^[A-Za-z0-9_-]{6,40}$' }) }, Closed);

function ms(iso: string, field: string): number {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) throw new AppError('RANGE_INVALID', `${field} "${iso}" is not an ISO 8601 time`);
  return t;
}

/** Platform recording (issue 7): plans, search, playback with controls, MP4 download, storage and integrity. */
export async function recordRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const rec = () => {
    if (!deps.recording) throw new AppError('FEATURE_UNAVAILABLE', 'recording is not running on this node');
    return deps.recording;
  };

  api.get('/channels/:id/record-plan', { schema: { tags: ['records'], params: IdParam, summary: 'The channel recording plan and what the recorder is doing now' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'device.view');
    const ch = await deps.access.visibleChannel(p, req.params.id);
    return { ...(await rec().service.getPlan(ch.id)), status: rec().service.statusOf(ch.id) ?? null, retentionDaysEffective: await rec().space.retentionDays(ch.id) };
  });

  api.put('/channels/:id/record-plan', { schema: { tags: ['records'], params: IdParam, body: PlanBody, summary: 'Set the recording plan: always, weekly schedule, on alarm (pre/post seconds) or off' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'device.manage');
    const ch = await deps.access.visibleChannel(p, req.params.id);
    const b = req.body;
    const cur = await rec().service.getPlan(ch.id);
    const plan = await rec().service.putPlan({
      channelId: ch.id,
      mode: b.mode,
      schedule: b.schedule ?? (b.mode === 'schedule' ? cur.schedule : []),
      preSeconds: b.preSeconds ?? cur.preSeconds ?? 0,
      postSeconds: b.postSeconds ?? (b.mode === 'alarm' ? Math.max(cur.postSeconds, 30) : cur.postSeconds),
      stream: b.stream ?? cur.stream,
      retentionDays: b.retentionDays === undefined ? cur.retentionDays : b.retentionDays,
      quotaMb: b.quotaMb === undefined ? cur.quotaMb : b.quotaMb,
      updatedBy: p.username,
    });
    await audit(deps, req, { action: 'record.plan', targetType: 'channel', targetId: ch.id, detail: `${plan.mode}${plan.mode === 'schedule' ? ` ${JSON.stringify(plan.schedule)}` : ''}${plan.mode === 'alarm' ? ` pre ${plan.preSeconds}s post ${plan.postSeconds}s` : ''}` });
    return { ...plan, status: rec().service.statusOf(ch.id) ?? null };
  });

  api.get('/channels/:id/records', { schema: { tags: ['records'], params: IdParam, querystring: RangeQuery, summary: 'Recording spans in a time range (the segment being written counts)' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'playback.view');
    const ch = await deps.access.visibleChannel(p, req.params.id);
    const startMs = ms(req.query.start, 'start');
    const endMs = ms(req.query.end, 'end');
    if (endMs <= startMs) throw new AppError('RANGE_INVALID', 'end must be after start (结束时间早于开始时间)');
    if (endMs - startMs > 400 * 86_400_000) throw new AppError('RANGE_INVALID', 'search ranges are limited to 400 days');
    const source = req.query.source ?? 'platform';
    // device recordings (RecordInfo), alone or merged with the platform's: device-records.ts (issue 8)
    if (source !== 'platform') return deviceRecordsAnswer(deps, ch, source, startMs, endMs);
    const t0 = performance.now();
    const rows = await deps.store.segments.spans(ch.id, startMs, endMs);
    const items = mergeSpans(rows, startMs, endMs);
    const damaged = (await deps.store.segments.damaged(ch.id, 200)).filter((s) => s.startMs < endMs && s.endMs > startMs);
    return {
      channelId: ch.id,
      source,
      items,
      segments: rows.length,
      gaps: gapsBetween(items, startMs, Math.min(endMs, deps.clock.now().getTime())).map((g) => ({ start: new Date(g.startMs).toISOString(), end: new Date(g.endMs).toISOString() })),
      damaged: damaged.map((s) => ({ start: new Date(s.startMs).toISOString(), end: new Date(s.endMs).toISOString(), state: s.state, error: s.error })),
      searchMs: Math.round((performance.now() - t0) * 10) / 10,
    };
  });

  api.post('/channels/:id/playback', { schema: { tags: ['records'], params: IdParam, body: PlaybackBody, summary: 'Start playback of platform recordings; returns the session and signed FLV / WS-FLV / HLS URLs' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'playback.view');
    const ch = await deps.access.visibleChannel(p, req.params.id);
    const startMs = ms(req.body.start, 'start');
    const endMs = ms(req.body.end, 'end');
    try {
      const g = await rec().playback.open(p, ch.id, { startMs, endMs, speed: req.body.speed, source: req.body.source });
      await audit(deps, req, { action: 'playback.start', targetType: 'channel', targetId: ch.id, detail: `${req.body.start} – ${req.body.end} ×${req.body.speed ?? 1}${g.source === 'device' ? ' (device)' : ''}` });
      const urls = mediaUrls(req, deps, g.path, g.token, await servingNode(deps, g.path, false));
      return { session: g.session, flv: urls.flv, wsFlv: urls.wsFlv, hls: urls.hls, state: g.state, damagedSegments: g.damaged, expiresIn: deps.config.mediaTokenTtl, source: g.source, ...(g.firstFrameMs !== undefined ? { firstFrameMs: g.firstFrameMs } : {}) };
    } catch (e) {
      await audit(deps, req, { action: 'playback.start', targetType: 'channel', targetId: ch.id, detail: `${req.body.start} – ${req.body.end}: ${(e as Error).message}`.slice(0, 300), result: 'fail' });
      throw e;
    }
  });

  api.post('/playback/:session/control', { schema: { tags: ['records'], params: SessionParam, body: ControlBody, summary: 'Pause, resume, seek (drag), speed 1/8×–16×, single-frame step forward/back' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'playback.view');
    const b = req.body;
    const id = req.params.session;
    let state;
    if (b.action === 'seek') {
      if (!b.time) throw new AppError('VALIDATION_FAILED', 'seek needs time (ISO 8601)');
      state = await rec().playback.control(p, id, { action: 'seek', time: ms(b.time, 'time') });
    } else if (b.action === 'speed') {
      if (b.speed === undefined) throw new AppError('VALIDATION_FAILED', 'speed needs speed');
      state = await rec().playback.control(p, id, { action: 'speed', speed: b.speed });
    } else if (b.action === 'step') state = await rec().playback.control(p, id, { action: 'step', direction: b.direction ?? 'forward' });
    else state = await rec().playback.control(p, id, { action: b.action });
    await audit(deps, req, { action: 'playback.control', targetType: 'channel', targetId: rec().playback.channelOf(p, id), detail: `${b.action}${b.time ? ` ${b.time}` : ''}${b.speed ? ` ×${b.speed}` : ''}${b.direction ? ` ${b.direction}` : ''}` });
    return { ...state, position: new Date(state.positionMs).toISOString() };
  });

  api.get('/playback/:session', { schema: { tags: ['records'], params: SessionParam, summary: 'Playback state: position, speed, paused, ended' } }, async (req) => {
    const p = principalOf(req);
    const st = await rec().playback.state(p, req.params.session);
    return { ...st, position: new Date(st.positionMs).toISOString() };
  });

  api.delete('/playback/:session', { schema: { tags: ['records'], params: SessionParam, summary: 'Stop a playback' } }, async (req, reply) => {
    const p = principalOf(req);
    const channelId = rec().playback.channelOf(p, req.params.session);
    await rec().playback.stop(p, req.params.session);
    await audit(deps, req, { action: 'playback.stop', targetType: 'channel', targetId: channelId });
    return reply.code(204).send();
  });

  api.get('/channels/:id/download', { schema: { tags: ['records'], params: IdParam, querystring: RangeQuery, summary: 'One MP4 of the range, streamed from the segments (Content-Length known; progress at /downloads). Under a watermark policy the file is transcoded by ffmpeg with the user and time burnt in: much slower, no Content-Length (X-Watermark: applied), FEATURE_UNAVAILABLE without ffmpeg' } }, async (req, reply) => {
    const p = principalOf(req);
    assertPermission(p, 'record.download');
    const ch = await deps.access.visibleChannel(p, req.params.id);
    // the device's own recording: a download job (202 + job; the MP4 at /device-downloads/{job}/file when done)
    if (req.query.source === 'device') return deviceDownloadRedirect(deps, req, reply, ch);
    const files = deps.mediaFiles;
    if (!files) throw new AppError('FEATURE_UNAVAILABLE', 'recordings are not on this node');
    const r = rec();
    const { startMs, endMs } = r.playback.checkRange(ms(req.query.start, 'start'), ms(req.query.end, 'end'));
    const { segments, damaged } = await r.playback.segments(ch.id, startMs, endMs);
    if (!segments.length) throw new AppError('NO_RECORDINGS', `channel ${ch.id} has no platform recordings between ${req.query.start} and ${req.query.end} (该时间段无录像)`);
    // watermark policy of the channel or of the user's roles (issue 8): burnt in by ffmpeg, a transcode (slower)
    const wm = await r.watermarks.forUser(p, ch.id);
    const dl = await files.download(segments, startMs, endMs, { watermark: wm?.spec });
    if (!dl.size) throw new AppError('NO_RECORDINGS', `the recordings in range could not be read (${dl.skipped.map((s) => s.reason).join('; ')})`);
    const job = r.downloads.begin({ channelId: ch.id, userId: p.userId, start: new Date(startMs).toISOString(), end: new Date(endMs).toISOString(), totalBytes: dl.size, skipped: dl.skipped });
    await audit(deps, req, { action: 'record.download', targetType: 'channel', targetId: ch.id, detail: `${job.start} – ${job.end} ${Math.round(dl.size / 2 ** 20)} MiB${dl.skipped.length || damaged ? ` (${dl.skipped.length + damaged} damaged segments skipped)` : ''}${dl.watermarked ? ` watermarked (${wm!.by.join(', ')})` : ''}` });
    const name = `${ch.id}_${job.start.replace(/[-:]/g, '').slice(0, 15)}_${job.end.replace(/[-:]/g, '').slice(0, 15)}.mp4`;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': 'video/mp4',
      // a watermarked file is transcoded while it is sent: its size is known only at the end (chunked)
      ...(dl.watermarked ? { 'X-Watermark': 'applied' } : { 'Content-Length': String(dl.size) }),
      'Content-Disposition': `attachment; filename="${name}"`,
      'X-Download-Id': job.id,
      'X-Skipped-Segments': String(dl.skipped.length + damaged),
      'Cache-Control': 'no-store',
    });
    let done = 0;
    try {
      await dl.write(res, (n) => {
        done = n;
        r.downloads.progress(job.id, n);
      });
      res.end();
      r.downloads.finish(job.id, 'done');
    } catch (e) {
      r.downloads.finish(job.id, res.destroyed ? 'aborted' : 'failed');
      deps.log.warn({ channel: ch.id, done, total: dl.size, err: (e as Error).message }, 'download ended early');
      res.destroy();
    }
  });

  api.get('/downloads', { schema: { tags: ['records'], summary: 'Running and recent recording downloads with progress (own; all with system.config)' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'record.download');
    return { items: rec().downloads.list(p.permissions.has('system.config') ? undefined : p.userId) };
  });

  api.get('/downloads/:id', { schema: { tags: ['records'], params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{16}$' }) }, Closed), summary: 'One download and its progress' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'record.download');
    const j = rec().downloads.get(req.params.id);
    if (!j || (j.userId !== p.userId && !p.permissions.has('system.config'))) throw new AppError('NOT_FOUND', 'no such download');
    return j;
  });

  api.get('/records/storage', { schema: { tags: ['records'], summary: 'Recording directories (free/total) and per-channel used space and days held' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'device.view');
    const now = deps.clock.now().getTime();
    const roots = deps.media ? await deps.media.storage() : [];
    const usage = await deps.store.segments.usage();
    const channels = [];
    for (const u of usage) {
      if (!(await deps.store.channels.get(u.channelId, p.scope))) continue;
      channels.push({
        channelId: u.channelId,
        bytes: u.bytes,
        segments: u.segments,
        oldest: u.oldestMs ? new Date(u.oldestMs).toISOString() : null,
        newest: u.newestMs ? new Date(u.newestMs).toISOString() : null,
        daysHeld: u.oldestMs ? Math.round(((Math.min(now, u.newestMs ?? now) - u.oldestMs) / 86_400_000) * 10) / 10 : 0,
        retentionDays: await rec().space.retentionDays(u.channelId),
        status: rec().service.statusOf(u.channelId) ?? null,
      });
    }
    // S3 storage (issue 8): where uploads go and the upload queue
    const objects = deps.media ? await deps.media.objectStorage() : undefined;
    const s3 = objects
      ? { ...objects, keepLocalHours: deps.config.s3?.keepLocalHours ?? null, queue: await deps.store.segments.storageSummary(), uploader: rec().uploader?.status() ?? null }
      : null;
    return { roots, channels, recorders: rec().service.statuses().length, s3 };
  });

  api.post('/records/cleanup', { schema: { tags: ['records'], summary: 'Run retention, quotas and low-space cleanup now' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'system.config');
    const r = await rec().space.run();
    await audit(deps, req, { action: 'record.cleanup', detail: JSON.stringify({ expired: r.expired, overQuota: r.overQuota, overwritten: r.overwritten, freedBytes: r.freedBytes }) });
    return r;
  });

  api.post('/records/upload', { schema: { tags: ['records'], summary: 'Run the S3 upload queue now (ignoring its back-off); answers what it uploaded' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'system.config');
    const up = rec().uploader;
    if (!up) throw new AppError('FEATURE_UNAVAILABLE', 'S3 storage is not configured (SHARPEYE_S3_BUCKET)');
    const r = await up.run(true);
    await audit(deps, req, { action: 'record.upload', detail: `uploaded ${r.uploaded}, failed ${r.failed}, local copies removed ${r.localRemoved}` });
    return r;
  });

  api.post('/records/verify', { schema: { tags: ['records'], querystring: Type.Object({ channelId: Type.Optional(Type.String({ pattern: '^[0-9]{20}$' })) }, Closed), summary: 'Check every closed segment (presence, size, SHA-256); damaged ones are marked and reported' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'system.config');
    const r = await rec().verifier.run(req.query.channelId);
    await audit(deps, req, { action: 'record.verify', detail: `checked ${r.checked}, missing ${r.missing}, corrupt ${r.corrupt}` });
    return r;
  });

  api.put('/orgs/:id/record-retention', { schema: { tags: ['records'], params: IdParam, body: Type.Object({ days: Type.Union([Type.Integer({ minimum: 1, maximum: 3650 }), Type.Null()]) }, Closed), summary: 'Retention (days) for channels under an org; null inherits' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'system.config');
    if (!(await deps.store.recordPlans.setOrgRetention(req.params.id, req.body.days))) throw new AppError('NOT_FOUND', `no org ${req.params.id}`);
    await audit(deps, req, { action: 'record.retention', targetType: 'org', targetId: req.params.id, detail: String(req.body.days) });
    return { orgId: req.params.id, days: req.body.days };
  });
}

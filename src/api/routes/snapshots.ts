import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { assertPermission, hasPermission } from '../../auth/access.js';
import { AppError } from '../../core/errors.js';
import { SnapshotError } from '../../images/ingest.js';
import type { SnapshotSession } from '../../images/snapshot-sessions.js';
import { audit, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed, IdParam } from '../schemas.js';

const UPLOAD_PREFIX = '/snapshots/upload';

const SessionCreate = Type.Object(
  {
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, description: 'pictures to take (SnapNum, 1–10); default 1' })),
    intervalMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 600_000, description: 'between pictures; sent as whole seconds (Interval); default 1000' })),
    send: Type.Optional(Type.Boolean({ description: 'send SnapShotConfig to the device over SIP (GB channels; default true). false: only create the session and URL' })),
    baseUrl: Type.Optional(Type.String({ maxLength: 200, pattern: '^https?://[^\\s/]+$', description: 'how the device reaches this HTTP port, e.g. http://10.1.2.3:8080; default: our SIP address as the device sees it, else the Host of this request' })),
  },
  Closed,
);
const UploadParam = Type.Object({ sessionId: Type.String({ minLength: 1, maxLength: 128 }) });

function sessionView(s: SnapshotSession, uploadUrl: string) {
  return { sessionId: s.id, uploadUrl, channelId: s.gateId, deviceId: s.deviceId, count: s.count, intervalMs: s.intervalMs, createdAt: s.createdAt, expiresAt: s.expiresAt, received: s.received, captures: s.captures };
}

/**
 * GB/T 28181-2022 snapshot upload (图像抓拍, issue 12 §4). `POST /channels/{id}/snapshot-upload` opens a session
 * (random SessionID, also the secret in the upload URL) and sends the device DeviceConfig/SnapShotConfig with
 * UploadURL and SessionID; the device POSTs each JPEG to `/snapshots/upload/{SessionID}` (public: the SessionID is the
 * authorisation), stored as a snapshot capture in the face-capture store. Registered in its own scope: the upload
 * takes raw bodies (image/jpeg, application/octet-stream, none) and multipart.
 */
export async function snapshotRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const images = () => {
    if (!deps.images) throw new AppError('FEATURE_UNAVAILABLE', 'face/vehicle images are not running on this node');
    return deps.images;
  };
  const maxBytes = deps.images?.maxBytes ?? deps.config.imageMaxBytes;
  // the picture plus multipart headers
  const bodyLimit = maxBytes + 64 * 1024;
  root.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

  const urlFor = (req: FastifyRequest, deviceId: string, id: string, baseUrl?: string): string => {
    let base = baseUrl;
    if (!base && deps.gb) {
      try {
        base = `http://${deps.gb.localAddressFor(deviceId)}:${deps.config.httpPort}`;
      } catch {
        /* not registered: fall back to the address this request came to */
      }
    }
    base ??= `${req.protocol}://${req.host}`;
    return `${base}/api/v1${UPLOAD_PREFIX}/${id}`;
  };

  api.post(
    '/channels/:id/snapshot-upload',
    { schema: { tags: ['images'], params: IdParam, body: SessionCreate, summary: 'GB/T 28181-2022 图像抓拍: open an upload session and send SnapShotConfig (UploadURL, SessionID) to the device' } },
    async (req, reply) => {
      const p = principalOf(req);
      if (!hasPermission(p, 'ptz.control')) assertPermission(p, 'device.manage');
      const ch = await deps.access.visibleChannel(p, req.params.id);
      const count = req.body.count ?? 1;
      const intervalMs = req.body.intervalMs ?? 1000;
      const s = images().snapshots.create(ch.id, ch.deviceId, count, intervalMs);
      const uploadUrl = urlFor(req, ch.deviceId, s.id, req.body.baseUrl);
      let configSent = false;
      let configError: string | null = null;
      if (req.body.send === false) configError = 'not sent (send: false)';
      else if (ch.sourceType !== 'gb' || !deps.gb) configError = `not a GB/T 28181 channel (${ch.sourceType}): configure the upload URL on the camera`;
      else {
        try {
          await deps.gb.configure(ch.deviceId, ch.id, { SnapShotConfig: { SnapNum: count, Interval: Math.max(1, Math.round(intervalMs / 1000)), UploadURL: uploadUrl, SessionID: s.id } });
          configSent = true;
        } catch (e) {
          configError = (e as Error).message;
        }
      }
      await audit(deps, req, { action: 'snapshot.session', targetType: 'channel', targetId: ch.id, detail: `${count} × ${intervalMs} ms, ${configSent ? 'sent' : `not sent: ${configError}`}` });
      return reply.code(201).send({ ...sessionView(s, uploadUrl), configSent, configError });
    },
  );

  const upload = async (req: FastifyRequest<{ Params: { sessionId: string } }>) => {
    const svc = images();
    const c = svc.snapshots.check(req.params.sessionId);
    if (!c.ok) {
      if (c.reason === 'expired') throw new AppError('SNAPSHOT_SESSION_EXPIRED', 'snapshot upload session expired (抓拍会话已过期)');
      if (c.reason === 'used-up') throw new AppError('SNAPSHOT_SESSION_USED', 'snapshot upload session has all its pictures (抓拍会话已收满)');
      throw new AppError('SNAPSHOT_SESSION_UNKNOWN', 'unknown snapshot upload session (抓拍会话不存在)');
    }
    let buf: Buffer | null = null;
    if (req.isMultipart()) {
      for await (const part of req.parts({ limits: { fileSize: maxBytes, files: 1, fields: 20 } })) {
        if (part.type === 'file' && !buf) buf = await part.toBuffer();
      }
    } else if (Buffer.isBuffer(req.body)) buf = req.body;
    if (!buf?.length) throw new AppError('INVALID_FILE', 'no picture in the request (body or multipart file)');
    try {
      const r = await svc.ingest.saveSnapshot(c.session.gateId, buf, { source: 'gb-snapshot', meta: { sessionId: c.session.id } });
      if (!r.duplicate) svc.snapshots.stored(c.session, r.id);
      return { id: r.id, duplicate: r.duplicate, sessionId: c.session.id, received: c.session.received, count: c.session.count };
    } catch (e) {
      if (!(e instanceof SnapshotError)) throw e;
      if (e.reason === 'not-jpeg') throw new AppError('INVALID_FILE', e.message);
      if (e.reason === 'too-large') throw new AppError('PAYLOAD_TOO_LARGE', e.message);
      if (e.reason === 'unknown-device') throw new AppError('NOT_FOUND', e.message);
      req.log.error({ err: e }, 'snapshot could not be stored');
      throw new AppError('INTERNAL', `storage failure: ${e.message}`);
    }
  };
  const uploadSchema = { tags: ['images'], params: UploadParam, summary: 'Device side of GB/T 28181-2022 图像抓拍: one JPEG per request (raw body or multipart file); the SessionID is the authorisation', security: [] };
  for (const url of [`${UPLOAD_PREFIX}/:sessionId`, `${UPLOAD_PREFIX}/:sessionId/*`]) {
    api.route({ method: ['POST', 'PUT'], url, bodyLimit, config: { public: true }, schema: url.endsWith('*') ? { ...uploadSchema, params: Type.Object({ sessionId: Type.String({ minLength: 1, maxLength: 128 }), '*': Type.String() }), hide: true } : uploadSchema, handler: upload });
  }
}

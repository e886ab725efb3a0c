import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { assertPermission } from '../../auth/access.js';
import { AppError } from '../../core/errors.js';
import { audit, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { zipJpegs } from '../../media/ffmpeg/snapshot.js';
import { Watermarks } from '../../record/watermark.js';
import { Closed, IdParam } from '../schemas.js';
import type { NodeAddresses } from '../../cluster/node-status.js';

const LiveBody = Type.Object(
  {
    stream: Type.Optional(Type.Union([Type.Literal('main'), Type.Literal('sub')], { description: 'main stream (default) or sub-stream (子码流) for grids' })),
    codec: Type.Optional(Type.Literal('h264', { description: 'h264: a browser without H.265 decoding gets an H.264 rendition of an H.265 channel (transcoded, shared)' })),
  },
  Closed,
);
const SnapshotsBody = Type.Object(
  {
    count: Type.Integer({ minimum: 1, maximum: 100, description: 'pictures to take' }),
    intervalMs: Type.Integer({ minimum: 200, maximum: 60_000, description: 'time between pictures' }),
    stream: Type.Optional(Type.Union([Type.Literal('main'), Type.Literal('sub')])),
  },
  Closed,
);

/**
 * Absolute media URLs, each with the signed token: on the host the caller used (the console's origin) in single-process
 * mode, on the media node that serves the viewer in a cluster (issue 13).
 */
export function mediaUrls(req: FastifyRequest, deps: ApiDeps, path: string, token: string, node?: NodeAddresses) {
  const q = `token=${encodeURIComponent(token)}`;
  if (node?.http) {
    const http = node.http.replace(/\/$/, '');
    const ws = http.replace(/^http/, 'ws');
    return { flv: `${http}/media/${path}.flv?${q}`, wsFlv: `${ws}/media/${path}.flv?${q}`, hls: `${http}/media/${path}/index.m3u8?${q}`, rtsp: node.rtsp ? `rtsp://${node.rtsp}/${path}?${q}` : undefined };
  }
  const host = req.host; // host[:port] as the client addressed us
  const secure = req.protocol === 'https';
  const rtspHost = req.hostname.includes(':') ? `[${req.hostname}]` : req.hostname;
  return {
    flv: `${secure ? 'https' : 'http'}://${host}/media/${path}.flv?${q}`,
    wsFlv: `${secure ? 'wss' : 'ws'}://${host}/media/${path}.flv?${q}`,
    hls: `${secure ? 'https' : 'http'}://${host}/media/${path}/index.m3u8?${q}`,
    rtsp: `rtsp://${rtspHost}:${deps.rtspPort ?? deps.config.rtspPort}/${path}?${q}`,
  };
}

/** Cluster: the addresses of the node a new viewer of `path` connects to (origin, or a relay when it is full). */
export async function servingNode(deps: ApiDeps, path: string, viewer: boolean): Promise<NodeAddresses | undefined> {
  if (!deps.routed || !deps.nodes) return undefined;
  const id = viewer ? await deps.routed.viewerNode(path) : await deps.routed.nodeOf(path);
  return id ? (await deps.nodes.get(id))?.addresses : undefined;
}

/** Live video (R3): start or join a channel's stream, list running streams, stop one. */
export async function liveRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const live = () => {
    if (!deps.live || !deps.media) throw new AppError('FEATURE_UNAVAILABLE', 'live video is not running on this node');
    return { live: deps.live, media: deps.media };
  };
  // watermark policies (issue 8): server snapshots carry the user and time when the channel or a role asks for it
  const watermarks = deps.recording?.watermarks ?? new Watermarks({ store: deps.store, clock: deps.clock, tz: deps.config.tz });

  api.post('/channels/:id/live', { schema: { tags: ['media'], params: IdParam, body: LiveBody, summary: 'Start or join live video; returns signed FLV / WS-FLV / HLS / RTSP URLs' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'live.view');
    const ch = await deps.access.visibleChannel(p, req.params.id);
    const want = req.body?.stream ?? 'main';
    try {
      const g = await live().live.open(p, ch, want, { codec: req.body?.codec });
      await audit(deps, req, { action: 'live.start', targetType: 'channel', targetId: ch.id, detail: `${g.variant}${g.fallback ? ' (no sub-stream: main)' : ''}${g.transcoded ? ' (H.264 rendition)' : ''}` });
      return { ...mediaUrls(req, deps, g.path, g.token, await servingNode(deps, g.path, true)), stream: g.variant, fallback: g.fallback, transcoded: g.transcoded, expiresIn: deps.config.mediaTokenTtl, info: g.stream };
    } catch (e) {
      await audit(deps, req, { action: 'live.start', targetType: 'channel', targetId: ch.id, detail: `${want}: ${(e as Error).message}`.slice(0, 300), result: 'fail' });
      throw e;
    }
  });

  // Snapshots (R3): the current picture as JPEG; several at an interval as a zip. Same permission as live video.
  api.post('/channels/:id/snapshot', { schema: { tags: ['media'], params: IdParam, summary: 'JPEG of the current picture (server side, ffmpeg); user and time burnt in under a watermark policy (X-Watermark: applied)' } }, async (req, reply) => {
    const p = principalOf(req);
    assertPermission(p, 'live.view');
    const ch = await deps.access.visibleChannel(p, req.params.id);
    const { info } = await live().live.openStream(ch, 'main');
    const wm = await watermarks.forUser(p, ch.id);
    const jpeg = await live().media.snapshot(info.key, { watermark: wm?.spec });
    await audit(deps, req, { action: 'snapshot', targetType: 'channel', targetId: ch.id, detail: `${jpeg.length} bytes${wm ? ` watermarked (${wm.by.join(', ')})` : ''}` });
    if (wm) reply.header('X-Watermark', 'applied');
    return reply.type('image/jpeg').header('Content-Disposition', `inline; filename="${ch.id}-${Date.now()}.jpg"`).send(jpeg);
  });

  api.post('/channels/:id/snapshots', { schema: { tags: ['media'], params: IdParam, body: SnapshotsBody, summary: 'Continuous snapshot: N pictures at an interval, as a zip of JPEGs' } }, async (req, reply) => {
    const p = principalOf(req);
    assertPermission(p, 'live.view');
    const ch = await deps.access.visibleChannel(p, req.params.id);
    const { info } = await live().live.openStream(ch, req.body.stream ?? 'main');
    const wm = await watermarks.forUser(p, ch.id);
    const shots = await live().media.snapshots(info.key, { count: req.body.count, intervalMs: req.body.intervalMs, watermark: wm?.spec });
    if (wm) reply.header('X-Watermark', 'applied');
    const zip = zipJpegs(shots.map((s, i) => ({ name: `${ch.id}-${String(i + 1).padStart(3, '0')}-${s.at.replace(/[:.]/g, '')}.jpg`, data: s.jpeg, at: new Date(s.at) })));
    await audit(deps, req, { action: 'snapshot.continuous', targetType: 'channel', targetId: ch.id, detail: `${shots.length} x ${req.body.intervalMs} ms` });
    return reply.type('application/zip').header('Content-Disposition', `attachment; filename="${ch.id}-snapshots.zip"`).send(zip);
  });

  api.get('/streams', { schema: { tags: ['media'], summary: 'Running streams this user may see, with measured codec, size, fps, bitrate, viewers and packet loss' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'live.view');
    const all = await live().media.streams();
    const visible = [];
    for (const s of all) {
      const ok = await deps.access.visibleChannel(p, s.channelId).then(() => true, () => false);
      if (ok) visible.push(s);
    }
    return { items: visible, total: visible.length };
  });

  api.delete('/channels/:id/live', { schema: { tags: ['media'], params: IdParam, querystring: Type.Object({ stream: Type.Optional(Type.Union([Type.Literal('main'), Type.Literal('sub')])) }, Closed), summary: 'Stop a live stream for every viewer (BYE to the device)' } }, async (req, reply) => {
    const p = principalOf(req);
    assertPermission(p, 'device.manage');
    const ch = await deps.access.visibleChannel(p, req.params.id);
    const key = `live/${ch.id}/${req.query.stream ?? 'main'}`;
    if (!(await live().media.stream(key))) throw new AppError('STREAM_NOT_FOUND', `no running stream ${key}`);
    await live().live.stop(key, `stopped by ${p.username}`);
    await audit(deps, req, { action: 'live.stop', targetType: 'channel', targetId: ch.id, detail: key });
    return reply.code(204).send();
  });
}

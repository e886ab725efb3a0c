import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/index.js';
import type { Clock } from './core/clock.js';
import type { EventBus } from './core/events.js';
import type { Logger } from './core/logger.js';
import { MediaTokens } from './core/media-token.js';
import type { GbService } from './gb28181/service.js';
import { DEFAULT_LIVE_SETTINGS, LiveService } from './live/live-service.js';
import { LocalMediaNode } from './media/local-node.js';
import { mediaHttpRoutes } from './media/out/http-routes.js';
import { MediaAuth } from './media/out/media-auth.js';
import { RtspServer } from './media/out/rtsp-server.js';
import { FfmpegRunner } from './media/ffmpeg/ffmpeg-runner.js';
import { RtmpServer } from './media/ingest/rtmp-server.js';
import { liveKey, type MediaNode, type ReaderEvent } from './media/node.js';
import { ALL_CHANNELS } from './store/scope.js';
import { Revocations } from './media/out/revocations.js';
import type { Store } from './store/index.js';

/**
 * The media side of a process (SHARPEYE_ROLE=all or media): the local media node with its outputs (HTTP-FLV/WS-FLV/HLS
 * routes, RTSP server) and the media-token check. No database and no signalling: a media node needs neither.
 */
export async function createMediaNode(o: { config: Readonly<Config>; log: Logger; secret: Buffer; now: () => number }) {
  const { config, log } = o;
  const ffmpeg = new FfmpegRunner({ maxConcurrent: 2, log: log.child({ component: 'ffmpeg' }) });
  const node = new LocalMediaNode({
    ffmpeg,
    maxTranscodes: config.maxTranscodes,
    id: config.nodeId,
    bindHost: config.host,
    publicHost: config.mediaIp,
    portRange: config.rtpPortRange,
    lingerMs: config.streamLinger * 1000,
    stallMs: config.streamTimeout * 1000,
    log: log.child({ component: 'media' }),
    recordDirs: config.recordDirs,
    recordMinFreeBytes: config.recordMinFreeMb * 2 ** 20,
    downloadDir: path.join(config.dataDir, 'downloads'),
    s3: config.s3 ? { endpoint: config.s3.endpoint, bucket: config.s3.bucket, region: config.s3.region, accessKeyId: config.s3.accessKeyId, secretAccessKey: config.s3.secretAccessKey, forcePathStyle: config.s3.forcePathStyle } : undefined,
  });
  const tokens = new MediaTokens(o.secret);
  const revocations = new Revocations(config.mediaTokenTtl * 1000);
  const auth = new MediaAuth(tokens, revocations, config.mediaTokenTtl, o.now);
  const rtsp = await RtspServer.listen({ host: config.host, port: config.rtspPort, hub: node.hub, auth, log: log.child({ component: 'rtsp' }) });
  return {
    node,
    tokens,
    revocations,
    rtsp,
    ffmpeg,
    /** sessions cut (R11): refused at connect from now on, and running readers closed */
    revoke(m: { sessionIds?: string[]; userId?: string }) {
      revocations.add(m, o.now());
      void node.revoke(m).then((n) => n && log.info({ component: 'media', cut: n, userId: m.userId }, 'media readers of revoked sessions closed'));
    },
    http: (app: FastifyInstance) => mediaHttpRoutes(app, node, auth, log.child({ component: 'media-http' })),
    async close() {
      await rtsp.close();
      await ffmpeg.close();
      await node.close();
    },
  };
}

/**
 * The control side of media, over any MediaNode (the local one, or the cluster's routed one): the live service, and
 * what connects media events to the rest — every view start/stop to the user log (R11), measured quality onto the
 * channel (R12), pulled sources' state onto the channel (R9).
 */
export function wireMediaControl(o: { config: Readonly<Config>; store: Store; gb: GbService; bus: EventBus; clock: Clock; log: Logger; node: MediaNode; tokens: MediaTokens; revoke: (m: { sessionIds?: string[]; userId?: string }) => void }) {
  const { config, store, log, node } = o;
  const live = new LiveService({
    store,
    gb: o.gb,
    media: node,
    tokens: o.tokens,
    clock: o.clock,
    log: log.child({ component: 'live' }),
    settings: { ...DEFAULT_LIVE_SETTINGS, tokenTtlSec: config.mediaTokenTtl },
  });

  const offRevoke = o.bus.on('sessions.revoked', ({ tokenIds, userId }) => o.revoke({ sessionIds: tokenIds, userId }));

  // View audit (R11): one user-log row when a viewer connects and one when it leaves, with bytes and duration.
  const names = new Map<string, string>();
  const username = async (id: string | undefined) => {
    if (!id) return null;
    if (!names.has(id)) names.set(id, (await store.users.get(id, o.clock.now().toISOString()).catch(() => undefined))?.username ?? id);
    return names.get(id)!;
  };
  const auditView = async (action: string, e: ReaderEvent) => {
    if (!e.userId || e.userId.startsWith('system:')) return;
    await store.logs.appendUser({
      at: o.clock.now().toISOString(),
      userId: e.userId,
      username: await username(e.userId),
      action,
      targetType: 'channel',
      targetId: e.stream.channelId,
      detail: `${e.protocol} ${e.stream.variant}${e.durationMs !== undefined ? ` ${Math.round(e.durationMs / 1000)} s ${Math.round((e.bytes ?? 0) / 1024)} KiB (${e.reason})` : ''}`,
      ip: e.remote ?? null,
      result: 'ok',
    });
  };
  const offs = [
    node.on('reader.open', (e) => void auditView('media.view.start', e).catch((err) => log.warn({ err }, 'view audit failed'))),
    node.on('reader.close', (e) => void auditView('media.view.stop', e).catch((err) => log.warn({ err }, 'view audit failed'))),
  ];

  // Quality onto the channel (R12): when parameters become known and every minute while running.
  const saveQuality = async (key: string) => {
    const s = await node.stream(key);
    if (!s?.codec || s.kind !== 'live' || s.variant !== 'main') return;
    await store.channels.setMediaQuality(s.channelId, { codec: s.codec, width: s.width || null, height: s.height || null, fps: s.fps || null, bitrateKbps: s.bitrateKbps || null, gop: s.gop || null }, o.clock.now().toISOString());
  };
  offs.push(node.on('params', (s) => setTimeout(() => void saveQuality(s.key).catch(() => undefined), 3000).unref()));
  const qualityTimer = setInterval(() => {
    void node.streams().then((all) => Promise.all(all.map((s) => saveQuality(s.key)))).catch(() => undefined);
  }, 60_000);
  qualityTimer.unref();

  // Pulled sources' state onto the channel (R9: auth failed, unreachable, unsupported codec visible per channel).
  offs.push(
    node.on('source.state', (s, st) => {
      if (s.variant !== 'main') return;
      void store.channels
        .setSourceState(s.channelId, { status: st.status, ...(st.error ? { error: st.error } : {}), at: new Date(st.since).toISOString() })
        .catch((err) => log.warn({ err }, 'source state not saved'));
    }),
  );

  return {
    live,
    /** pulls marked always-on start with the platform */
    async startAlwaysOn() {
      const ids = await store.channels.alwaysPulled();
      const chans = (await Promise.all(ids.map((id) => store.channels.get(id, ALL_CHANNELS)))).filter((c) => c !== undefined);
      void live.startAlwaysOn(chans);
    },
    async close() {
      clearInterval(qualityTimer);
      offRevoke();
      for (const off of offs) off();
      await live.stopAll();
    },
  };
}

/** RTMP push in (R9): rtmp://host/live/<channel>?key=<key>; the key is derived from the secret (tokens.pushKey). */
export async function createRtmpIngest(o: { config: Readonly<Config>; store: Store; clock: Clock; log: Logger; node: LocalMediaNode; tokens: MediaTokens }) {
  const { config, store, node, tokens } = o;
  const rtmpLog = o.log.child({ component: 'rtmp' });
  return RtmpServer.listen({
    host: config.host,
    port: config.rtmpPort,
    log: rtmpLog,
    authorize: async (req) => {
      const channelId = req.name;
      if (req.app !== 'live') return { error: `unknown application "${req.app}" (use rtmp://host/live/<channel>?key=...)` };
      const ch = await store.channels.get(channelId, ALL_CHANNELS).catch(() => undefined);
      if (!ch || ch.sourceType !== 'rtmp') return { error: `channel ${channelId} is not an RTMP push channel` };
      if (req.query.get('key') !== tokens.pushKey(channelId)) return { error: 'wrong push key' };
      return { stream: node.openPublished({ key: liveKey(channelId, 'main'), channelId, kind: 'live', variant: 'main' }) };
    },
    onPublishStart: (req) => {
      rtmpLog.info({ channel: req.name, remote: req.remote }, 'RTMP publish started');
      void store.channels.setSourceState(req.name, { status: 'playing', at: o.clock.now().toISOString() }).catch(() => undefined);
    },
    onPublishEnd: (req, reason) => {
      rtmpLog.info({ channel: req.name, reason }, 'RTMP publish ended');
      void node.closeStream(liveKey(req.name, 'main'), `publisher left: ${reason}`);
      void store.channels.setSourceState(req.name, { status: 'stopped', at: o.clock.now().toISOString() }, false).catch(() => undefined);
    },
  });
}

/** `SHARPEYE_ROLE=all`: the media node in this process, the control side over it, RTMP push in. */
export async function createMedia(o: { config: Readonly<Config>; store: Store; gb: GbService; bus: EventBus; clock: Clock; log: Logger; secret: Buffer }) {
  const m = await createMediaNode({ config: o.config, log: o.log, secret: o.secret, now: () => o.clock.now().getTime() });
  const control = wireMediaControl({ ...o, node: m.node, tokens: m.tokens, revoke: (r) => m.revoke(r) });
  const rtmp = await createRtmpIngest({ config: o.config, store: o.store, clock: o.clock, log: o.log, node: m.node, tokens: m.tokens });
  return {
    node: m.node,
    live: control.live,
    tokens: m.tokens,
    rtsp: m.rtsp,
    rtmp,
    ffmpeg: m.ffmpeg,
    startAlwaysOn: control.startAlwaysOn,
    http: m.http,
    async close() {
      await control.close();
      await rtmp.close();
      await m.close();
    },
  };
}

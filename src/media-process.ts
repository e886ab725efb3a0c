import Fastify from 'fastify';
import fastifyWebsocket from '@fastify/websocket';
import type { Config } from './config/index.js';
import type { Logger } from './core/logger.js';
import { loadSecretKey } from './core/secret-key.js';
import { createMediaNode } from './media-wiring.js';
import { LoadSampler } from './cluster/load-sampler.js';
import { serveMediaNode } from './cluster/media-rpc-server.js';
import { fromBytes, openNats } from './cluster/nats-link.js';
import { NodeReporter } from './cluster/node-reporter.js';
import { advertisedHost } from './cluster/node-status.js';
import { openRedis } from './cluster/redis-link.js';
import { clusterNames } from './cluster/subjects.js';
import { openDatabase } from './store/db.js';
import { ClusterNodeRepo } from './store/repos/cluster-nodes.js';

type Revocation = { sessionIds?: string[]; userId?: string; at?: number };

/**
 * `SHARPEYE_ROLE=media` (issue 13): RTP ingest, the hub, outputs and recording, driven by control nodes over NATS.
 * Its HTTP port serves only the media outputs (FLV, WS-FLV, HLS) and a health check; tokens are checked with the
 * cluster's common secret, revocations arrive over NATS (and from Redis for those issued before this node started).
 */
export async function runMediaNode(config: Readonly<Config>, log: Logger) {
  const clog = log.child({ component: 'cluster' });
  const names = clusterNames(config.clusterName);
  const secret = loadSecretKey(config.secretKey, config.dataDir);
  const m = await createMediaNode({ config, log, secret, now: Date.now });
  const nc = await openNats(config.natsUrl!, config.nodeId, clog);
  const redis = openRedis(config.redisUrl!, clog);
  const stopServing = serveMediaNode({ nc, names, node: m.node, log: clog });
  const revocations = nc.subscribe(names.revocations, {
    callback: (err, msg) => {
      if (err) return;
      try {
        const r = fromBytes(msg.data) as Revocation;
        m.revoke({ sessionIds: r.sessionIds, userId: r.userId });
      } catch {
        // malformed: ignored
      }
    },
  });
  const earlier = await redis.zrangebyscore(names.revokedKey, Date.now(), '+inf').catch(() => [] as string[]);
  for (const s of earlier) {
    try {
      const r = JSON.parse(s) as Revocation;
      m.revocations.add({ sessionIds: r.sessionIds, userId: r.userId }, r.at ?? Date.now());
    } catch {
      // malformed: ignored
    }
  }

  // viewers' HTTP-FLV/WS responses never end by themselves: close() must cut them, not wait (SIGTERM took > 8 s)
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024, forceCloseConnections: true });
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });
  app.get('/api/v1/health', async () => ({ status: 'ok', role: 'media', nodeId: config.nodeId, streams: m.node.loadFigures().streams }));
  await app.register(async (s) => m.http(s));
  await app.listen({ host: config.host, port: config.httpPort });
  const port = (app.server.address() as { port: number }).port;
  const host = advertisedHost(config);

  const database = openDatabase(config.databaseUrl);
  const reporter = new NodeReporter({
    nc,
    names,
    id: config.nodeId,
    role: 'media',
    addresses: { http: config.mediaHttpUrl ?? `http://${host}:${port}`, rtsp: `${host}:${m.rtsp.port}`, rtpHost: config.mediaIp },
    limits: { maxEgressKbps: config.mediaMaxEgressKbps, maxStreams: config.mediaMaxStreams },
    sampler: new LoadSampler(m.node),
    nodes: new ClusterNodeRepo(database.db),
    log: clog,
  });
  reporter.start();
  log.info({ component: 'main', node: config.nodeId, http: `http://${host}:${port}`, rtsp: m.rtsp.port, nats: config.natsUrl }, 'sharpeye media node is running');

  return {
    port,
    async close() {
      await reporter.stop();
      stopServing();
      revocations.unsubscribe();
      await app.close().catch(() => undefined);
      await m.close();
      redis.disconnect();
      await nc.close().catch(() => undefined);
      await database.close().catch(() => undefined);
    },
  };
}

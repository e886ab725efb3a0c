import type { Config } from './config/index.js';
import type { Clock } from './core/clock.js';
import type { EventBus } from './core/events.js';
import type { Logger } from './core/logger.js';
import { MediaTokens } from './core/media-token.js';
import type { GbService } from './gb28181/service.js';
import { wireMediaControl } from './media-wiring.js';
import { ClusterDirectory } from './cluster/cluster-directory.js';
import { openNats, toBytes } from './cluster/nats-link.js';
import { NodeReporter } from './cluster/node-reporter.js';
import { openRedis } from './cluster/redis-link.js';
import { RoutedMediaNode } from './cluster/routed-media-node.js';
import { advertisedHost } from './cluster/node-status.js';
import { StreamRegistry } from './cluster/stream-registry.js';
import { clusterNames } from './cluster/subjects.js';
import type { Store } from './store/index.js';
import { ClusterNodeRepo } from './store/repos/cluster-nodes.js';

/** Relay pulls between media nodes carry a day-long token (a relay reconnects with the same URL). */
const RELAY_TOKEN_SEC = 86_400;

/**
 * `SHARPEYE_ROLE=control` (issue 13): no media in this process; streams live on media nodes found through the NATS
 * directory and the Redis stream registry, and every media call goes over NATS. Same services on top as `all`.
 */
export async function createClusterControl(o: { config: Readonly<Config>; store: Store; gb: GbService; bus: EventBus; clock: Clock; log: Logger; secret: Buffer }) {
  const { config, log } = o;
  const clog = log.child({ component: 'cluster' });
  const names = clusterNames(config.clusterName);
  const nc = await openNats(config.natsUrl!, config.nodeId, clog);
  const redis = openRedis(config.redisUrl!, clog);
  const repo = new ClusterNodeRepo(o.store.database.db);
  const directory = new ClusterDirectory({ nc, names, repo, log: clog });
  directory.start();
  const registry = new StreamRegistry({ redis, names, log: clog });
  await registry.load();
  const tokens = new MediaTokens(o.secret);
  const node = new RoutedMediaNode({
    id: config.nodeId,
    nc,
    names,
    directory,
    registry,
    relayToken: (p) => tokens.sign({ u: 'system:relay', s: 'relay', p, e: Math.floor(Date.now() / 1000) + RELAY_TOKEN_SEC }),
    log: clog,
  });
  // revocations reach every media node at once over NATS, and nodes starting later read them from Redis (R11)
  const revoke = (m: { sessionIds?: string[]; userId?: string }) => {
    try {
      nc.publish(names.revocations, toBytes({ ...m, at: Date.now() }));
    } catch (err) {
      clog.error({ err: (err as Error).message }, 'revocation not published (NATS down); Redis copy only');
    }
    const until = Date.now() + config.mediaTokenTtl * 1000;
    void redis.zadd(names.revokedKey, until, JSON.stringify({ ...m, at: Date.now() })).catch(() => undefined);
  };
  const control = wireMediaControl({ ...o, node, tokens, revoke });
  const reporter = new NodeReporter({ nc, names, id: config.nodeId, role: 'control', addresses: { http: `http://${advertisedHost(config)}:${config.httpPort}` }, limits: { maxEgressKbps: 0, maxStreams: 0 }, nodes: repo, log: clog });
  reporter.start();
  return {
    node,
    live: control.live,
    tokens,
    directory,
    startAlwaysOn: control.startAlwaysOn,
    async close() {
      await control.close();
      await reporter.stop();
      directory.stop();
      node.close();
      redis.disconnect();
      await nc.close().catch(() => undefined);
    },
  };
}

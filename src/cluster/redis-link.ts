import { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';

/**
 * Redis for ephemeral shared state (issue 13): reconnects for ever; a command fails fast (500 ms) while Redis is
 * away instead of queueing, so a Redis restart never stalls a live request — callers keep their in-memory copy.
 */
export function openRedis(url: string, log: Logger): Redis {
  const r = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 0, enableOfflineQueue: false, commandTimeout: 500, retryStrategy: (n) => Math.min(1000, 100 * n) });
  let down = false;
  r.on('error', (err) => {
    if (!down) log.warn({ err: err.message }, 'Redis unreachable; shared stream registry degraded to this node only');
    down = true;
  });
  r.on('ready', () => {
    if (down) log.info('Redis reachable again');
    down = false;
  });
  return r;
}

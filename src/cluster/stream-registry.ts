import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';
import type { ClusterNames } from './subjects.js';

/**
 * Which node holds which stream, shared by control nodes through Redis (issue 13 §5: "which node holds this stream"
 * is a lookup). Memory is the first copy: a Redis outage leaves this node working with what it placed itself, and
 * what it holds is written back when Redis returns.
 */
export class StreamRegistry {
  private readonly origins = new Map<string, string>();
  private dirty = false;

  constructor(private readonly o: { redis?: Redis; names: ClusterNames; log: Logger }) {
    o.redis?.on('ready', () => void this.resync());
  }

  async load(): Promise<void> {
    const all = await this.o.redis?.hgetall(this.o.names.streamsKey).catch(() => undefined);
    for (const [k, v] of Object.entries(all ?? {})) if (!this.origins.has(k)) this.origins.set(k, v);
  }

  local(key: string): string | undefined {
    return this.origins.get(key);
  }

  async get(key: string): Promise<string | undefined> {
    const mine = this.origins.get(key);
    if (mine) return mine;
    const other = await this.o.redis?.hget(this.o.names.streamsKey, key).catch(() => null);
    if (other) this.origins.set(key, other);
    return other ?? undefined;
  }

  set(key: string, nodeId: string): void {
    this.origins.set(key, nodeId);
    void this.o.redis?.hset(this.o.names.streamsKey, key, nodeId).catch(() => (this.dirty = true));
  }

  delete(key: string): void {
    this.origins.delete(key);
    void this.o.redis?.hdel(this.o.names.streamsKey, key).catch(() => (this.dirty = true));
  }

  entries(): Array<[string, string]> {
    return [...this.origins.entries()];
  }

  /** After a Redis restart (it keeps nothing on disk here) put back what this node knows. */
  private async resync(): Promise<void> {
    if (!this.o.redis) return;
    if (this.origins.size) {
      await this.o.redis.hset(this.o.names.streamsKey, Object.fromEntries(this.origins)).catch(() => undefined);
      this.o.log.info({ streams: this.origins.size, wasDirty: this.dirty }, 'stream registry written back to Redis');
    }
    this.dirty = false;
  }
}

import type { NatsConnection } from 'nats';
import type { Logger } from '../core/logger.js';
import type { ClusterNodeRepo } from '../store/repos/cluster-nodes.js';
import type { LoadSampler } from './load-sampler.js';
import { toBytes } from './nats-link.js';
import type { NodeAddresses, NodeLimits, NodeRole, NodeStatus } from './node-status.js';
import type { ClusterNames } from './subjects.js';

/**
 * Announces this node and reports its load every second over NATS (issue 13 §2); every 10 s the node's row in the
 * shared database is refreshed (a brief PostgreSQL outage only delays that row, never the reports).
 */
export class NodeReporter {
  private timer?: NodeJS.Timeout;
  private ticks = 0;
  private readonly startedAt = new Date().toISOString();

  constructor(
    private readonly o: { nc: NatsConnection; names: ClusterNames; id: string; role: NodeRole; addresses: NodeAddresses; limits: NodeLimits; sampler?: LoadSampler; nodes: ClusterNodeRepo; log: Logger; intervalMs?: number },
  ) {}

  start(): void {
    const tick = () => void this.report().catch((err) => this.o.log.warn({ err: (err as Error).message }, 'load report failed'));
    tick();
    this.timer = setInterval(tick, this.o.intervalMs ?? 1000);
    this.timer.unref();
  }

  async report(): Promise<void> {
    const now = new Date().toISOString();
    const status: NodeStatus = { id: this.o.id, role: this.o.role, online: true, startedAt: this.startedAt, lastSeen: now, addresses: this.o.addresses, limits: this.o.limits, load: this.o.sampler ? await this.o.sampler.sample() : undefined };
    try {
      this.o.nc.publish(this.o.names.reports, toBytes(status));
    } catch {
      // NATS is reconnecting; the next tick reports again
    }
    if (this.ticks++ % 10 === 0) {
      await this.o.nodes.upsert({ id: this.o.id, role: this.o.role, addresses: this.o.addresses, limits: this.o.limits, startedAt: this.startedAt, lastSeen: now }).catch((err) => this.o.log.warn({ err: (err as Error).message }, 'node row not saved (database unreachable?)'));
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    try {
      this.o.nc.publish(this.o.names.leaving, toBytes({ id: this.o.id }));
      await this.o.nc.flush();
    } catch {
      // closing anyway
    }
  }
}

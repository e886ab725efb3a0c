import type { LocalMediaNode } from '../media/local-node.js';
import { LoadSampler } from './load-sampler.js';
import type { NodeAddresses, NodeDirectory, NodeLimits, NodeStatus } from './node-status.js';

/** `SHARPEYE_ROLE=all`: the one process is the whole cluster; its load is sampled when asked. */
export class LocalDirectory implements NodeDirectory {
  private readonly sampler: LoadSampler;
  private readonly startedAt = new Date().toISOString();

  constructor(private readonly o: { id: string; node: LocalMediaNode; addresses: NodeAddresses; limits: NodeLimits }) {
    this.sampler = new LoadSampler(o.node);
  }

  async list(): Promise<NodeStatus[]> {
    const load = await this.sampler.sample();
    return [{ id: this.o.id, role: 'all', online: true, startedAt: this.startedAt, lastSeen: load.at, addresses: this.o.addresses, limits: this.o.limits, load }];
  }

  async get(id: string): Promise<NodeStatus | undefined> {
    return id === this.o.id ? (await this.list())[0] : undefined;
  }

  on(): () => void {
    return () => undefined; // a single process never sees itself go down
  }
}

import { availableParallelism } from 'node:os';
import type { LocalMediaNode } from '../media/local-node.js';
import type { NodeLoad } from './node-status.js';

/** Samples this process's load once a call: CPU as a share of one core since the previous call (issue 13 §2). */
export class LoadSampler {
  private lastCpu = process.cpuUsage();
  private lastAt = process.hrtime.bigint();

  constructor(private readonly node?: LocalMediaNode) {}

  async sample(): Promise<NodeLoad> {
    const now = process.hrtime.bigint();
    const cpu = process.cpuUsage(this.lastCpu);
    const wallUs = Number(now - this.lastAt) / 1000;
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    const f = this.node?.loadFigures() ?? { streams: 0, viewers: 0, ingressKbps: 0, egressKbps: 0, rtpPortsFree: 0, rtpPortsTotal: 0 };
    const disks = this.node ? (await this.node.storage().catch(() => [])).map((d) => ({ path: d.path, freeBytes: d.freeBytes, totalBytes: d.totalBytes })) : [];
    return {
      at: new Date().toISOString(),
      ...f,
      cpu: wallUs > 0 ? Math.round(((cpu.user + cpu.system) / wallUs) * 1000) / 1000 : 0,
      cores: availableParallelism(),
      memRssMb: Math.round(process.memoryUsage.rss() / 2 ** 20),
      disks,
    };
  }
}

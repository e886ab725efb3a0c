/**
 * Placement decision time (issue 13, goal < 5 ms p99): the routed media node's choice for a new stream among N media
 * nodes with live-looking load reports and a burst of pending placements, against a plain "least streams" pick over
 * the same nodes in the same run (the reference a naive balancer would use).
 *   npx tsx bench/cluster-placement.ts [--nodes 50] [--decisions 20000]
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import type { NodeStatus } from '../src/cluster/node-status.js';
import { pickNode } from '../src/cluster/placement.js';

const { values: a } = parseArgs({ options: { nodes: { type: 'string', default: '50' }, decisions: { type: 'string', default: '20000' } } });
const N = Number(a.nodes);
const D = Number(a.decisions);

const nodes: NodeStatus[] = Array.from({ length: N }, (_, i) => ({
  id: `media-${i}`,
  role: 'media',
  online: true,
  startedAt: new Date().toISOString(),
  lastSeen: new Date().toISOString(),
  addresses: {},
  limits: { maxEgressKbps: i % 3 === 0 ? 2_000_000 : 0, maxStreams: 500 },
  load: { at: new Date().toISOString(), streams: (i * 37) % 400, viewers: (i * 91) % 2000, ingressKbps: (i * 7919) % 800_000, egressKbps: (i * 104_729) % 1_500_000, cpu: (i % 17) / 10, cores: 8, memRssMb: 900, rtpPortsFree: 800, rtpPortsTotal: 1000, disks: [] },
}));

function p99(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length * 0.99)];
}

const pending = new Map<string, { streams: number; kbps: number }>();
const scored: number[] = [];
for (let i = 0; i < D; i++) {
  const t = performance.now();
  const id = pickNode({ nodes, pending })!;
  scored.push(performance.now() - t);
  const p = pending.get(id) ?? { streams: 0, kbps: 0 };
  pending.set(id, { streams: p.streams + 1, kbps: p.kbps + 2048 });
  if (i % 200 === 0) pending.clear(); // reports arrive and absorb the pending placements
}

const naive: number[] = [];
for (let i = 0; i < D; i++) {
  const t = performance.now();
  let best = nodes[0];
  for (const n of nodes) if (n.online && (n.load?.streams ?? 0) < (best.load?.streams ?? 0)) best = n;
  naive.push(performance.now() - t);
}

const avg = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
console.log(JSON.stringify({ nodes: N, decisions: D, scoreP99Ms: +p99(scored).toFixed(4), scoreMeanMs: +avg(scored).toFixed(4), naiveP99Ms: +p99(naive).toFixed(4), ratioToNaiveP99: +(p99(scored) / Math.max(1e-6, p99(naive))).toFixed(1), goalP99Ms: 5 }));

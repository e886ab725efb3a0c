import type { NodeStatus } from './node-status.js';

/**
 * Where a new stream goes (issue 13 §3): the online media node with the best load score — bandwidth and CPU headroom
 * first, stream count last — among those under their limits. Pure: the caller passes what it knows, including
 * streams it placed since the nodes' last reports (reports come once a second; a burst of 40 starts must not all
 * land on the node that looked idlest a moment ago).
 */
export interface PlacementInput {
  nodes: NodeStatus[];
  /** streams and kbps placed on each node and not yet visible in its report */
  /** streams placed (with their expected ingress) and viewers handed out (expected egress) since the last reports */
  pending?: Map<string, { streams: number; inKbps?: number; kbps: number }>;
  /** expected bitrate of the new stream */
  streamKbps?: number;
  exclude?: ReadonlySet<string>;
  /** a relay needs egress room; a received stream needs ingress and an RTP port */
  purpose?: 'stream' | 'relay';
}

/** The network a node without a configured egress limit is assumed to have (1 Gb/s). */
export const DEFAULT_LINK_KBPS = 1_000_000;
export const DEFAULT_STREAM_KBPS = 2_048;

export interface Scored {
  id: string;
  score: number;
  bandwidthHeadroom: number;
  cpuHeadroom: number;
}

export function scoreNodes(i: PlacementInput): Scored[] {
  const want = i.streamKbps ?? DEFAULT_STREAM_KBPS;
  const out: Scored[] = [];
  for (const n of i.nodes) {
    if (!n.online || n.role === 'control' || !n.load || i.exclude?.has(n.id)) continue;
    const p = i.pending?.get(n.id) ?? { streams: 0, inKbps: 0, kbps: 0 };
    const l = n.load;
    const streams = l.streams + p.streams;
    if (n.limits.maxStreams > 0 && streams + 1 > n.limits.maxStreams) continue;
    if ((i.purpose ?? 'stream') === 'stream' && l.rtpPortsTotal > 0 && l.rtpPortsFree - p.streams < 1) continue;
    // a configured egress limit is the node's budget for what it sends; otherwise both directions share a 1 Gb/s link
    const bandwidthHeadroom =
      n.limits.maxEgressKbps > 0
        ? Math.max(0, 1 - (l.egressKbps + p.kbps + (i.purpose === 'relay' ? want : 0)) / n.limits.maxEgressKbps)
        : Math.max(0, 1 - (l.egressKbps + l.ingressKbps + (p.inKbps ?? 0) + p.kbps + want) / DEFAULT_LINK_KBPS);
    if (i.purpose === 'relay' && bandwidthHeadroom <= 0) continue;
    const cpuHeadroom = Math.max(0, 1 - l.cpu / Math.max(1, l.cores));
    const streamShare = Math.min(1, streams / (n.limits.maxStreams > 0 ? n.limits.maxStreams : 1000));
    out.push({ id: n.id, score: 0.5 * bandwidthHeadroom + 0.4 * cpuHeadroom + 0.1 * (1 - streamShare), bandwidthHeadroom, cpuHeadroom });
  }
  return out.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
}

export function pickNode(i: PlacementInput): string | undefined {
  return scoreNodes(i)[0]?.id;
}

/** True when a node's egress (reported plus what was just handed out) is over its limit: send new viewers to a relay. */
export function egressFull(n: NodeStatus, pendingKbps: number): boolean {
  if (n.limits.maxEgressKbps <= 0 || !n.load) return false;
  return n.load.egressKbps + pendingKbps >= n.limits.maxEgressKbps;
}

/** Load reports are checked before use: nonsense (negative, NaN, absurd) is refused, not trusted (issue 13 bad input). */
export function loadProblem(n: NodeStatus): string | undefined {
  const l = n.load;
  if (!l) return undefined;
  const finite = [l.streams, l.viewers, l.ingressKbps, l.egressKbps, l.cpu, l.cores, l.memRssMb, l.rtpPortsFree, l.rtpPortsTotal];
  if (finite.some((x) => typeof x !== 'number' || !Number.isFinite(x) || x < 0)) return 'load report has negative or non-numeric figures';
  if (l.cores < 1 || l.cores > 1024 || l.cpu > l.cores * 1.5) return `load report says cpu ${l.cpu} on ${l.cores} cores`;
  if (l.rtpPortsFree > l.rtpPortsTotal) return 'load report has more free RTP ports than ports';
  if (l.streams > 1_000_000 || l.viewers > 10_000_000 || l.egressKbps > 1e9 || l.ingressKbps > 1e9) return 'load report figures out of range';
  return undefined;
}

import { hostname } from 'node:os';

/**
 * What the platform knows about each node (issue 13, R10). In `all` mode there is one node holding every role; in a
 * cluster, media nodes announce themselves over NATS and report load every second, and a node that stops reporting
 * is marked down within 5 s. Serialisable: it is what `GET /api/v1/nodes` answers and what NATS carries.
 */
export type NodeRole = 'all' | 'control' | 'media';

export interface DiskLoad {
  path: string;
  freeBytes: number;
  totalBytes: number;
}

export interface NodeLoad {
  /** when the node measured it (its own clock, ISO 8601) */
  at: string;
  streams: number;
  viewers: number;
  ingressKbps: number;
  egressKbps: number;
  /** process CPU as a share of one core over the last second (0.5 = half a core) */
  cpu: number;
  /** number of cores on the node */
  cores: number;
  memRssMb: number;
  rtpPortsFree: number;
  rtpPortsTotal: number;
  disks: DiskLoad[];
}

export interface NodeLimits {
  /** egress above which new viewers of a stream are sent to a relay on another node (0 = no limit) */
  maxEgressKbps: number;
  /** streams above which no new stream is placed here (0 = no limit) */
  maxStreams: number;
}

export interface NodeAddresses {
  /** base URL of the node's HTTP outputs (FLV, WS-FLV, HLS), e.g. http://10.0.0.5:8080 */
  http?: string;
  /** host:port of the node's RTSP output */
  rtsp?: string;
  /** address devices send RTP to */
  rtpHost?: string;
}

export interface NodeStatus {
  id: string;
  role: NodeRole;
  online: boolean;
  startedAt: string;
  /** last report received (the receiver's clock, so a node with a wrong clock is still judged fairly) */
  lastSeen: string;
  addresses: NodeAddresses;
  limits: NodeLimits;
  load?: NodeLoad;
  /** set when the node's reports are rejected or its clock is off; shown on the nodes page */
  warning?: string;
}

export interface NodeDirectoryEvents {
  'node.down': (n: NodeStatus) => void;
  'node.up': (n: NodeStatus) => void;
}

/** The control side's view of the nodes: the local node in `all` mode, the NATS/Redis registry in a cluster. */
export interface NodeDirectory {
  list(): Promise<NodeStatus[]>;
  get(id: string): Promise<NodeStatus | undefined>;
  on<E extends keyof NodeDirectoryEvents>(event: E, fn: NodeDirectoryEvents[E]): () => void;
}

/** The address other machines reach this node at: SHARPEYE_MEDIA_IP, else the bound address, else the host name. */
export function advertisedHost(c: { mediaIp?: string; host: string }): string {
  return c.mediaIp ?? (c.host === '0.0.0.0' || c.host === '::' ? hostname() : c.host);
}

/**
 * NATS subjects and Redis keys of one cluster, all under the cluster name so several clusters (or test runs) can
 * share a NATS and a Redis. Node ids may hold characters NATS uses as token separators, so they are escaped.
 */
export function subjectToken(nodeId: string): string {
  return nodeId.replace(/[^A-Za-z0-9_-]/g, (c) => `~${c.charCodeAt(0).toString(16)}`);
}

export function clusterNames(cluster: string) {
  return {
    /** request/reply: MediaNode calls to one media node */
    rpc: (nodeId: string) => `${cluster}.media.${subjectToken(nodeId)}.rpc`,
    /** MediaNode events of one media node */
    events: (nodeId: string) => `${cluster}.media.${subjectToken(nodeId)}.evt`,
    /** every node's announce + load report, once a second */
    reports: `${cluster}.nodes.report`,
    /** a node leaving cleanly */
    leaving: `${cluster}.nodes.leaving`,
    /** session/user revocations, to every media node (R11: cut within 1 s everywhere) */
    revocations: `${cluster}.sessions.revoked`,
    /** Redis hash: stream key → node id holding it (origin) */
    streamsKey: `${cluster}:streams`,
    /** Redis hash: stream key → JSON list of relay node ids */
    relaysKey: `${cluster}:relays`,
    /** Redis sorted set of revocations (score = expiry ms), for media nodes that start later */
    revokedKey: `${cluster}:revoked`,
  };
}

export type ClusterNames = ReturnType<typeof clusterNames>;

import { EventEmitter } from 'node:events';
import type { NatsConnection, Subscription } from 'nats';
import type { Logger } from '../core/logger.js';
import type { ClusterNodeRepo } from '../store/repos/cluster-nodes.js';
import { fromBytes } from './nats-link.js';
import type { NodeDirectory, NodeDirectoryEvents, NodeStatus } from './node-status.js';
import { loadProblem } from './placement.js';
import type { ClusterNames } from './subjects.js';

/** A node is down when no report came for this long (reports every second; issue 13: "marked down within 5 s"). */
export const DOWN_AFTER_MS = 3_000;
/** A node whose clock differs from ours by more than this gets a warning (its reports are still judged by our clock). */
export const CLOCK_SKEW_WARN_MS = 30_000;

/**
 * The control side's live view of the cluster, built from the nodes' reports on NATS. Freshness is judged by the
 * receiver's clock, so a node with a clock 10 minutes off is neither dropped nor trusted more; reports with nonsense
 * figures keep the node listed with a warning and without load (placement then skips it).
 */
export class ClusterDirectory implements NodeDirectory {
  private readonly nodes = new Map<string, NodeStatus & { seenMs: number }>();
  private readonly ee = new EventEmitter();
  private subs: Subscription[] = [];
  private timer?: NodeJS.Timeout;
  /** our own NATS link is down: silence says nothing about the nodes, so nobody is marked down meanwhile */
  private blind = false;

  constructor(private readonly o: { nc: NatsConnection; names: ClusterNames; repo: ClusterNodeRepo; log: Logger; now?: () => number }) {
    this.ee.setMaxListeners(0);
  }

  private now(): number {
    return this.o.now ? this.o.now() : Date.now();
  }

  start(): void {
    this.subs.push(this.o.nc.subscribe(this.o.names.reports, { callback: (err, m) => !err && this.onReport(m.data) }));
    this.subs.push(
      this.o.nc.subscribe(this.o.names.leaving, {
        callback: (err, m) => {
          if (err) return;
          const id = (fromBytes(m.data) as { id?: string }).id;
          const n = id ? this.nodes.get(id) : undefined;
          if (n) this.markDown(n, 'left');
        },
      }),
    );
    void (async () => {
      for await (const st of this.o.nc.status()) {
        if (st.type === 'disconnect') this.blind = true;
        if (st.type === 'reconnect') {
          // a NATS restart must not look like every node dying: judge freshness from now on
          this.blind = false;
          const t = this.now();
          for (const n of this.nodes.values()) n.seenMs = Math.max(n.seenMs, t);
        }
      }
    })().catch(() => undefined);
    this.timer = setInterval(() => this.sweep(), 500);
    this.timer.unref();
  }

  private onReport(data: Uint8Array): void {
    let r: NodeStatus;
    try {
      r = fromBytes(data) as NodeStatus;
      if (typeof r.id !== 'string' || !r.id || !['all', 'control', 'media'].includes(r.role)) return;
    } catch {
      return;
    }
    const seenMs = this.now();
    const problem = loadProblem(r);
    const skew = r.load?.at ? Date.parse(r.load.at) - seenMs : Date.parse(r.lastSeen) - seenMs;
    const warning = problem ?? (Math.abs(skew) > CLOCK_SKEW_WARN_MS ? `clock off by ${Math.round(skew / 1000)} s` : undefined);
    const prev = this.nodes.get(r.id);
    const next = { ...r, online: true, lastSeen: new Date(seenMs).toISOString(), load: problem ? undefined : r.load, warning, seenMs };
    if (warning && prev?.warning !== warning) this.o.log.warn({ node: r.id, warning }, 'node report questionable');
    this.nodes.set(r.id, next);
    if (!prev || !prev.online) {
      this.o.log.info({ node: r.id, role: r.role }, 'node up');
      this.ee.emit('node.up', this.strip(next));
    }
  }

  private sweep(): void {
    if (this.blind || this.o.nc.isClosed()) return;
    const t = this.now();
    for (const n of this.nodes.values()) if (n.online && t - n.seenMs > DOWN_AFTER_MS) this.markDown(n, `no report for ${Math.round((t - n.seenMs) / 1000)} s`);
  }

  /** A caller found the node unreachable (NATS "no responders"): down now rather than after the report timeout. */
  suspect(id: string, why: string): void {
    const n = this.nodes.get(id);
    if (n) this.markDown(n, why);
  }

  private markDown(n: NodeStatus & { seenMs: number }, why: string): void {
    if (!n.online) return;
    n.online = false;
    this.o.log.warn({ node: n.id, why }, 'node down');
    this.ee.emit('node.down', this.strip(n));
  }

  private strip(n: NodeStatus & { seenMs?: number }): NodeStatus {
    const { seenMs: _s, ...rest } = n;
    return rest;
  }

  /** Live nodes first; nodes known only from the database (down since before we started) after them. */
  async list(): Promise<NodeStatus[]> {
    const out = [...this.nodes.values()].map((n) => this.strip(n));
    const rows = await this.o.repo.list().catch(() => []);
    for (const r of rows) {
      if (this.nodes.has(r.id)) continue;
      out.push({ id: r.id, role: r.role as NodeStatus['role'], online: false, startedAt: r.startedAt, lastSeen: r.lastSeen, addresses: r.addresses as NodeStatus['addresses'], limits: r.limits as NodeStatus['limits'] });
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Only what the reports say (no database read): used on every placement. */
  onlineNodes(): NodeStatus[] {
    return [...this.nodes.values()].filter((n) => n.online).map((n) => this.strip(n));
  }

  async get(id: string): Promise<NodeStatus | undefined> {
    const n = this.nodes.get(id);
    return n ? this.strip(n) : (await this.list()).find((x) => x.id === id);
  }

  peek(id: string): NodeStatus | undefined {
    const n = this.nodes.get(id);
    return n ? this.strip(n) : undefined;
  }

  on<E extends keyof NodeDirectoryEvents>(event: E, fn: NodeDirectoryEvents[E]): () => void {
    this.ee.on(event, fn);
    return () => this.ee.off(event, fn);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
  }
}

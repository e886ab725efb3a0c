import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../../core/logger.js';
import type { GbService } from '../../gb28181/service.js';
import type { ImagesService } from '../../images/images-service.js';
import type { CascadeService } from '../../cascade/cascade-service.js';
import type { MediaNode, RecordError, StorageInfo, StreamInfo } from '../../media/node.js';
import type { NodeDirectory, NodeStatus } from '../../cluster/node-status.js';
import type { TargetStatus } from '../../images/forwarding.js';
import type { Store } from '../../store/index.js';
import { helpOf, type SeriesName } from './series.js';

/** What the metrics read; every part is optional (a media-only node has no signalling, a control node no disks). */
export interface MetricsSources {
  store: Store;
  log: Logger;
  gb?: GbService;
  /** the SIP endpoint's per-method counts (`in request REGISTER` → n) */
  sip?: { byMethod: ReadonlyMap<string, number>; counters: { parseErrors: number; timeouts: number } };
  media?: MediaNode;
  images?: ImagesService;
  cascade?: CascadeService;
  /** read lazily: the node directory may be wired after the metrics are built */
  nodes?: () => NodeDirectory | undefined;
  /** firing alerts and unresolved tickets (the alert engine, built after the metrics) */
  alerts?: () => { firingByKind(): Promise<Record<string, number>>; unresolvedTickets(): Promise<number> } | undefined;
}

interface Snapshot {
  streams?: StreamInfo[];
  recordings?: Array<{ writing: boolean }>;
  storage?: StorageInfo[];
  nodes?: NodeStatus[];
  targets?: TargetStatus[];
}

const API_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The platform's Prometheus registry (issue 14 §4, R17). One registry per platform (tests build several in one
 * process, so never prom-client's global one). Series are filled by `collect()` callbacks that read the services at
 * scrape time — nothing is instrumented per module — except the API histogram (an onResponse hook) and two counters
 * fed by MediaNode events (viewer bytes on leave, recorder errors). Series names: `series.ts`.
 */
export class PlatformMetrics {
  readonly registry = new Registry();
  private readonly api: Histogram<'method' | 'route' | 'status'>;
  private readonly loop: IntervalHistogram;
  private snap?: { at: number; p: Promise<Snapshot> };
  /** ingress bytes of streams that have ended, by kind; and the last seen bytes of running ones */
  private readonly ingressDone = new Map<string, number>();
  private readonly ingressSeen = new Map<string, { kind: string; startedAt: string; bytes: number }>();
  private readonly offs: Array<() => void> = [];

  constructor(private readonly s: MetricsSources) {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: 'sharpeye_' });
    this.loop = monitorEventLoopDelay({ resolution: 10 });
    this.loop.enable();

    const gauge = <L extends string>(name: SeriesName, labels: L[], collect: (g: Gauge<L>) => Promise<void> | void) =>
      new Gauge<L>({
        name,
        help: helpOf(name),
        labelNames: labels,
        registers: [r],
        async collect() {
          this.reset();
          try {
            await collect(this);
          } catch (e) {
            s.log.debug({ series: name, err: (e as Error).message }, 'metric not collected');
          }
        },
      });
    /** a counter mirrored from a running total kept elsewhere */
    const mirror = <L extends string>(name: SeriesName, labels: L[], read: () => Promise<Array<[Partial<Record<L, string>>, number]>> | Array<[Partial<Record<L, string>>, number]>) =>
      new Counter<L>({
        name,
        help: helpOf(name),
        labelNames: labels,
        registers: [r],
        async collect() {
          this.reset();
          try {
            for (const [l, v] of await read()) if (v > 0) this.inc(l as any, v);
          } catch (e) {
            s.log.debug({ series: name, err: (e as Error).message }, 'metric not collected');
          }
        },
      });
    const db = s.store.database.db;
    const count = async (q: { executeTakeFirst(): Promise<{ n: unknown } | undefined> }) => Number((await q.executeTakeFirst())?.n ?? 0);

    // signalling
    gauge('sharpeye_devices_total', [], async (g) => g.set(await count(db.selectFrom('devices').select((eb) => eb.fn.countAll().as('n')))));
    gauge('sharpeye_devices_registered', [], (g) => {
      if (s.gb) g.set(s.gb.stats().registered);
    });
    gauge('sharpeye_devices_online', [], (g) => {
      if (s.gb) g.set(s.gb.stats().online);
    });
    gauge('sharpeye_channels_total', [], async (g) => g.set(await count(db.selectFrom('channels').select((eb) => eb.fn.countAll().as('n')))));
    gauge('sharpeye_channels_online', [], async (g) => g.set(await count(db.selectFrom('channels').select((eb) => eb.fn.countAll().as('n')).where('online', '=', 1))));
    mirror('sharpeye_sip_messages_total', ['direction', 'type', 'method'], () =>
      [...(s.sip?.byMethod ?? new Map<string, number>())].map(([k, n]) => {
        const [direction, type, method] = k.split(' ');
        return [{ direction, type, method }, n];
      }),
    );
    mirror('sharpeye_gb_registers_total', [], () => [[{}, s.sip?.byMethod.get('in request REGISTER') ?? 0]]);
    mirror('sharpeye_gb_keepalives_total', [], () => [[{}, s.gb?.keepalives ?? 0]]);
    mirror('sharpeye_sip_parse_errors_total', [], () => [[{}, s.sip?.counters.parseErrors ?? 0]]);
    mirror('sharpeye_sip_transaction_timeouts_total', [], () => [[{}, s.sip?.counters.timeouts ?? 0]]);
    gauge('sharpeye_event_loop_delay_seconds', ['quantile'], (g) => {
      const h = this.loop;
      if (!h.count) return;
      g.set({ quantile: '0.5' }, h.percentile(50) / 1e9);
      g.set({ quantile: '0.99' }, h.percentile(99) / 1e9);
      g.set({ quantile: '1' }, h.max / 1e9);
      h.reset();
    });

    // streams
    gauge('sharpeye_streams', ['kind'], async (g) => {
      const { streams } = await this.snapshot();
      if (!streams) return;
      for (const k of ['live', 'playback', 'download']) g.set({ kind: k }, 0);
      for (const st of streams) g.inc({ kind: st.kind });
    });
    gauge('sharpeye_stream_viewers', ['kind'], async (g) => {
      const { streams } = await this.snapshot();
      if (!streams) return;
      for (const k of ['live', 'playback', 'download']) g.set({ kind: k }, 0);
      for (const st of streams) g.inc({ kind: st.kind }, st.readers);
    });
    mirror('sharpeye_media_ingress_bytes_total', ['kind'], async () => {
      const { streams } = await this.snapshot();
      const total = new Map(this.ingressDone);
      for (const st of streams ?? []) total.set(st.kind, (total.get(st.kind) ?? 0) + st.bytes);
      return [...total].map(([kind, n]) => [{ kind }, n]);
    });
    const egress = new Map<string, number>();
    const recordErrors = new Map<string, number>();
    if (s.media) {
      this.offs.push(s.media.on('reader.close', (e) => egress.set(e.protocol, (egress.get(e.protocol) ?? 0) + (e.bytes ?? 0))));
      this.offs.push(s.media.on('record.error', (e: RecordError) => recordErrors.set(e.code, (recordErrors.get(e.code) ?? 0) + 1)));
    }
    mirror('sharpeye_media_egress_bytes_total', ['protocol'], () => [...egress].map(([protocol, n]) => [{ protocol }, n]));

    // recording and storage
    gauge('sharpeye_recordings_running', [], async (g) => {
      const { recordings } = await this.snapshot();
      if (recordings) g.set(recordings.filter((x) => x.writing).length);
    });
    gauge('sharpeye_recordings_holding', [], async (g) => {
      const { recordings } = await this.snapshot();
      if (recordings) g.set(recordings.filter((x) => !x.writing).length);
    });
    mirror('sharpeye_record_segment_errors_total', ['code'], () => [...recordErrors].map(([code, n]) => [{ code }, n]));
    const perRoot = (name: SeriesName, v: (x: StorageInfo) => number) =>
      gauge(name, ['node', 'path'], async (g) => {
        for (const x of (await this.snapshot()).storage ?? []) g.set({ node: x.nodeId, path: x.path }, v(x));
      });
    perRoot('sharpeye_storage_free_bytes', (x) => x.freeBytes);
    perRoot('sharpeye_storage_total_bytes', (x) => x.totalBytes);
    perRoot('sharpeye_storage_ok', (x) => (x.ok ? 1 : 0));

    // images
    gauge('sharpeye_image_forward_queue_depth', ['target'], async (g) => {
      for (const t of (await this.snapshot()).targets ?? []) g.set({ target: t.name || t.id }, t.queue.pending);
    });
    gauge('sharpeye_image_forward_oldest_age_seconds', ['target'], async (g) => {
      for (const t of (await this.snapshot()).targets ?? []) g.set({ target: t.name || t.id }, t.queue.lagSeconds);
    });

    // cascade
    gauge('sharpeye_upper_platforms_enabled', [], async (g) => {
      if (s.cascade) g.set((await s.store.uppers.list()).filter((u) => u.enabled).length);
    });
    gauge('sharpeye_upper_platforms_registered', [], async (g) => {
      if (!s.cascade) return;
      g.set((await s.store.uppers.list()).filter((u) => u.enabled && s.cascade!.status(u.id)?.state === 'registered').length);
    });

    // API
    this.api = new Histogram({ name: 'sharpeye_api_request_duration_seconds', help: helpOf('sharpeye_api_request_duration_seconds'), labelNames: ['method', 'route', 'status'], buckets: API_BUCKETS, registers: [r] });

    // alerts
    gauge('sharpeye_alerts_firing', ['kind'], async (g) => {
      const a = s.alerts?.();
      if (a) for (const [kind, n] of Object.entries(await a.firingByKind())) g.set({ kind }, n);
    });
    gauge('sharpeye_tickets_unresolved', [], async (g) => {
      const a = s.alerts?.();
      if (a) g.set(await a.unresolvedTickets());
    });

    // nodes
    const perNode = (name: SeriesName, v: (n: NodeStatus) => number | undefined) =>
      gauge(name, ['node'], async (g) => {
        for (const n of (await this.snapshot()).nodes ?? []) {
          const x = v(n);
          if (x !== undefined && Number.isFinite(x)) g.set({ node: n.id }, x);
        }
      });
    gauge('sharpeye_node_up', ['node', 'role'], async (g) => {
      for (const n of (await this.snapshot()).nodes ?? []) g.set({ node: n.id, role: n.role }, n.online ? 1 : 0);
    });
    perNode('sharpeye_node_streams', (n) => n.load?.streams);
    perNode('sharpeye_node_viewers', (n) => n.load?.viewers);
    perNode('sharpeye_node_cpu_ratio', (n) => n.load?.cpu);
    perNode('sharpeye_node_ingress_kbps', (n) => n.load?.ingressKbps);
    perNode('sharpeye_node_egress_kbps', (n) => n.load?.egressKbps);
    perNode('sharpeye_node_memory_rss_bytes', (n) => (n.load ? n.load.memRssMb * 2 ** 20 : undefined));
    perNode('sharpeye_node_rtp_ports_free', (n) => n.load?.rtpPortsFree);
    gauge('sharpeye_node_disk_free_bytes', ['node', 'path'], async (g) => {
      for (const n of (await this.snapshot()).nodes ?? []) for (const d of n.load?.disks ?? []) g.set({ node: n.id, path: d.path }, d.freeBytes);
    });
  }

  /** the async reads several series share, taken once per scrape (cached 1 s) */
  private snapshot(): Promise<Snapshot> {
    const now = Date.now();
    if (this.snap && now - this.snap.at < 1000) return this.snap.p;
    const quiet = <T>(p: Promise<T> | undefined): Promise<T | undefined> => (p ?? Promise.resolve(undefined)).catch(() => undefined);
    const p = (async () => {
      const [streams, recordings, storage, nodes, targets] = await Promise.all([
        quiet(this.s.media?.streams()),
        quiet(this.s.media?.recordingList()),
        quiet(this.s.media?.storage()),
        quiet(this.s.nodes?.()?.list()),
        quiet(this.s.images?.forwarding.status()),
      ]);
      if (streams) this.trackIngress(streams);
      return { streams, recordings, storage, nodes, targets };
    })();
    this.snap = { at: now, p };
    return p;
  }

  /** bytes of streams that ended (or restarted under the same key) since the last look move to the done totals */
  private trackIngress(streams: StreamInfo[]): void {
    const live = new Set<string>();
    for (const st of streams) {
      live.add(st.key);
      const prev = this.ingressSeen.get(st.key);
      if (prev && prev.startedAt !== st.startedAt) this.ingressDone.set(prev.kind, (this.ingressDone.get(prev.kind) ?? 0) + prev.bytes);
      this.ingressSeen.set(st.key, { kind: st.kind, startedAt: st.startedAt, bytes: st.bytes });
    }
    for (const [key, prev] of this.ingressSeen) {
      if (live.has(key)) continue;
      this.ingressDone.set(prev.kind, (this.ingressDone.get(prev.kind) ?? 0) + prev.bytes);
      this.ingressSeen.delete(key);
    }
  }

  /** one REST request (route = the pattern, e.g. `/api/v1/devices/:id`, so the label set stays bounded) */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.api.observe({ method, route, status: String(status) }, seconds);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    for (const off of this.offs.splice(0)) off();
    this.loop.disable();
    this.registry.clear();
  }
}

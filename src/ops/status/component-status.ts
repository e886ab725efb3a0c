import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { sql } from 'kysely';
import type { Config } from '../../config/index.js';
import type { GbService } from '../../gb28181/service.js';
import type { ImagesService } from '../../images/images-service.js';
import type { CascadeService } from '../../cascade/cascade-service.js';
import type { MediaNode } from '../../media/node.js';
import type { NodeDirectory, NodeStatus } from '../../cluster/node-status.js';
import type { Store } from '../../store/index.js';

export type ComponentState = 'ok' | 'degraded' | 'down';

export interface Component {
  /** stable id: `database`, `sip`, `media:<node>`, `storage:<node>:<path>`, `ffmpeg`, `s3`, `upper:<id>`, `images:<target>`, `nats`, `redis` */
  id: string;
  /** group for the page: database, sip, media, storage, ffmpeg, s3, cascade, images, cluster */
  group: string;
  name: string;
  state: ComponentState;
  message: string;
}

export interface StatusReport {
  at: string;
  overall: ComponentState;
  role: string;
  nodeId: string;
  components: Component[];
  /** the node table (issue 13): every node with its live load; the local node alone in `all` mode */
  nodes: NodeStatus[];
}

export interface StatusSources {
  config: Readonly<Config>;
  store: Store;
  gb?: GbService;
  sipPort?: number;
  media?: MediaNode;
  cascade?: CascadeService;
  images?: ImagesService;
  nodes?: () => NodeDirectory | undefined;
}

const RANK: Record<ComponentState, number> = { ok: 0, degraded: 1, down: 2 };
const LAG_DEGRADED_S = 300;

async function timed<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`${what}: no answer in ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(t);
  }
}

/** a TCP connect to host:port of a URL (NATS, Redis): proves the service listens without speaking its protocol */
function reachable(url: string, defPort: number, ms = 1500): Promise<string> {
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return reject(new Error(`bad URL ${url}`));
    }
    const port = Number(u.port || defPort);
    const sock = connect({ host: u.hostname, port });
    const done = (err?: Error) => {
      sock.destroy();
      if (err) reject(err);
      else resolve(`${u.hostname}:${port}`);
    };
    sock.setTimeout(ms, () => done(new Error(`${u.hostname}:${port}: connect timed out`)));
    sock.once('connect', () => done());
    sock.once('error', (e) => done(e));
  });
}

/**
 * The status page (issue 14 §4): every component the platform depends on with ok / degraded / down and a message an
 * operator can act on. Each check is bounded (a hung dependency shows as down, it does not hang the page).
 */
export class ComponentStatus {
  private ffmpeg?: { at: number; c: Component };

  constructor(private readonly s: StatusSources) {}

  async report(): Promise<StatusReport> {
    const parts = await Promise.all([this.database(), this.sip(), this.mediaNodes(), this.storage(), this.ffmpegCheck(), this.s3(), this.uppers(), this.images(), this.cluster()]);
    const components = parts.flat();
    const nodes = await this.nodeList();
    const overall = components.reduce<ComponentState>((w, c) => (RANK[c.state] > RANK[w] ? c.state : w), 'ok');
    return { at: new Date().toISOString(), overall, role: this.s.config.role, nodeId: this.s.config.nodeId, components, nodes };
  }

  private async nodeList(): Promise<NodeStatus[]> {
    try {
      return (await this.s.nodes?.()?.list()) ?? [];
    } catch {
      return [];
    }
  }

  private async database(): Promise<Component[]> {
    const t0 = performance.now();
    const dialect = this.s.store.database.dialect;
    try {
      await timed(sql`select 1`.execute(this.s.store.database.db), 3000, 'database');
      const ms = Math.round(performance.now() - t0);
      return [{ id: 'database', group: 'database', name: `数据库 ${dialect}`, state: ms > 500 ? 'degraded' : 'ok', message: `${dialect}: select 1 in ${ms} ms` }];
    } catch (e) {
      return [{ id: 'database', group: 'database', name: `数据库 ${dialect}`, state: 'down', message: (e as Error).message }];
    }
  }

  private async sip(): Promise<Component[]> {
    if (!this.s.gb) return this.s.config.role === 'media' ? [] : [{ id: 'sip', group: 'sip', name: 'SIP 信令', state: 'down', message: 'GB/T 28181 signalling is not running on this control node' }];
    const st = this.s.gb.stats();
    const timeouts = st.sip.timeouts;
    return [{ id: 'sip', group: 'sip', name: 'SIP 信令', state: 'ok', message: `UDP/TCP port ${this.s.sipPort ?? this.s.config.sipPort}; ${st.registered} registered, ${st.online} online; ${st.sip.received} in / ${st.sip.sent} out, ${timeouts} timeouts, ${st.sip.parseErrors} unparseable` }];
  }

  private async mediaNodes(): Promise<Component[]> {
    const nodes = await this.nodeList();
    if (nodes.length) {
      return nodes
        .filter((n) => n.role !== 'control')
        .map((n) => {
          const load = n.load ? `${n.load.streams} streams, ${n.load.viewers} viewers, in ${Math.round(n.load.ingressKbps)} / out ${Math.round(n.load.egressKbps)} kbps, CPU ${(n.load.cpu * 100).toFixed(0)}%` : 'no load report yet';
          const state: ComponentState = !n.online ? 'down' : n.warning ? 'degraded' : 'ok';
          return { id: `media:${n.id}`, group: 'media', name: `媒体节点 ${n.id}`, state, message: n.online ? `${load}${n.warning ? `; ${n.warning}` : ''}` : `not reporting since ${n.lastSeen}` };
        });
    }
    if (!this.s.media) return [];
    try {
      const streams = await timed(this.s.media.streams(), 3000, 'media node');
      const viewers = streams.reduce((a, x) => a + x.readers, 0);
      return [{ id: `media:${this.s.media.id}`, group: 'media', name: `媒体节点 ${this.s.media.id}`, state: 'ok', message: `${streams.length} streams, ${viewers} viewers` }];
    } catch (e) {
      return [{ id: `media:${this.s.media.id}`, group: 'media', name: `媒体节点 ${this.s.media.id}`, state: 'down', message: (e as Error).message }];
    }
  }

  private async storage(): Promise<Component[]> {
    if (!this.s.media) return [];
    const minFree = this.s.config.recordMinFreeMb * 2 ** 20;
    try {
      return (await timed(this.s.media.storage(), 5000, 'storage')).map((x) => {
        const gib = (b: number) => (b / 2 ** 30).toFixed(1);
        const state: ComponentState = !x.ok ? 'down' : x.freeBytes < minFree ? 'degraded' : 'ok';
        const message = !x.ok ? `unusable: ${x.error ?? '?'}` : `${gib(x.freeBytes)} of ${gib(x.totalBytes)} GiB free${state === 'degraded' ? ` (below SHARPEYE_RECORD_MIN_FREE_MB ${this.s.config.recordMinFreeMb})` : ''}`;
        return { id: `storage:${x.nodeId}:${x.path}`, group: 'storage', name: `录像存储 ${x.path}`, state, message };
      });
    } catch (e) {
      return [{ id: 'storage', group: 'storage', name: '录像存储', state: 'down', message: (e as Error).message }];
    }
  }

  /** `ffmpeg -version`, cached a minute (snapshots, H.265→H.264, watermarks and quality checks need it) */
  private async ffmpegCheck(): Promise<Component[]> {
    if (!this.s.media) return [];
    if (this.ffmpeg && Date.now() - this.ffmpeg.at < 60_000) return [this.ffmpeg.c];
    const c = await new Promise<Component>((resolve) => {
      execFile('ffmpeg', ['-hide_banner', '-version'], { timeout: 3000 }, (err, stdout) => {
        if (err) resolve({ id: 'ffmpeg', group: 'ffmpeg', name: 'ffmpeg', state: 'degraded', message: `not usable (${err.message.split('\n')[0]}): snapshots, transcoding, watermarks and picture checks are off` });
        else resolve({ id: 'ffmpeg', group: 'ffmpeg', name: 'ffmpeg', state: 'ok', message: stdout.split('\n')[0].trim() });
      });
    });
    this.ffmpeg = { at: Date.now(), c };
    return [c];
  }

  /** S3: a HEAD of a key that does not exist proves the endpoint answers and accepts our credentials */
  private async s3(): Promise<Component[]> {
    if (!this.s.config.s3 || !this.s.media) return [];
    const where = `${this.s.config.s3.bucket}@${this.s.config.s3.endpoint ?? 'aws'}`;
    try {
      const r = await timed(this.s.media.checkObject('sharpeye-health/probe', { size: 0 }), 5000, 'S3');
      if (r.state === 'unreadable') return [{ id: 's3', group: 's3', name: 'S3 对象存储', state: 'down', message: `${where}: ${r.message ?? 'unreachable'}` }];
      return [{ id: 's3', group: 's3', name: 'S3 对象存储', state: 'ok', message: `${where} answers` }];
    } catch (e) {
      return [{ id: 's3', group: 's3', name: 'S3 对象存储', state: 'down', message: `${where}: ${(e as Error).message}` }];
    }
  }

  private async uppers(): Promise<Component[]> {
    if (!this.s.cascade) return [];
    const list = (await this.s.store.uppers.list()).filter((u) => u.enabled);
    return list.map((u) => {
      const st = this.s.cascade!.status(u.id);
      const state: ComponentState = st?.state === 'registered' ? 'ok' : st?.state === 'registering' ? 'degraded' : 'down';
      const message = st?.state === 'registered' ? `registered since ${st.registeredAt ?? st.since}${st.lastKeepaliveAt ? `, last keepalive ${st.lastKeepaliveAt}` : ''}` : `${st?.state ?? 'not started'}${st?.error ? `: ${st.error}` : ''}${st?.nextAttemptAt ? `; next attempt ${st.nextAttemptAt}` : ''}`;
      return { id: `upper:${u.id}`, group: 'cascade', name: `上级平台 ${u.name}`, state, message };
    });
  }

  private async images(): Promise<Component[]> {
    if (!this.s.images) return [];
    try {
      return (await timed(this.s.images.forwarding.status(), 5000, 'image forwarder'))
        .filter((t) => t.enabled)
        .map((t) => {
          const lagging = t.queue.pending > 0 && t.queue.lagSeconds > LAG_DEGRADED_S;
          const state: ComponentState = t.state === 'down' ? 'down' : lagging || t.state === 'connecting' ? 'degraded' : 'ok';
          const message = `${t.state}; ${t.queue.pending} waiting${t.queue.pending ? `, oldest ${t.queue.lagSeconds} s` : ''}${t.lastError ? `; last error: ${t.lastError}` : ''}`;
          return { id: `images:${t.id}`, group: 'images', name: `图片转发 ${t.name}`, state, message };
        });
    } catch (e) {
      return [{ id: 'images', group: 'images', name: '图片转发', state: 'down', message: (e as Error).message }];
    }
  }

  private async cluster(): Promise<Component[]> {
    const c = this.s.config;
    if (c.role === 'all') {
      return [
        { id: 'nats', group: 'cluster', name: 'NATS', state: 'ok', message: 'not used (SHARPEYE_ROLE=all: one process)' },
        { id: 'redis', group: 'cluster', name: 'Redis', state: 'ok', message: 'not used (SHARPEYE_ROLE=all: one process)' },
      ];
    }
    const probe = async (id: string, name: string, url: string | undefined, port: number): Promise<Component> => {
      if (!url) return { id, group: 'cluster', name, state: 'down', message: 'not configured' };
      try {
        return { id, group: 'cluster', name, state: 'ok', message: `${await reachable(url, port)} accepts connections` };
      } catch (e) {
        return { id, group: 'cluster', name, state: 'down', message: (e as Error).message };
      }
    };
    return Promise.all([probe('nats', 'NATS', c.natsUrl, 4222), probe('redis', 'Redis', c.redisUrl, 6379)]);
  }
}

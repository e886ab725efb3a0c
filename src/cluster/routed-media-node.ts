import { EventEmitter } from 'node:events';
import type { NatsConnection } from 'nats';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type {
  CaptureStart, MediaNode, MediaNodeEvents, PlaybackAction, PlaybackStart, PullRequest, ReceiveAnswer, ReceiveRequest, RecordStart,
  RetimeOp, SendRequest, StreamInfo, StreamRef, WatermarkSpec,
} from '../media/node.js';
import type { ClusterDirectory } from './cluster-directory.js';
import { MEDIA_EVENTS } from './media-methods.js';
import type { NodeStatus } from './node-status.js';
import { DEFAULT_STREAM_KBPS, egressFull, pickNode } from './placement.js';
import { remoteMediaNode, type RemoteMediaNode } from './remote-media-node.js';
import type { StreamRegistry } from './stream-registry.js';
import type { ClusterNames } from './subjects.js';

/** Placements younger than this are added to a node's reported load (reports come once a second). */
const PENDING_MS = 3_000;

interface Pending {
  at: number;
  streams: number;
  /** expected ingress of streams placed (kb/s) */
  inKbps: number;
  /** expected egress of viewers handed out (kb/s) */
  kbps: number;
}

/**
 * The MediaNode a control node uses in a cluster (issue 13): every stream lives on one media node, found by lookup;
 * new streams go where the load score says; viewers beyond a node's egress limit are served by relays on other
 * nodes (a relay pulls the origin's RTSP output into its own hub); when a node dies its live streams are started
 * again elsewhere (GB streams through the live service's re-INVITE, pulls here) and players reconnect to new URLs.
 */
export class RoutedMediaNode implements MediaNode {
  readonly id: string;
  private readonly remotes = new Map<string, RemoteMediaNode>();
  private readonly refs = new Map<string, StreamRef>();
  private readonly pulls = new Map<string, PullRequest>();
  private readonly relays = new Map<string, Set<string>>();
  private readonly relayStarting = new Map<string, Promise<string>>();
  /** live streams whose node died, until they are placed again (the live service re-INVITEs them) */
  private readonly orphans = new Map<string, StreamInfo>();
  private readonly sendNodes = new Map<string, string>();
  private readonly pending = new Map<string, Pending[]>();
  private readonly ee = new EventEmitter();
  private readonly offs: Array<() => void> = [];

  constructor(
    private readonly d: {
      id: string;
      nc: NatsConnection;
      names: ClusterNames;
      directory: ClusterDirectory;
      registry: StreamRegistry;
      /** a long-lived media token for a relay to pull `path` from the origin's RTSP output */
      relayToken: (path: string) => string;
      log: Logger;
    },
  ) {
    this.id = d.id;
    this.ee.setMaxListeners(0);
    this.offs.push(d.directory.on('node.down', (n) => this.nodeDown(n)));
  }

  // ----------------------------------------------------------------------------------------------- nodes and lookup

  private remote(nodeId: string): RemoteMediaNode {
    let r = this.remotes.get(nodeId);
    if (!r) {
      r = remoteMediaNode(this.d.nc, this.d.names, nodeId, (id) => this.d.directory.suspect(id, 'no responders on NATS'));
      for (const e of MEDIA_EVENTS) r.on(e, ((...a: unknown[]) => this.onNodeEvent(nodeId, e, a)) as never);
      this.remotes.set(nodeId, r);
    }
    return r;
  }

  private online(id: string | undefined): id is string {
    return !!id && !!this.d.directory.peek(id)?.online;
  }

  private pendingOf(nodeId: string): { streams: number; inKbps: number; kbps: number } {
    const t = Date.now();
    const list = (this.pending.get(nodeId) ?? []).filter((p) => t - p.at < PENDING_MS);
    this.pending.set(nodeId, list);
    return list.reduce((a, p) => ({ streams: a.streams + p.streams, inKbps: a.inKbps + p.inKbps, kbps: a.kbps + p.kbps }), { streams: 0, inKbps: 0, kbps: 0 });
  }

  private addPending(nodeId: string, p: Omit<Pending, 'at'>): void {
    const list = this.pending.get(nodeId) ?? [];
    list.push({ at: Date.now(), ...p });
    this.pending.set(nodeId, list);
  }

  /** The node a new stream goes to, by load score (issue 13 §3). Exposed for the placement bench. */
  choose(exclude?: ReadonlySet<string>, purpose: 'stream' | 'relay' = 'stream'): string {
    const nodes = this.d.directory.onlineNodes();
    const pending = new Map(nodes.map((n) => [n.id, this.pendingOf(n.id)]));
    const id = pickNode({ nodes, pending, exclude, purpose });
    if (!id) throw new AppError('NO_MEDIA_NODE', `no media node online with room (${nodes.filter((n) => n.role !== 'control').length} media nodes reporting)`);
    return id;
  }

  private async locate(key: string): Promise<string | undefined> {
    const id = await this.d.registry.get(key);
    return this.online(id) ? id : undefined;
  }

  private async at(key: string): Promise<RemoteMediaNode> {
    const id = await this.locate(key);
    if (!id) throw new AppError(this.orphans.has(key) ? 'NODE_UNAVAILABLE' : 'STREAM_NOT_FOUND', `stream ${key} is not on any online media node`);
    return this.remote(id);
  }

  /** Node for a new stream: where it already lives, else the best-scored node. */
  private async placeFor(ref: StreamRef, prefer?: string): Promise<string> {
    const existing = await this.locate(ref.key);
    if (existing) return existing;
    const id = prefer && this.online(prefer) ? prefer : this.choose();
    this.addPending(id, { streams: 1, inKbps: DEFAULT_STREAM_KBPS, kbps: 0 });
    this.refs.set(ref.key, ref);
    this.orphans.delete(ref.key);
    this.d.registry.set(ref.key, id);
    this.d.log.debug({ stream: ref.key, node: id }, 'stream placed');
    return id;
  }

  /** Where a stream is, for URLs and the nodes page (undefined when nowhere). */
  async nodeOf(key: string): Promise<string | undefined> {
    return this.locate(key);
  }

  /**
   * The node a new viewer of `key` should connect to (issue 13 §4): the origin while it has egress room, else a relay
   * with room, else a new relay on the best other node. Never refuses: an overloaded origin still serves.
   */
  async viewerNode(key: string): Promise<string> {
    const origin = await this.locate(key);
    if (!origin) throw new AppError('STREAM_NOT_FOUND', `stream ${key} is not on any online media node`);
    const info = await this.remote(origin).stream(key).catch(() => undefined);
    const kbps = Math.max(64, info?.bitrateKbps ?? DEFAULT_STREAM_KBPS);
    const o = this.d.directory.peek(origin);
    if (o && !egressFull(o, this.pendingOf(origin).kbps)) {
      this.addPending(origin, { streams: 0, inKbps: 0, kbps });
      return origin;
    }
    for (const r of this.relays.get(key) ?? []) {
      const n = this.d.directory.peek(r);
      if (n?.online && !egressFull(n, this.pendingOf(r).kbps)) {
        this.addPending(r, { streams: 0, inKbps: 0, kbps });
        return r;
      }
    }
    let starting = this.relayStarting.get(key);
    if (!starting) {
      starting = this.startRelay(key, origin).finally(() => this.relayStarting.delete(key));
      this.relayStarting.set(key, starting);
    }
    try {
      const r = await starting;
      this.addPending(r, { streams: 0, inKbps: 0, kbps });
      return r;
    } catch (e) {
      this.d.log.warn({ stream: key, err: (e as Error).message }, 'no relay could be started; the origin serves beyond its limit');
      return origin;
    }
  }

  private async startRelay(key: string, origin: string): Promise<string> {
    const o = this.d.directory.peek(origin);
    if (!o?.addresses.rtsp) throw new Error(`origin ${origin} has no RTSP output address`);
    const exclude = new Set([origin, ...(this.relays.get(key) ?? [])]);
    const relay = this.choose(exclude, 'relay');
    const ref = this.refs.get(key) ?? refFromKey(key);
    const url = `rtsp://${o.addresses.rtsp}/${key}?token=${encodeURIComponent(this.d.relayToken(key))}`;
    const r = this.remote(relay);
    await r.openPull({ stream: ref, url, transport: 'tcp' });
    await r.waitLive(key, 10_000);
    const set = this.relays.get(key) ?? new Set();
    set.add(relay);
    this.relays.set(key, set);
    this.d.log.info({ stream: key, origin, relay }, 'edge relay started (origin egress full)');
    return relay;
  }

  /** Relays of a stream, for the nodes page and tests. */
  relaysOf(key: string): string[] {
    return [...(this.relays.get(key) ?? [])];
  }

  private onNodeEvent(nodeId: string, e: keyof MediaNodeEvents, a: unknown[]): void {
    const ref = a[0] as StreamRef | undefined;
    const key = e === 'idle' || e === 'stalled' || e === 'params' || e === 'playback.ended' || e === 'source.state' ? ref?.key : undefined;
    if (key && this.relays.get(key)?.has(nodeId)) {
      // a relay nobody watches any more is released here; the origin and the device are not concerned
      if (e === 'idle') void this.dropRelay(key, nodeId, 'no viewers');
      return;
    }
    if (key && this.d.registry.local(key) && this.d.registry.local(key) !== nodeId) return; // stale: the stream moved
    this.ee.emit(e, ...a);
  }

  private async dropRelay(key: string, nodeId: string, why: string): Promise<void> {
    this.relays.get(key)?.delete(nodeId);
    if (this.relays.get(key)?.size === 0) this.relays.delete(key);
    if (this.online(nodeId)) await this.remote(nodeId).closeStream(key, `relay released: ${why}`).catch(() => undefined);
    this.d.log.info({ stream: key, relay: nodeId, why }, 'edge relay released');
  }

  /** A media node died: its streams are placed again (issue 13 §4: playing again within 10 s). */
  private nodeDown(n: NodeStatus): void {
    this.remotes.get(n.id)?.close();
    this.remotes.delete(n.id);
    for (const [key, set] of this.relays) if (set.delete(n.id) && set.size === 0) this.relays.delete(key);
    for (const [id, node] of this.sendNodes) {
      if (node !== n.id) continue;
      this.sendNodes.delete(id);
      this.ee.emit('send.ended', { id, key: '', reason: 'node-stopping', message: `media node ${n.id} is down` });
    }
    const moved: string[] = [];
    for (const [key, node] of this.d.registry.entries()) {
      if (node !== n.id) continue;
      this.d.registry.delete(key);
      for (const r of this.relays.get(key) ?? []) void this.dropRelay(key, r, 'origin down');
      const ref = this.refs.get(key) ?? refFromKey(key);
      moved.push(key);
      const pull = this.pulls.get(key);
      if (pull) {
        void this.openPull(pull).catch((err) => this.d.log.warn({ stream: key, err: (err as Error).message }, 'pull not re-placed'));
      } else if (ref.kind === 'live') {
        // the live service re-INVITEs a stalled stream that has viewers; the viewers are reconnecting to new URLs
        this.orphans.set(key, { key, channelId: ref.channelId, kind: ref.kind, variant: ref.variant, nodeId: n.id, state: 'waiting', startedAt: new Date().toISOString(), readers: 1, frames: 0, bytes: 0, bitrateKbps: 0, fps: 0 });
        this.ee.emit('stalled', ref);
      } else if (ref.kind === 'playback') {
        this.ee.emit('playback.ended', ref);
      }
    }
    if (moved.length) this.d.log.warn({ node: n.id, streams: moved.length }, 'media node down: its streams are being placed on other nodes');
  }

  // ------------------------------------------------------------------------------------------------ stream methods

  async openReceive(req: ReceiveRequest) {
    return this.remote(await this.placeFor(req.stream)).openReceive(req);
  }
  async confirmReceive(key: string, answer: ReceiveAnswer) {
    return (await this.at(key)).confirmReceive(key, answer);
  }
  async stopReceive(key: string) {
    const id = await this.locate(key);
    if (id) await this.remote(id).stopReceive(key);
  }
  async closeStream(key: string, reason: string) {
    const id = await this.locate(key);
    for (const r of [...(this.relays.get(key) ?? [])]) await this.dropRelay(key, r, reason);
    this.d.registry.delete(key);
    this.refs.delete(key);
    this.pulls.delete(key);
    this.orphans.delete(key);
    if (id) await this.remote(id).closeStream(key, reason);
  }
  async waitLive(key: string, timeoutMs: number) {
    return (await this.at(key)).waitLive(key, timeoutMs);
  }
  async touch(key: string) {
    const id = await this.locate(key);
    if (id) await this.remote(id).touch(key);
    for (const r of this.relays.get(key) ?? []) await this.remote(r).touch(key).catch(() => undefined);
  }
  async stream(key: string) {
    const id = await this.locate(key);
    if (!id) return this.orphans.get(key);
    return this.remote(id).stream(key);
  }
  async streams() {
    const lists = await Promise.all(this.onlineMedia().map((id) => this.remote(id).streams().then((l) => l.filter((s) => this.d.registry.local(s.key) === undefined || this.d.registry.local(s.key) === id)).catch(() => [])));
    return lists.flat();
  }
  async openPull(req: PullRequest) {
    this.pulls.set(req.stream.key, req);
    return this.remote(await this.placeFor(req.stream)).openPull(req);
  }
  async snapshot(key: string, opts?: { maxWidth?: number; watermark?: WatermarkSpec }) {
    return (await this.at(key)).snapshot(key, opts);
  }
  async snapshots(key: string, opts: { count: number; intervalMs: number; watermark?: WatermarkSpec }) {
    return (await this.at(key)).snapshots(key, opts);
  }
  async openRendition(key: string, codec: 'h264') {
    const id = await this.locate(key);
    if (!id) throw new AppError('STREAM_NOT_FOUND', `stream ${key} is not on any online media node`);
    const rk = await this.remote(id).openRendition(key, codec);
    this.d.registry.set(rk, id);
    return rk;
  }
  // recording: on the node holding the live stream; storage questions go to every node
  async startRecording(req: RecordStart) {
    return (await this.at(req.key)).startRecording(req);
  }
  async triggerRecording(key: string, untilMs: number) {
    return (await this.at(key)).triggerRecording(key, untilMs);
  }
  async stopRecording(key: string) {
    const id = await this.locate(key);
    if (id) await this.remote(id).stopRecording(key);
  }
  async recordingList() {
    return (await this.fanOut((r) => r.recordingList())).flat();
  }
  async storage() {
    return (await this.fanOut((r) => r.storage())).flat();
  }
  async deleteSegments(paths: string[]) {
    const all = await this.fanOut((r) => r.deleteSegments(paths));
    const failedEverywhere = paths.filter((p) => all.length > 0 && all.every((x) => x.failed.some((f) => f.path === p)));
    return { deleted: Math.max(0, ...all.map((x) => x.deleted)), failed: failedEverywhere.map((p) => ({ path: p, error: all[0].failed.find((f) => f.path === p)?.error ?? 'failed' })) };
  }
  async checkSegment(path: string, expect: { size: number; checksum?: string | null }) {
    const all = await this.fanOut((r) => r.checkSegment(path, expect));
    return all.find((c) => c.state === 'ok') ?? all.find((c) => c.state !== 'missing') ?? all[0] ?? { state: 'missing' as const };
  }
  async repairSegment(path: string, startMs: number) {
    return (await this.fanOut((r) => r.repairSegment(path, startMs))).find((x) => x !== undefined);
  }
  async segmentFiles() {
    return [...new Set((await this.fanOut((r) => r.segmentFiles())).flat())];
  }
  async objectStorage() {
    return (await this.fanOut((r) => r.objectStorage())).find((x) => x !== undefined);
  }
  async uploadSegment(path: string, objectKey: string, expect: { size: number; checksum?: string | null }) {
    for (const id of this.onlineMedia()) {
      if ((await this.remote(id).checkSegment(path, expect).catch(() => undefined))?.state === 'ok') return this.remote(id).uploadSegment(path, objectKey, expect);
    }
    throw new AppError('RECORD_DAMAGED', `segment ${path} is on no online media node with its indexed size and checksum`);
  }
  async deleteObjects(keys: string[]) {
    return this.any().deleteObjects(keys);
  }
  async checkObject(key: string, expect: { size: number; etag?: string | null }) {
    return this.any().checkObject(key, expect);
  }
  // playback of platform recordings: on the node that wrote the first segment (S3 objects are read from any node)
  async openPlayback(req: PlaybackStart) {
    return this.remote(await this.placeFor(req.stream, req.segments[0]?.nodeId)).openPlayback(req);
  }
  async controlPlayback(key: string, a: PlaybackAction) {
    return (await this.at(key)).controlPlayback(key, a);
  }
  async playbackState(key: string) {
    const id = await this.locate(key);
    return id ? this.remote(id).playbackState(key) : undefined;
  }
  async setPlaybackScale(key: string, scale: number) {
    return (await this.at(key)).setPlaybackScale(key, scale);
  }
  async retime(key: string, op?: RetimeOp) {
    const id = await this.locate(key);
    return id ? this.remote(id).retime(key, op) : undefined;
  }
  async startCapture(req: CaptureStart) {
    return (await this.at(req.key)).startCapture(req);
  }
  async captureState(key: string) {
    const id = await this.locate(key);
    return id ? this.remote(id).captureState(key) : undefined;
  }
  async finishCapture(key: string, name: string) {
    return (await this.at(key)).finishCapture(key, name);
  }
  async dropCapture(key: string) {
    const id = await this.locate(key);
    if (id) await this.remote(id).dropCapture(key);
  }
  async removeCaptureFile(path: string) {
    await this.fanOut((r) => r.removeCaptureFile(path));
  }
  async openSend(req: SendRequest) {
    const id = await this.locate(req.key);
    if (!id) throw new AppError('STREAM_NOT_FOUND', `stream ${req.key} is not on any online media node`);
    const opened = await this.remote(id).openSend(req);
    this.sendNodes.set(opened.id, id);
    return opened;
  }
  async startSend(id: string) {
    const n = this.sendNodes.get(id);
    if (!n) throw new AppError('STREAM_NOT_FOUND', `send ${id} is not on any online media node`);
    return this.remote(n).startSend(id);
  }
  async stopSend(id: string) {
    const n = this.sendNodes.get(id);
    this.sendNodes.delete(id);
    if (n && this.online(n)) await this.remote(n).stopSend(id);
  }
  async sends() {
    return (await this.fanOut((r) => r.sends())).flat();
  }
  async revoke(match: { sessionIds?: string[]; userId?: string }) {
    return (await this.fanOut((r) => r.revoke(match))).reduce((a, b) => a + b, 0);
  }

  on<E extends keyof MediaNodeEvents>(event: E, fn: MediaNodeEvents[E]): () => void {
    this.ee.on(event, fn as (...a: unknown[]) => void);
    return () => this.ee.off(event, fn as (...a: unknown[]) => void);
  }

  close(): void {
    for (const off of this.offs) off();
    for (const r of this.remotes.values()) r.close();
    this.remotes.clear();
  }

  // ------------------------------------------------------------------------------------------------------ helpers

  private onlineMedia(): string[] {
    return this.d.directory.onlineNodes().filter((n) => n.role !== 'control').map((n) => n.id);
  }

  private any(): RemoteMediaNode {
    const id = this.onlineMedia()[0];
    if (!id) throw new AppError('NO_MEDIA_NODE', 'no media node is online');
    return this.remote(id);
  }

  /** Calls every online media node; a node failing mid-call is left out of the answer (and logged). */
  private async fanOut<T>(fn: (r: RemoteMediaNode) => Promise<T>): Promise<T[]> {
    const res = await Promise.allSettled(this.onlineMedia().map((id) => fn(this.remote(id))));
    const out: T[] = [];
    for (const r of res) {
      if (r.status === 'fulfilled') out.push(r.value);
      else this.d.log.warn({ err: (r.reason as Error).message }, 'a media node failed a cluster-wide call');
    }
    return out;
  }
}

/** `live/<ch>/<variant>`, `playback/<ch>/<session>`, `download/<ch>/<job>` → the ref (for streams another control node placed). */
export function refFromKey(key: string): StreamRef {
  const [kind, channelId = '', ...rest] = key.split('/');
  return { key, channelId, kind: (kind === 'playback' || kind === 'download' ? kind : 'live') as StreamRef['kind'], variant: rest.join('/') || 'main' };
}

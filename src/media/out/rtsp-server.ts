import net from 'node:net';
import { hostname } from 'node:os';
import type { Logger } from '../../core/logger.js';
import type { MediaClaims } from '../../core/media-token.js';
import type { Hub } from '../../stream/index.js';
import type { MediaAuth } from './media-auth.js';
import { RtspConnection } from './rtsp-connection.js';
import type { RtspPeer, RtspServerContext } from './rtsp-handlers.js';
import { RtspSession, type SessionEndReason } from './rtsp-session.js';
import { RtspUdp } from './rtsp-udp.js';

export interface RtspServerOptions {
  host: string;
  port: number;
  hub: Hub;
  auth: MediaAuth;
  log: Logger;
  /** UDP port RTP goes out from (RTCP: the next one). Default: the RTSP port's number (8554 → 8554-8555/udp), or any
   *  free pair when that is taken; an explicit port must be free. */
  udpPort?: number;
  /** a UDP (or not yet playing) session without a request or RTCP for this long is ended; default 60 s */
  sessionTimeoutSec?: number;
  /** a connection without a session is closed after this long without a complete request; default 10 s */
  idleTimeoutMs?: number;
  /** DESCRIBE of a stream that has no decodable frame yet waits this long; default 10 s */
  describeWaitMs?: number;
  /** DESCRIBE of a stream live for less than this waits (up to then) for its audio to show up; default 1 s */
  audioGraceMs?: number;
  /** default 1000 */
  maxConnections?: number;
  /** default 4096 */
  maxSessions?: number;
}

export interface RtspServerStats {
  port: number;
  rtpPort: number;
  rtcpPort: number;
  connections: number;
  sessions: number;
  playing: number;
  /** playing sessions by transport (a session with a TCP track counts as tcp) */
  tcp: number;
  udp: number;
  sessionsOpened: number;
  /** responses sent, by status code */
  responses: Record<string, number>;
  packetsSent: number;
  bytesSent: number;
}

const MAX_SESSIONS_PER_CONNECTION = 8;

/** Server state the handlers and sessions work with (kept off RtspServer's public surface). */
class Context implements RtspServerContext {
  readonly sessions = new Map<string, RtspSession>();
  readonly connections = new Set<RtspConnection>();
  readonly counters = { packets: 0, bytes: 0 };
  readonly responses: Record<string, number> = {};
  readonly cname = `sharpeye@${hostname()}`;
  sessionsOpened = 0;
  private readonly rtcpPeers = new Map<string, RtspSession>();
  readonly sessionTimeoutSec: number;
  readonly describeWaitMs: number;
  readonly audioGraceMs: number;
  readonly idleTimeoutMs: number;
  readonly maxSessions: number;

  constructor(
    readonly hub: Hub,
    readonly auth: MediaAuth,
    readonly log: Logger,
    readonly udp: RtspUdp,
    opts: RtspServerOptions,
  ) {
    this.sessionTimeoutSec = opts.sessionTimeoutSec ?? 60;
    this.describeWaitMs = opts.describeWaitMs ?? 10_000;
    this.audioGraceMs = opts.audioGraceMs ?? 1000;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 10_000;
    this.maxSessions = opts.maxSessions ?? 4096;
    udp.onRtcp = (address, port) => {
      const s = this.rtcpPeers.get(`${address}|${port}`);
      if (s) s.lastSeen = Date.now();
    };
  }

  newSession(key: string, claims: MediaClaims, peer: RtspPeer): RtspSession | undefined {
    if (this.sessions.size >= this.maxSessions || peer.sessions.size >= MAX_SESSIONS_PER_CONNECTION) return undefined;
    const s = new RtspSession(key, claims, peer, this, Date.now());
    this.sessions.set(s.id, s);
    peer.sessions.add(s);
    this.sessionsOpened++;
    return s;
  }

  watchRtcp(session: RtspSession, address: string, port: number): void {
    this.rtcpPeers.set(`${address}|${port}`, session);
  }

  count(status: number): void {
    this.responses[status] = (this.responses[status] ?? 0) + 1;
  }

  onError(session: RtspSession, err: unknown): void {
    this.log.warn({ err, session: session.id, path: session.key }, 'rtsp session error');
  }

  ended(s: RtspSession, reason: SessionEndReason): void {
    this.sessions.delete(s.id);
    for (const t of s.tracks.values()) {
      if (t.transport.lower !== 'UDP') continue;
      const k = `${t.transport.address}|${t.transport.ports[1]}`;
      if (this.rtcpPeers.get(k) === s) this.rtcpPeers.delete(k);
    }
    const level = reason === 'revoked' || reason === 'slow' || reason === 'params-changed' ? 'info' : 'debug';
    this.log[level]({ session: s.id, path: s.key, user: s.claims.u, reason }, 'rtsp session ended');
    if (s.channel instanceof RtspConnection) s.channel.sessionEnded(s, reason);
  }

  /** Session timeouts and idle connections. A PLAYing session with a TCP track lives as long as its connection. */
  sweep(now: number): void {
    const limit = this.sessionTimeoutSec * 1000;
    for (const s of [...this.sessions.values()]) {
      if (s.state === 'playing' && s.interleaved) continue;
      if (now - s.lastSeen > limit) s.end('timeout');
    }
    for (const c of this.connections) c.sweep(now, this.idleTimeoutMs);
  }
}

/**
 * RTSP 1.0 (RFC 2326) output: players open `rtsp://host:port/<stream key>?token=<media token>` and get the hub stream
 * as RTP over the RTSP connection (interleaved) or over UDP from one shared port pair.
 *
 * URLs and tokens: DESCRIBE must carry `?token=`; its answer has `Content-Base: rtsp://host:port/<key>/` and the SDP's
 * `a=control:trackID=N`, so SETUP comes to `<key>/trackID=N` and the aggregate PLAY to `<key>/`, both without the
 * token (a base with a query would not survive: RFC 3986 §5.2 drops it, ffmpeg/live555 glue the control after it).
 * The first SETUP is authorized by the token accepted on the same connection (or by one on its own URL, also in the
 * glued form `?token=T/trackID=0`), later requests by their session; both re-checked against revocations. Players
 * cut by the hub (revoked, slow, stream ended) lose their connection; UDP players also get RTCP BYE.
 *
 * UDP: one shared socket pair (server_port) for every session, see RtspUdp. TCP sessions live as long as their
 * connection; UDP ones until TEARDOWN or `sessionTimeoutSec` without a request or RTCP receiver report.
 */
export class RtspServer {
  private closed = false;
  private nextConnId = 1;

  private constructor(
    private readonly server: net.Server,
    private readonly ctx: Context,
    readonly port: number,
    private readonly timer: NodeJS.Timeout,
  ) {}

  static async listen(opts: RtspServerOptions): Promise<RtspServer> {
    const log = opts.log;
    const server = net.createServer({ noDelay: true });
    server.maxConnections = opts.maxConnections ?? 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as net.AddressInfo).port;
    let udp: RtspUdp;
    try {
      udp = await RtspUdp.bind(opts.host, opts.udpPort ?? port, opts.udpPort !== undefined, log);
    } catch (e) {
      server.close();
      throw e;
    }
    const ctx = new Context(opts.hub, opts.auth, log, udp, opts);
    const every = Math.max(50, Math.min(1000, ctx.idleTimeoutMs / 4, (ctx.sessionTimeoutSec * 1000) / 4));
    const timer = setInterval(() => {
      try {
        ctx.sweep(Date.now());
      } catch (err) {
        log.error({ err }, 'rtsp sweep failed');
      }
    }, every);
    timer.unref();
    const rtsp = new RtspServer(server, ctx, port, timer);
    server.on('connection', (socket) => rtsp.accept(socket));
    server.on('error', (err) => log.error({ err }, 'rtsp server error'));
    log.info({ host: opts.host, port, rtpPort: udp.rtpPort, rtcpPort: udp.rtcpPort }, 'rtsp server listening');
    return rtsp;
  }

  /** The UDP ports RTP and RTCP go out from (server_port in SETUP answers). */
  get udpPorts(): { rtp: number; rtcp: number } {
    return { rtp: this.ctx.udp.rtpPort, rtcp: this.ctx.udp.rtcpPort };
  }

  private accept(socket: net.Socket): void {
    if (this.closed || !socket.remoteAddress) {
      socket.destroy();
      return;
    }
    const c = new RtspConnection(this.nextConnId++, socket, this.ctx, (gone) => this.ctx.connections.delete(gone));
    this.ctx.connections.add(c);
  }

  /** Ends every session (players get RTCP BYE / the connection closes), then stops listening. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of [...this.ctx.sessions.values()]) s.end('server-closing');
    for (const c of [...this.ctx.connections]) c.close(true); // BYEs go out; destroyed after a short linger
    this.ctx.udp.close();
    await done;
  }

  stats(): RtspServerStats {
    let playing = 0;
    let tcp = 0;
    for (const s of this.ctx.sessions.values()) {
      if (s.state !== 'playing') continue;
      playing++;
      if (s.interleaved) tcp++;
    }
    return {
      port: this.port,
      rtpPort: this.ctx.udp.rtpPort,
      rtcpPort: this.ctx.udp.rtcpPort,
      connections: this.ctx.connections.size,
      sessions: this.ctx.sessions.size,
      playing,
      tcp,
      udp: playing - tcp,
      sessionsOpened: this.ctx.sessionsOpened,
      responses: { ...this.ctx.responses },
      packetsSent: this.ctx.counters.packets,
      bytesSent: this.ctx.counters.bytes,
    };
  }
}

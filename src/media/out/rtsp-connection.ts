import type net from 'node:net';
import type { MediaClaims } from '../../core/media-token.js';
import { type RtspMessage, RtspParseError, type RtspResponse, RtspStreamParser, serializeRtspMessage } from '../../lib/rtsp/index.js';
import { errorResponse, handleRequest, type RtspPeer, type RtspServerContext } from './rtsp-handlers.js';
import type { RtspSession, SessionEndReason } from './rtsp-session.js';

/** Requests waiting behind a slow one (DESCRIBE of a starting stream) before the client is cut off. */
const MAX_QUEUED = 16;
/** After a graceful close, how long the peer gets to read what is left before the socket is destroyed. */
const LINGER_MS = 2000;

/** Reasons the hub (or a format change) ends a session: the client has to notice, so the connection goes too. */
const CUT: ReadonlySet<SessionEndReason> = new Set(['slow', 'revoked', 'stream-ended', 'node-stopping', 'params-changed', 'server-closing']);

/**
 * One RTSP control connection: splits the byte stream into requests (answered one at a time, in order) and
 * interleaved frames (the client's RTCP receiver reports: ignored), carries the RTP of its TCP sessions, and closes
 * on garbage, on idleness, or when the hub ends its sessions.
 */
export class RtspConnection implements RtspPeer {
  readonly sessions = new Set<RtspSession>();
  readonly grants = new Map<string, MediaClaims>();
  readonly remote: string;
  readonly localOrigin: string;
  /** last complete request (or the connect) */
  lastActivity: number;
  private readonly parser: RtspStreamParser;
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private closing = false;
  private closed = false;
  private lingerTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: number,
    private readonly socket: net.Socket,
    private readonly ctx: RtspServerContext,
    private readonly onGone: (c: RtspConnection) => void,
  ) {
    this.lastActivity = Date.now();
    const ra = socket.remoteAddress ?? '';
    this.remote = ra.startsWith('::ffff:') ? ra.slice(7) : ra;
    const la = socket.localAddress ?? '127.0.0.1';
    const local = la.startsWith('::ffff:') ? la.slice(7) : la;
    this.localOrigin = `rtsp://${local.includes(':') ? `[${local}]` : local}:${socket.localPort ?? 0}`;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    this.parser = new RtspStreamParser({
      onMessage: (m) => this.onMessage(m),
      onInterleaved: () => {}, // RTCP receiver reports of TCP sessions (these live with the connection anyway)
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => ctx.log.debug({ remote: this.remote, err: err.message }, 'rtsp connection error'));
    socket.on('close', () => this.onClose());
  }

  get open(): boolean {
    return !this.closing && !this.socket.destroyed && this.socket.writable;
  }

  send(b: Buffer): void {
    if (this.open) this.socket.write(b);
  }

  backlog(): number {
    return this.socket.writableLength;
  }

  /** Closes the connection; `graceful` lets queued bytes (a last response, RTCP BYE) go out first. */
  close(graceful: boolean): void {
    if (this.closed) return;
    if (!graceful) {
      this.closing = true;
      this.socket.destroy();
      return;
    }
    if (this.closing) return;
    this.closing = true;
    this.socket.end();
    this.lingerTimer = setTimeout(() => this.socket.destroy(), LINGER_MS);
    this.lingerTimer.unref();
  }

  /** The server's periodic check: a connection with no session and no request for `idleMs` is closed. */
  sweep(now: number, idleMs: number): void {
    if (!this.closing && this.sessions.size === 0 && this.queued === 0 && now - this.lastActivity > idleMs) {
      this.ctx.log.debug({ remote: this.remote }, 'rtsp connection idle: closing');
      this.close(false);
    }
  }

  /** A session of this connection ended; a hub-side end takes the connection along so the player notices. */
  sessionEnded(s: RtspSession, reason: SessionEndReason): void {
    this.sessions.delete(s);
    if (CUT.has(reason) && (s.interleaved || this.sessions.size === 0)) this.close(reason !== 'slow' && reason !== 'revoked');
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    try {
      this.parser.push(chunk);
    } catch (e) {
      const status = e instanceof RtspParseError ? e.status : 400;
      this.ctx.count(status);
      this.ctx.log.debug({ remote: this.remote, err: (e as Error).message }, 'rtsp: unreadable input, closing');
      this.writeResponse(errorResponse(status));
      this.close(true);
    }
  }

  private onMessage(m: RtspMessage): void {
    if (m.kind !== 'request' || this.closing) return;
    this.lastActivity = Date.now();
    if (++this.queued > MAX_QUEUED) {
      this.ctx.count(503);
      this.writeResponse(errorResponse(503, m));
      this.close(true);
      return;
    }
    this.chain = this.chain
      .then(() => {
        if (this.closing) return;
        return handleRequest(this.ctx, this, m, (res) => this.writeResponse(res));
      })
      .catch((err: unknown) => {
        this.ctx.log.error({ err, remote: this.remote, method: m.method }, 'rtsp request failed');
        this.ctx.count(500);
        this.writeResponse(errorResponse(500, m));
      })
      .finally(() => {
        this.queued--;
        this.lastActivity = Date.now();
      });
  }

  private writeResponse(res: RtspResponse): void {
    this.send(serializeRtspMessage(res));
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    for (const s of [...this.sessions]) {
      if (s.interleaved) s.end('client-gone');
      else if (s.channel === this) s.channel = undefined; // UDP: lives on until TEARDOWN or its timeout
    }
    this.sessions.clear();
    this.onGone(this);
  }
}

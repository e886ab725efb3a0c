import net from 'node:net';
import type { Logger } from '../../core/logger.js';
import { RtspHeaders, type RtspMessage, type RtspResponse, RtspStreamParser, cseqOf, rtspRequest, rtspResponse, serializeRtspMessage } from '../../lib/rtsp/index.js';
import type { RtspAuth } from './rtsp-pull-auth.js';
import { PullError, socketError } from './rtsp-pull-errors.js';

export interface RtspControlOptions {
  host: string;
  port: number;
  /** TCP connect and each answer */
  timeoutMs: number;
  auth: RtspAuth;
  log: Logger;
  /** `$` frames (RFC 2326 §10.12); `data` is a view of the received chunk */
  onInterleaved(channel: number, data: Buffer): void;
  /** the connection is gone (server closed it, reset, garbage); not called after close() */
  onClose(err: PullError): void;
  /** aborts a connect in progress */
  signal?: AbortSignal;
}

/** An SDP or header block larger than this is refused; interleaved frames are ≤ 64 KiB by construction. */
const MAX_HEADER_BYTES = 16 * 1024;
const MAX_BODY_BYTES = 128 * 1024;
export const USER_AGENT = 'sharpeye';

interface Pending {
  cseq: number;
  method: string;
  resolve(r: RtspResponse): void;
  reject(e: PullError): void;
  timer: NodeJS.Timeout;
}

/**
 * The client end of one RTSP control connection (RFC 2326 §10): one request at a time with CSeq, responses matched
 * back (a response without CSeq, as some cameras send, is taken for the outstanding request), a 401 answered once with
 * credentials (RtspAuth), interleaved RTP handed on, requests from the server answered (OPTIONS/GET_PARAMETER 200,
 * anything else 501). Held input is bounded by the stream parser: one header block, one body, or one frame.
 */
export class RtspControl {
  session: string | undefined;
  private cseq = 0;
  private pending: Pending | undefined;
  /** requests go one at a time (RFC 2326 §9.1 allows pipelining; cameras do not cope with it) */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly parser: RtspStreamParser;
  private readonly gone: Promise<void>;

  private constructor(
    private readonly socket: net.Socket,
    private readonly opts: RtspControlOptions,
  ) {
    this.parser = new RtspStreamParser({
      onMessage: (m) => this.onMessage(m),
      onInterleaved: (ch, data) => this.opts.onInterleaved(ch, data),
      maxHeaderBytes: MAX_HEADER_BYTES,
      maxBodyBytes: MAX_BODY_BYTES,
    });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 15_000);
    socket.on('data', (chunk: Buffer) => {
      if (this.closed) return;
      try {
        this.parser.push(chunk);
      } catch (e) {
        this.fail(new PullError('PROTOCOL', `unreadable RTSP from the server: ${(e as Error).message}`));
      }
    });
    socket.on('error', (e) => this.fail(socketError(e, 'RTSP connection')));
    this.gone = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('close', () => this.fail(new PullError('UNREACHABLE', 'the server closed the RTSP connection')));
  }

  /** Opens the TCP connection; refused/unreachable hosts and a connect that hangs for timeoutMs give UNREACHABLE. */
  static connect(opts: RtspControlOptions): Promise<RtspControl> {
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) return reject(new PullError('PROTOCOL', 'connect aborted'));
      const socket = net.connect({ host: opts.host, port: opts.port });
      const done = (): void => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        socket.off('error', onError);
      };
      const timer = setTimeout(() => {
        done();
        socket.destroy();
        reject(new PullError('UNREACHABLE', `no TCP connection to ${opts.host}:${opts.port} within ${opts.timeoutMs} ms`));
      }, opts.timeoutMs);
      const onError = (e: Error): void => {
        done();
        socket.destroy();
        reject(socketError(e, `connect to ${opts.host}:${opts.port}`));
      };
      const onAbort = (): void => {
        done();
        socket.destroy();
        reject(new PullError('PROTOCOL', 'connect aborted'));
      };
      socket.once('error', onError);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => {
        done();
        resolve(new RtspControl(socket, opts));
      });
    });
  }

  get open(): boolean {
    return !this.closed;
  }

  /** The server's address as connected (UDP media must come from there). */
  get remoteAddress(): string {
    const a = this.socket.remoteAddress ?? '';
    return a.startsWith('::ffff:') ? a.slice(7) : a;
  }

  get remoteFamily(): 'IPv4' | 'IPv6' {
    return this.socket.remoteFamily === 'IPv6' && !(this.socket.remoteAddress ?? '').startsWith('::ffff:') ? 'IPv6' : 'IPv4';
  }

  /**
   * Sends a request and waits for its answer (timeoutMs, or `timeoutMs` given). A 401 is answered with credentials
   * once; the 401 is returned when they are refused. Rejects with TIMEOUT when the server does not answer, with the
   * connection's error when it goes away.
   */
  request(method: string, uri: string, headers: Record<string, string | undefined> = {}, timeoutMs = this.opts.timeoutMs): Promise<RtspResponse> {
    const run = this.queue.then(() => this.exchange(method, uri, headers, timeoutMs));
    this.queue = run.catch(() => {});
    return run;
  }

  private async exchange(method: string, uri: string, headers: Record<string, string | undefined>, timeoutMs: number): Promise<RtspResponse> {
    let retried = false;
    for (;;) {
      const res = await this.send(method, uri, headers, timeoutMs);
      if (res.status !== 401) return res;
      if (this.opts.auth.challenge(res.headers.getAll('www-authenticate'), retried) === 'failed') return res;
      retried = true;
    }
  }

  private send(method: string, uri: string, extra: Record<string, string | undefined>, timeoutMs: number): Promise<RtspResponse> {
    if (this.closed) return Promise.reject(new PullError('UNREACHABLE', `${method}: the RTSP connection is closed`));
    if (this.pending) return Promise.reject(new PullError('PROTOCOL', `${method} while ${this.pending.method} is unanswered`));
    const cseq = ++this.cseq;
    const h = new RtspHeaders({ CSeq: cseq, 'User-Agent': USER_AGENT, ...extra });
    if (this.session && !h.has('session')) h.set('Session', this.session);
    const auth = this.opts.auth.header(method, uri);
    if (auth) h.set('Authorization', auth);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        reject(new PullError('TIMEOUT', `no answer to ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending = { cseq, method, resolve, reject, timer };
      this.socket.write(serializeRtspMessage(rtspRequest(method, uri, h)));
    });
  }

  private onMessage(m: RtspMessage): void {
    if (m.kind === 'request') {
      // RFC 2326 §10: a server may send OPTIONS/GET_PARAMETER as keepalive; nothing else is supported here
      const ok = m.method === 'OPTIONS' || m.method === 'GET_PARAMETER';
      if (!this.closed) this.socket.write(serializeRtspMessage(rtspResponse(ok ? 200 : 501, m, this.session ? { Session: this.session } : {})));
      return;
    }
    const p = this.pending;
    if (!p) return;
    const n = cseqOf(m);
    if (n !== undefined && n !== p.cseq) {
      this.opts.log.debug({ cseq: n, want: p.cseq }, 'rtsp answer for another request, ignored');
      return;
    }
    this.pending = undefined;
    clearTimeout(p.timer);
    p.resolve(m);
  }

  private fail(err: PullError): void {
    if (this.closed) return;
    this.shut(err);
    this.opts.onClose(err);
  }

  private shut(err: PullError): void {
    this.closed = true;
    const p = this.pending;
    this.pending = undefined;
    if (p) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.socket.destroy();
  }

  /**
   * Destroys the connection; an outstanding request is rejected, onClose is not called. Resolves when the socket's
   * handle is released.
   */
  close(): Promise<void> {
    if (!this.closed) this.shut(new PullError('UNREACHABLE', 'RTSP connection closed'));
    return this.gone;
  }
}

import net from 'node:net';
import type { Logger } from '../../core/logger.js';
import type { Stream } from '../../stream/index.js';
import { RtmpConnection, type RtmpAuthorizeResult, type RtmpConnectionContext, type RtmpPublishRequest } from './rtmp-connection.js';

export type { RtmpAuthorizeResult, RtmpPublishRequest } from './rtmp-connection.js';

export interface RtmpServerOptions {
  host: string;
  /** 0: any free port (see `port`) */
  port: number;
  log: Logger;
  /**
   * Decides who may publish: the hub Stream to feed, or an error text (sent as onStatus NetStream.Publish.Unauthorized,
   * or .BadName with `code: 'BadName'`, and the connection closed). Called once per publish command; should not
   * assume the publish starts (a stream already fed by another RTMP publisher is still refused afterwards).
   */
  authorize(req: RtmpPublishRequest): Promise<RtmpAuthorizeResult>;
  /** the publisher got NetStream.Publish.Start; its frames go to the stream from now on */
  onPublishStart?(req: RtmpPublishRequest): void;
  /** a started publish is over: `unpublished` (FCUnpublish/deleteStream), `disconnected`, `timeout`, `protocol error`,
   *  `stream ended` (the hub ended the stream), `server closing`, `not reading` */
  onPublishEnd?(req: RtmpPublishRequest, reason: string): void;
  /** default 1000; connections beyond are closed at once and counted in `rejected` */
  maxConnections?: number;
  /** a connection that has not started publishing this long after connecting (or after unpublishing), or a
   *  publisher that sent nothing this long, is closed; default 10 s */
  idleTimeoutMs?: number;
  /** refuse (close the connection on) RTMP messages longer than this; default and most 16 MiB − 1 */
  maxMessageBytes?: number;
}

export interface RtmpServerStats {
  /** open connections */
  connections: number;
  /** connections publishing into a hub stream now */
  publishing: number;
  /** bytes received over all connections since the start */
  bytesIn: number;
  /** refused publishes (authorize said no, stream already published) and connections over maxConnections */
  rejected: number;
}

/**
 * RTMP push input (Adobe RTMP spec 1.0, FLV spec v10.1 tag bodies, Enhanced RTMP for HEVC): encoders and cameras
 * publish `rtmp://host:port/<app>/<name>?key=…`; `authorize` maps the request to a hub Stream and the published
 * audio/video becomes Frames pushed into it.
 *
 * One publisher per hub stream: a second publish into a stream that is being fed by another RTMP connection is
 * refused (NetStream.Publish.BadName) rather than taking over, so a leaked or guessed key cannot cut a running
 * publisher off; a dead publisher's connection is closed after `idleTimeoutMs` without data, after which the
 * encoder's reconnect is accepted.
 */
export class RtmpServer {
  private closed = false;
  private nextConnId = 1;
  private readonly connections = new Set<RtmpConnection>();

  private constructor(
    private readonly server: net.Server,
    private readonly ctx: RtmpConnectionContext,
    private readonly maxConnections: number,
    readonly port: number,
    private readonly timer: NodeJS.Timeout,
  ) {}

  static async listen(opts: RtmpServerOptions): Promise<RtmpServer> {
    const server = net.createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as net.AddressInfo).port;
    const idleTimeoutMs = opts.idleTimeoutMs ?? 10_000;
    const ctx: RtmpConnectionContext = {
      log: opts.log,
      idleTimeoutMs,
      maxMessageBytes: Math.min(opts.maxMessageBytes ?? 0xffffff, 0xffffff),
      authorize: opts.authorize,
      onPublishStart: opts.onPublishStart,
      onPublishEnd: opts.onPublishEnd,
      publishers: new Map<Stream, RtmpConnection>(),
      counters: { bytesIn: 0, rejected: 0, publishing: 0 },
    };
    let rtmp: RtmpServer | undefined;
    const timer = setInterval(
      () => {
        try {
          rtmp?.sweep(Date.now());
        } catch (err) {
          opts.log.error({ err }, 'rtmp sweep failed');
        }
      },
      Math.max(50, Math.min(1000, idleTimeoutMs / 4)),
    );
    timer.unref();
    rtmp = new RtmpServer(server, ctx, opts.maxConnections ?? 1000, port, timer);
    const self = rtmp;
    server.on('connection', (socket) => self.accept(socket));
    server.on('error', (err) => opts.log.error({ err }, 'rtmp server error'));
    opts.log.info({ host: opts.host, port }, 'rtmp server listening');
    return rtmp;
  }

  private accept(socket: net.Socket): void {
    socket.on('error', () => {}); // errors of a socket refused below (its connection installs its own handler)
    if (this.closed || !socket.remoteAddress) {
      socket.destroy();
      return;
    }
    if (this.connections.size >= this.maxConnections) {
      this.ctx.counters.rejected++;
      this.ctx.log.warn({ remote: socket.remoteAddress, max: this.maxConnections }, 'rtmp: too many connections, refusing');
      socket.destroy();
      return;
    }
    const c = new RtmpConnection(this.nextConnId++, socket, this.ctx, (gone) => this.connections.delete(gone));
    this.connections.add(c);
  }

  private sweep(now: number): void {
    for (const c of this.connections) c.sweep(now, this.ctx.idleTimeoutMs);
  }

  /** Closes every connection (publishers end with reason `server closing`) and stops listening. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const conns = [...this.connections];
    for (const c of conns) c.close('server closing');
    await Promise.all([done, ...conns.map((c) => c.gone)]);
  }

  stats(): RtmpServerStats {
    return {
      connections: this.connections.size,
      publishing: this.ctx.counters.publishing,
      bytesIn: this.ctx.counters.bytesIn,
      rejected: this.ctx.counters.rejected,
    };
  }
}

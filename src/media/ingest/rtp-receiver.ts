import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '../../core/logger.js';
import { parseRtp, Rfc4571Framer, type RtpPacket } from '../../lib/rtp/index.js';
import type { RtpTransport } from '../node.js';

export interface RtpReceiverOptions {
  transport: RtpTransport;
  host: string;
  port: number;
  log: Logger;
  onPacket(p: RtpPacket): void;
  /** a TCP peer that connects and sends nothing for this long is dropped */
  tcpIdleMs?: number;
}

export interface RtpReceiverStats {
  packets: number;
  bytes: number;
  garbage: number;
  badSsrc: number;
  connections: number;
}

/**
 * One stream's RTP input: a UDP socket, a TCP listener (the device connects: `a=setup:passive` on our side), or a
 * TCP connection we open to the device (`active`). TCP uses RFC 4571 framing. Packets with a foreign SSRC are
 * dropped (GB/T 28181-2016 §9.2: the SSRC of the INVITE identifies the stream); garbage never reaches the demuxer.
 */
export class RtpReceiver {
  readonly stats: RtpReceiverStats = { packets: 0, bytes: 0, garbage: 0, badSsrc: 0, connections: 0 };
  private udp?: dgram.Socket;
  private server?: net.Server;
  private conn?: net.Socket;
  private expectedSsrc?: number;
  private foreignSsrc?: { ssrc: number; since: number; count: number };
  private closed = false;

  private constructor(private readonly opts: RtpReceiverOptions) {}

  static async open(opts: RtpReceiverOptions): Promise<RtpReceiver> {
    const r = new RtpReceiver(opts);
    if (opts.transport === 'udp') await r.bindUdp();
    else if (opts.transport === 'tcp-passive') await r.listenTcp();
    return r;
  }

  get port(): number {
    return this.opts.port;
  }

  expectSsrc(ssrc: number | undefined): void {
    this.expectedSsrc = ssrc;
    this.foreignSsrc = undefined;
  }

  private bindUdp(): Promise<void> {
    const s = dgram.createSocket({ type: 'udp4', reuseAddr: false });
    this.udp = s;
    s.on('message', (msg) => this.onDatagram(msg));
    return new Promise((resolve, reject) => {
      s.once('error', (e) => {
        // the port is taken (the pool tries the next one): close this socket quietly
        this.udp = undefined;
        s.close();
        reject(e);
      });
      s.bind(this.opts.port, this.opts.host, () => {
        s.removeAllListeners('error');
        s.on('error', (e) => this.opts.log.warn({ err: e.message, port: this.opts.port }, 'rtp udp socket error'));
        try {
          s.setRecvBufferSize(4 * 1024 * 1024); // bursts of a keyframe at 2-8 Mb/s
        } catch {
          /* the OS may cap it; not fatal */
        }
        resolve();
      });
    });
  }

  private listenTcp(): Promise<void> {
    const server = net.createServer((sock) => this.adopt(sock));
    this.server = server;
    server.maxConnections = 2;
    return new Promise((resolve, reject) => {
      server.once('error', (e) => {
        this.server = undefined;
        server.close();
        reject(e);
      });
      server.listen(this.opts.port, this.opts.host, () => {
        server.removeAllListeners('error');
        server.on('error', (e) => this.opts.log.warn({ err: e.message, port: this.opts.port }, 'rtp tcp listener error'));
        resolve();
      });
    });
  }

  /** tcp-active: connect to where the device listens (its SDP answer). */
  connect(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host, port, localPort: undefined });
      sock.once('connect', () => {
        sock.off('error', reject);
        this.adopt(sock);
        resolve();
      });
      sock.once('error', reject);
      sock.setTimeout(5000, () => sock.destroy(new Error(`connect to ${host}:${port} timed out`)));
    });
  }

  private adopt(sock: net.Socket): void {
    if (this.closed) {
      sock.destroy();
      return;
    }
    if (this.conn && !this.conn.destroyed) {
      this.opts.log.info({ port: this.opts.port }, 'rtp tcp: a newer connection replaces the old one');
      this.conn.destroy();
    }
    this.conn = sock;
    this.stats.connections++;
    sock.setNoDelay(true);
    const idle = this.opts.tcpIdleMs ?? 10_000;
    sock.setTimeout(idle, () => {
      this.opts.log.warn({ port: this.opts.port, remote: sock.remoteAddress }, 'rtp tcp peer silent, dropped');
      sock.destroy();
    });
    const framer = new Rfc4571Framer({ onPacket: (b) => this.onDatagram(b) });
    sock.on('data', (chunk) => {
      try {
        framer.push(chunk);
      } catch (e) {
        this.stats.garbage++;
        this.opts.log.warn({ port: this.opts.port, err: (e as Error).message }, 'rtp tcp framing broken, connection dropped');
        sock.destroy();
      }
    });
    sock.on('error', () => {});
  }

  private onDatagram(buf: Buffer): void {
    this.stats.bytes += buf.length;
    const p = parseRtp(buf);
    if (!p) {
      this.stats.garbage++;
      return;
    }
    if (this.expectedSsrc !== undefined && p.ssrc !== this.expectedSsrc) {
      this.stats.badSsrc++;
      if (!this.adoptForeignSsrc(p.ssrc)) return;
    }
    this.stats.packets++;
    this.opts.onPacket(p);
  }

  /**
   * Some devices answer with one `y=` and send another SSRC. When nothing but one foreign SSRC arrives for 3 s we
   * accept it (logged), instead of showing a black picture; a second sender is still refused.
   */
  private adoptForeignSsrc(ssrc: number): boolean {
    const now = Date.now();
    if (!this.foreignSsrc || this.foreignSsrc.ssrc !== ssrc) {
      this.foreignSsrc = { ssrc, since: now, count: 1 };
      return false;
    }
    this.foreignSsrc.count++;
    if (this.stats.packets === 0 && now - this.foreignSsrc.since >= 3000 && this.foreignSsrc.count > 50) {
      this.opts.log.warn({ port: this.opts.port, expected: this.expectedSsrc, got: ssrc }, 'device sends another SSRC than negotiated; accepted');
      this.expectedSsrc = ssrc;
      return true;
    }
    return false;
  }

  /** Closes sockets; the port can go back to the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.conn?.destroy();
    if (this.udp) await new Promise<void>((r) => this.udp!.close(() => r()));
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
  }
}

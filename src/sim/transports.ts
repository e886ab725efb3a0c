import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '../core/logger.js';
import { SipStreamFramer } from '../lib/sip/index.js';
import { SipSockets } from '../servers/sip-transport.js';
import type { Peer, SipTransport } from '../sip/transport.js';

/** Wire counters shared by every transport of one simulator. */
export interface WireCounters {
  sipSent: number;
  sipReceived: number;
  bytesSent: number;
  bytesReceived: number;
  tcpConnects: number;
  tcpDrops: number;
}

export function newWireCounters(): WireCounters {
  return { sipSent: 0, sipReceived: 0, bytesSent: 0, bytesReceived: 0, tcpConnects: 0, tcpDrops: 0 };
}

/** Counts what goes through a transport (every datagram, retransmissions included). */
export class CountingTransport implements SipTransport {
  constructor(
    private readonly inner: SipTransport,
    private readonly c: WireCounters,
  ) {}

  get local(): { address: string; port: number } {
    return this.inner.local;
  }

  send(peer: Peer, data: Buffer): void {
    this.c.sipSent++;
    this.c.bytesSent += data.length;
    this.inner.send(peer, data);
  }

  onMessage(handler: (data: Buffer, peer: Peer) => void): void {
    this.inner.onMessage((data, peer) => {
      this.c.sipReceived++;
      this.c.bytesReceived += data.length;
      handler(data, peer);
    });
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** One local UDP socket (shared by up to `--devices-per-socket` devices). */
export async function openUdp(host: string, log: Logger, c: WireCounters): Promise<SipTransport> {
  const s = await SipSockets.open({ host, port: 0, udp: true, tcp: false, log });
  return new CountingTransport(s, c);
}

/** The local address the OS would use to reach `server` (what a device puts in Via and Contact). */
export async function routeAddress(server: { host: string; port: number }): Promise<string> {
  const sock = dgram.createSocket(net.isIPv6(server.host) ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.connect(server.port, server.host, () => resolve());
    });
    return sock.address().address;
  } finally {
    sock.close();
  }
}

/**
 * One device's TCP connection to the server (RFC 3261 §18: requests both ways on the connection, framed by
 * Content-Length). Opened by `connect()`; when it drops, `onDrop` fires and the next `connect()` dials again.
 */
export class TcpClientTransport implements SipTransport {
  private sock?: net.Socket;
  private framer = new SipStreamFramer();
  private handler: (data: Buffer, peer: Peer) => void = () => undefined;
  private dropHandler: () => void = () => undefined;
  private readonly peer: Peer;
  private closed = false;
  local: { address: string; port: number };

  constructor(
    private readonly server: { host: string; port: number },
    private readonly localHost: string,
    private readonly c: WireCounters,
  ) {
    this.peer = { transport: 'TCP', address: server.host, port: server.port, connId: 'server' };
    this.local = { address: localHost, port: 0 };
  }

  get connected(): boolean {
    return !!this.sock && !this.sock.destroyed && !this.sock.connecting;
  }

  /** The peer to address the server with over this connection. */
  get serverPeer(): Peer {
    return this.peer;
  }

  onMessage(h: (data: Buffer, peer: Peer) => void): void {
    this.handler = h;
  }

  onDrop(h: () => void): void {
    this.dropHandler = h;
  }

  connect(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return Promise.reject(new Error('transport closed'));
    if (this.connected) return Promise.resolve();
    this.sock?.destroy();
    return new Promise<void>((resolve, reject) => {
      const sock = net.connect({ host: this.server.host, port: this.server.port, localAddress: this.localHost });
      this.sock = sock;
      this.framer = new SipStreamFramer();
      const timer = setTimeout(() => sock.destroy(new Error('TCP connect timed out')), timeoutMs);
      let up = false;
      sock.once('connect', () => {
        clearTimeout(timer);
        up = true;
        this.c.tcpConnects++;
        sock.setNoDelay(true);
        sock.setKeepAlive(true, 60_000);
        this.local = { address: sock.localAddress ?? this.localHost, port: sock.localPort ?? 0 };
        resolve();
      });
      sock.on('data', (chunk) => {
        let msgs: Buffer[];
        try {
          msgs = this.framer.push(chunk);
        } catch {
          sock.destroy();
          return;
        }
        for (const m of msgs) {
          this.c.sipReceived++;
          this.c.bytesReceived += m.length;
          this.handler(m, this.peer);
        }
      });
      sock.on('error', (e) => {
        if (!up) {
          clearTimeout(timer);
          reject(e);
        }
      });
      sock.on('close', () => {
        clearTimeout(timer);
        if (this.sock !== sock) return;
        this.sock = undefined;
        if (up) {
          this.c.tcpDrops++;
          if (!this.closed) this.dropHandler();
        }
      });
    });
  }

  send(_peer: Peer, data: Buffer): void {
    if (!this.sock || this.sock.destroyed) return; // lost with the connection; transactions time out
    this.c.sipSent++;
    this.c.bytesSent += data.length;
    this.sock.write(data);
  }

  async close(): Promise<void> {
    this.closed = true;
    const s = this.sock;
    this.sock = undefined;
    if (!s || s.destroyed) return;
    await new Promise<void>((resolve) => {
      s.once('close', () => resolve());
      s.end();
      setTimeout(() => s.destroy(), 1000).unref();
    });
  }
}

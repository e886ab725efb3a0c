import dgram from 'node:dgram';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Logger } from '../core/logger.js';
import { SipStreamFramer } from '../lib/sip/index.js';
import { peerKey, type Peer, type SipTransport } from '../sip/transport.js';

function ipv4Addrs() {
  return Object.values(networkInterfaces())
    .flat()
    .filter((i): i is NonNullable<typeof i> => Boolean(i) && i!.family === 'IPv4' && !i!.internal);
}

function firstLanAddress(): string | undefined {
  return ipv4Addrs()[0]?.address;
}

const toInt = (ip: string) => ip.split('.').reduce((n, o) => ((n << 8) | Number(o)) >>> 0, 0);

function sameSubnet(peer: string): string | undefined {
  if (!net.isIPv4(peer)) return undefined;
  const p = toInt(peer);
  for (const i of ipv4Addrs()) {
    const mask = toInt(i.netmask);
    if ((toInt(i.address) & mask) === (p & mask)) return i.address;
  }
  return undefined;
}

export interface SipSocketOptions {
  host: string;
  port: number;
  /** Address written into Via/Contact (the bind address unless it is 0.0.0.0). */
  advertise?: string;
  udp?: boolean;
  tcp?: boolean;
  log: Logger;
  /** Cap on TCP connections (the process file limit is finite); new ones beyond it are refused. */
  maxTcpConnections?: number;
}

/**
 * SIP over UDP and TCP on one port (RFC 3261 §18). TCP connections are framed by Content-Length; many devices
 * may share one connection (lower platforms), and answers go back on the connection a request came in on.
 */
export class SipSockets implements SipTransport {
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly conns = new Map<string, net.Socket>();
  private handler: (data: Buffer, peer: Peer) => void = () => undefined;
  private errorHandler: (err: Error, peer: Peer) => void = () => undefined;
  private seq = 0;
  local: { address: string; port: number };

  private constructor(private readonly opts: SipSocketOptions) {
    this.local = { address: opts.advertise ?? opts.host, port: opts.port };
  }

  static async open(opts: SipSocketOptions): Promise<SipSockets> {
    // Port 0 (tests, benches): the OS picks a free UDP port, but the same number may be taken for TCP by another
    // program's outgoing connection; pick again instead of failing.
    for (let attempt = 0; ; attempt++) {
      const s = new SipSockets(opts);
      try {
        await s.start();
        return s;
      } catch (e) {
        await s.close().catch(() => undefined);
        if (opts.port !== 0 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 10) throw e;
      }
    }
  }

  onMessage(h: (data: Buffer, peer: Peer) => void): void {
    this.handler = h;
  }

  onError(h: (err: Error, peer: Peer) => void): void {
    this.errorHandler = h;
  }

  private async start(): Promise<void> {
    const { host, port, log } = this.opts;
    if (this.opts.udp !== false) {
      const udp = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4', recvBufferSize: 8 * 1024 * 1024, sendBufferSize: 8 * 1024 * 1024 });
      udp.on('message', (data, rinfo) => this.deliver(data, { transport: 'UDP', address: rinfo.address, port: rinfo.port }));
      udp.on('error', (e) => log.error({ err: e }, 'SIP UDP socket error'));
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, host, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      this.udp = udp;
      this.local.port = udp.address().port;
    }
    if (this.opts.tcp !== false) {
      const tcp = net.createServer((sock) => this.adopt(sock));
      tcp.maxConnections = this.opts.maxTcpConnections ?? 15000;
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        // Accept queue of 4096 (Node's default is 511): thousands of devices connecting at once after a restart
        // would otherwise lose SYNs and wait out 1 s, 3 s, 7 s retransmissions before they can even REGISTER.
        tcp.listen({ port: this.local.port, host, backlog: 4096 }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      this.tcp = tcp;
      this.local.port = (tcp.address() as net.AddressInfo).port;
    }
    if (this.local.address === '0.0.0.0' || this.local.address === '::') {
      this.wildcard = true;
      this.local.address = firstLanAddress() ?? '127.0.0.1';
    }
  }

  private wildcard = false;
  private readonly routeCache = new Map<string, string>();

  /**
   * Bound to every interface, the right Via/Contact address depends on the peer: loopback peers get 127.0.0.1,
   * others the local address of the interface whose subnet holds them (else the first LAN address).
   */
  localFor(peer: Peer): { address: string; port: number } {
    if (!this.wildcard) return this.local;
    let a = this.routeCache.get(peer.address);
    if (!a) {
      a = peer.address.startsWith('127.') || peer.address === '::1' ? '127.0.0.1' : (sameSubnet(peer.address) ?? this.local.address);
      if (this.routeCache.size > 10_000) this.routeCache.clear();
      this.routeCache.set(peer.address, a);
    }
    return { address: a, port: this.local.port };
  }

  private deliver(data: Buffer, peer: Peer): void {
    try {
      this.handler(data, peer);
    } catch (e) {
      this.opts.log.error({ err: e, peer }, 'SIP handler threw');
    }
  }

  private adopt(sock: net.Socket, dialled?: { address: string; port: number }): string {
    const connId = `c${++this.seq}`;
    const peer: Peer = { transport: 'TCP', address: dialled?.address ?? sock.remoteAddress ?? '?', port: dialled?.port ?? sock.remotePort ?? 0, connId };
    this.conns.set(connId, sock);
    this.conns.set(peerKey(peer), sock);
    sock.setNoDelay(true);
    sock.setKeepAlive(true, 60_000);
    const framer = new SipStreamFramer();
    sock.on('data', (chunk) => {
      let msgs: Buffer[];
      try {
        msgs = framer.push(chunk);
      } catch (e) {
        this.errorHandler(e as Error, peer);
        sock.destroy();
        return;
      }
      for (const m of msgs) this.deliver(m, peer);
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      this.conns.delete(connId);
      if (this.conns.get(peerKey(peer)) === sock) this.conns.delete(peerKey(peer));
    });
    return connId;
  }

  send(peer: Peer, data: Buffer): void {
    if (peer.transport === 'UDP') {
      this.udp?.send(data, peer.port, peer.address);
      return;
    }
    let sock = (peer.connId && this.conns.get(peer.connId)) || this.conns.get(peerKey(peer));
    if (!sock || sock.destroyed) {
      sock = net.connect({ host: peer.address, port: peer.port });
      this.adopt(sock, peer);
    }
    sock.write(data);
  }

  get tcpConnections(): number {
    return [...this.conns.keys()].filter((k) => k.startsWith('c')).length;
  }

  async close(): Promise<void> {
    for (const s of this.conns.values()) s.destroy();
    this.conns.clear();
    await Promise.all([
      this.udp ? new Promise<void>((r) => this.udp!.close(() => r())) : undefined,
      this.tcp ? new Promise<void>((r) => this.tcp!.close(() => r())) : undefined,
    ]);
  }
}

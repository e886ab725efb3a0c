import dgram from 'node:dgram';
import net from 'node:net';

/**
 * Where a stream's RTP goes: a UDP socket, a TCP connection we open (the offer said a=setup:passive), or a TCP
 * connection the platform opens to a port we listen on (the offer said a=setup:active). RFC 4571 framing on TCP.
 */
export interface MediaLeg {
  readonly kind: 'udp' | 'tcp-active' | 'tcp-passive';
  /** the port we put in the answer's m= line */
  readonly localPort: number;
  /** RTP packets must carry the RFC 4571 length prefix */
  readonly framed: boolean;
  /** can take packets now (TCP: connected) */
  readonly ready: boolean;
  /** bytes accepted but not yet written to the kernel (TCP back-pressure) */
  readonly backlog: number;
  /** one frame's packets */
  send(packets: readonly Buffer[]): void;
  /** the peer closed or reset the connection, or it never came (TCP only); called once */
  onGone(cb: (why: string) => void): void;
  /** the platform connected (tcp-passive) */
  onReady(cb: () => void): void;
  close(): void;
}

abstract class BaseLeg {
  protected goneCb?: (why: string) => void;
  protected readyCb?: () => void;
  protected closed = false;
  private goneFired = false;

  onGone(cb: (why: string) => void): void {
    this.goneCb = cb;
  }

  onReady(cb: () => void): void {
    this.readyCb = cb;
  }

  protected gone(why: string): void {
    if (this.closed || this.goneFired) return;
    this.goneFired = true;
    this.goneCb?.(why);
  }
}

/** UDP: one socket per stream, connected to the offer's c=/port (the answer names its port). */
export class UdpLeg extends BaseLeg implements MediaLeg {
  readonly kind = 'udp' as const;
  readonly framed = false;
  readonly backlog = 0;
  errors = 0;

  private constructor(
    private readonly sock: dgram.Socket,
    readonly localPort: number,
  ) {
    super();
    sock.on('error', () => {
      this.errors++; // ICMP unreachable and the like: a camera keeps sending
    });
    sock.on('message', () => undefined); // RTCP from the platform, if any: ignored
  }

  get ready(): boolean {
    return !this.closed;
  }

  static async open(remote: { ip: string; port: number }): Promise<UdpLeg> {
    const sock = dgram.createSocket({ type: net.isIPv6(remote.ip) ? 'udp6' : 'udp4', sendBufferSize: 1 << 20 });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      // any address: the kernel picks the source that routes to the platform (the answer's c= says `localHost`)
      sock.bind(0, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.connect(remote.port, remote.ip, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    return new UdpLeg(sock, sock.address().port);
  }

  send(packets: readonly Buffer[]): void {
    if (this.closed) return;
    for (const p of packets) this.sock.send(p, this.onSent);
  }

  private readonly onSent = (err: Error | null) => {
    if (err) this.errors++;
  };

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.sock.close();
    } catch {
      /* already closed */
    }
  }
}

abstract class TcpLeg extends BaseLeg {
  readonly framed = true;
  protected sock?: net.Socket;

  get ready(): boolean {
    return !!this.sock && !this.sock.destroyed && !this.sock.connecting && !this.closed;
  }

  get backlog(): number {
    return this.sock?.writableLength ?? 0;
  }

  protected adopt(sock: net.Socket): void {
    this.sock = sock;
    sock.setNoDelay(true);
    sock.on('data', () => undefined); // RTCP over the connection, if any: ignored
    sock.on('error', () => undefined);
    sock.on('close', () => this.gone('media connection closed by the platform'));
    sock.on('end', () => sock.end());
  }

  send(packets: readonly Buffer[]): void {
    const s = this.sock;
    if (!s || s.destroyed || this.closed) return;
    s.cork();
    for (const p of packets) s.write(p);
    s.uncork();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock?.destroy();
  }
}

/** We connect to the platform (offer a=setup:passive, answer a=setup:active). */
export class TcpActiveLeg extends TcpLeg implements MediaLeg {
  readonly kind = 'tcp-active' as const;

  private constructor(readonly localPort: number) {
    super();
  }

  /** Connects before the answer is sent, so the answer carries the real local port (and a refused port is a 488). */
  static connect(remote: { ip: string; port: number }, timeoutMs = 5000): Promise<TcpActiveLeg> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: remote.ip, port: remote.port });
      const timer = setTimeout(() => sock.destroy(new Error(`TCP connect to ${remote.ip}:${remote.port} timed out`)), timeoutMs);
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        const leg = new TcpActiveLeg(sock.localPort ?? 0);
        leg.adopt(sock);
        resolve(leg);
      });
    });
  }
}

/** The platform connects to us (offer a=setup:active, answer a=setup:passive): we listen, take the first connection. */
export class TcpPassiveLeg extends TcpLeg implements MediaLeg {
  readonly kind = 'tcp-passive' as const;
  private timer?: NodeJS.Timeout;

  private constructor(
    private readonly server: net.Server,
    readonly localPort: number,
  ) {
    super();
    server.on('connection', (sock) => {
      if (this.sock || this.closed) {
        sock.destroy();
        return;
      }
      clearTimeout(this.timer);
      this.adopt(sock);
      server.close();
      this.readyCb?.();
    });
  }

  /** Listens on every address (the answer's c= names the one the platform should use). */
  static async listen(): Promise<TcpPassiveLeg> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new TcpPassiveLeg(server, (server.address() as net.AddressInfo).port);
  }

  /** Gives up when the platform has not connected within `ms`. */
  expectWithin(ms: number): void {
    if (this.sock) return;
    this.timer = setTimeout(() => this.gone(`the platform did not connect to port ${this.localPort} within ${ms / 1000} s`), ms);
  }

  override close(): void {
    clearTimeout(this.timer);
    this.server.close();
    super.close();
  }
}

export async function openLeg(kind: MediaLeg['kind'], remote: { ip: string; port: number }): Promise<MediaLeg> {
  if (kind === 'udp') return UdpLeg.open(remote);
  if (kind === 'tcp-active') return TcpActiveLeg.connect(remote);
  return TcpPassiveLeg.listen();
}

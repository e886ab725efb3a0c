import dgram from 'node:dgram';
import net from 'node:net';

/**
 * Where an RTP sender's packets go (GB/T 28181-2016 §附录 D media transport, RFC 4571 framing on TCP):
 *   udp          one socket, bound to our port (the one our SDP names), connected to the peer's c=/m= address;
 *   tcp-active   we connect to the peer (its offer said a=setup:passive, our answer says a=setup:active);
 *   tcp-passive  we listen and take the first connection (its offer said a=setup:active, our answer a=setup:passive).
 * Used by the cascade sender (media/out/rtp-sends.ts) and by the device simulator (sim/media), which is why binding
 * is optional: port 0 lets the kernel choose.
 */
export type RtpLegKind = 'udp' | 'tcp-active' | 'tcp-passive';

/** Why a leg went away by itself (TCP only: UDP has no connection to lose). */
export type LegGoneReason = 'peer-closed' | 'no-connection';

export interface MediaLeg {
  readonly kind: RtpLegKind;
  /** the port we put in the answer's m= line */
  readonly localPort: number;
  /** RTP packets must carry the RFC 4571 length prefix */
  readonly framed: boolean;
  /** can take packets now (TCP: connected) */
  readonly ready: boolean;
  /** bytes accepted but not yet written to the kernel (TCP back-pressure; 0 for UDP) */
  readonly backlog: number;
  /** `host:port` of the peer once known */
  readonly peer: string | undefined;
  /** one frame's packets */
  send(packets: readonly Buffer[]): void;
  /** the peer closed or reset the connection, or it never came (TCP only); called once */
  onGone(cb: (why: string, reason: LegGoneReason) => void): void;
  /** the peer connected (tcp-passive) */
  onReady(cb: () => void): void;
  close(): void;
}

export interface LegRemote {
  ip: string;
  port: number;
}

/** Our end: the port from the node's pool (0 = any) on the node's bind address (undefined = every address). */
export interface LegLocal {
  port?: number;
  host?: string;
}

abstract class BaseLeg {
  protected goneCb?: (why: string, reason: LegGoneReason) => void;
  protected readyCb?: () => void;
  protected closed = false;
  private goneFired = false;

  onGone(cb: (why: string, reason: LegGoneReason) => void): void {
    this.goneCb = cb;
  }

  onReady(cb: () => void): void {
    this.readyCb = cb;
  }

  protected gone(why: string, reason: LegGoneReason): void {
    if (this.closed || this.goneFired) return;
    this.goneFired = true;
    this.goneCb?.(why, reason);
  }
}

/** UDP: one socket per stream, connected to the peer (the answer names its port). Nothing is paced: a frame's packets go out together. */
export class UdpLeg extends BaseLeg implements MediaLeg {
  readonly kind = 'udp' as const;
  readonly framed = false;
  readonly backlog = 0;
  /** send errors (ICMP port unreachable and the like): a camera, and we, keep sending */
  errors = 0;

  private constructor(
    private readonly sock: dgram.Socket,
    readonly localPort: number,
    readonly peer: string,
  ) {
    super();
    sock.on('error', () => {
      this.errors++;
    });
    sock.on('message', () => undefined); // RTCP from the peer, if any: ignored
  }

  get ready(): boolean {
    return !this.closed;
  }

  static async open(remote: LegRemote, local: LegLocal = {}): Promise<UdpLeg> {
    const sock = dgram.createSocket({ type: net.isIPv6(remote.ip) ? 'udp6' : 'udp4', sendBufferSize: 1 << 20 });
    try {
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        // without a host: any address, the kernel picks the source that routes to the peer (the answer's c= names it)
        sock.bind({ port: local.port ?? 0, address: local.host, exclusive: true }, () => {
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
    } catch (e) {
      sock.close();
      throw e;
    }
    return new UdpLeg(sock, sock.address().port, `${remote.ip}:${remote.port}`);
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

  get peer(): string | undefined {
    const s = this.sock;
    return s?.remoteAddress ? `${s.remoteAddress}:${s.remotePort}` : undefined;
  }

  protected adopt(sock: net.Socket): void {
    this.sock = sock;
    sock.setNoDelay(true);
    sock.on('data', () => undefined); // RTCP over the connection, if any: ignored
    sock.on('error', () => undefined);
    sock.on('close', () => this.gone('media connection closed by the peer', 'peer-closed'));
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

/** We connect to the peer (its offer a=setup:passive, our answer a=setup:active). */
export class TcpActiveLeg extends TcpLeg implements MediaLeg {
  readonly kind = 'tcp-active' as const;

  private constructor(readonly localPort: number) {
    super();
  }

  /**
   * Connects from `local.port` when given (so the answer's m= port is the real one; a port the kernel still holds
   * for an earlier connection is given up for any port). Rejects when refused or after `timeoutMs`.
   */
  static async connect(remote: LegRemote, local: LegLocal = {}, timeoutMs = 5000): Promise<TcpActiveLeg> {
    try {
      return await TcpActiveLeg.attempt(remote, local, timeoutMs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !local.port) throw e;
      return TcpActiveLeg.attempt(remote, { host: local.host }, timeoutMs);
    }
  }

  private static attempt(remote: LegRemote, local: LegLocal, timeoutMs: number): Promise<TcpActiveLeg> {
    return new Promise((resolve, reject) => {
      const bind = local.port ? { localPort: local.port, localAddress: local.host } : local.host ? { localAddress: local.host } : {};
      const sock = net.connect({ host: remote.ip, port: remote.port, ...bind });
      const timer = setTimeout(() => sock.destroy(Object.assign(new Error(`TCP connect to ${remote.ip}:${remote.port} timed out`), { code: 'ETIMEDOUT' })), timeoutMs);
      sock.once('error', (e) => {
        clearTimeout(timer);
        sock.destroy();
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

/** The peer connects to us (its offer a=setup:active, our answer a=setup:passive): we listen, take the first connection. */
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
      server.close(); // one connection per leg: later ones are refused
      this.readyCb?.();
    });
  }

  /** Listens on `local.port` (0 = any) of `local.host` (undefined = every address). */
  static async listen(local: LegLocal = {}): Promise<TcpPassiveLeg> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: local.port ?? 0, host: local.host, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new TcpPassiveLeg(server, (server.address() as net.AddressInfo).port);
  }

  /** Gives up when the peer has not connected within `ms`. */
  expectWithin(ms: number): void {
    if (this.sock || this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.gone(`the peer did not connect to port ${this.localPort} within ${ms / 1000} s`, 'no-connection'), ms);
  }

  override close(): void {
    clearTimeout(this.timer);
    this.server.close();
    super.close();
  }
}

/** A leg of any kind with the kernel choosing our port (the simulator: its answer names whatever port it got). */
export async function openLeg(kind: RtpLegKind, remote: LegRemote): Promise<MediaLeg> {
  if (kind === 'udp') return UdpLeg.open(remote);
  if (kind === 'tcp-active') return TcpActiveLeg.connect(remote);
  return TcpPassiveLeg.listen();
}

import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '../../core/logger.js';

/**
 * The one UDP socket pair every RTP-over-UDP session sends from (server_port=P-(P+1) in each SETUP answer): RTP on P,
 * RTCP on P+1. One pair instead of one per session keeps the firewall story to two fixed ports and costs no port
 * allocation; sessions are told apart by the client's address and ports. What clients send to the RTP port (NAT
 * punch packets) is dropped; RTCP they send (receiver reports) goes to `onRtcp`, which keeps their session alive.
 */
export class RtspUdp {
  onRtcp: (address: string, port: number) => void = () => {};

  private constructor(
    private readonly rtp: dgram.Socket,
    private readonly rtcp: dgram.Socket,
    readonly rtpPort: number,
    private readonly v6: boolean,
    log: Logger,
  ) {
    for (const s of [rtp, rtcp]) s.on('error', (err) => log.warn({ err: err.message }, 'rtsp udp socket error'));
    rtp.on('message', () => {});
    rtcp.on('message', (_msg, from) => this.onRtcp(this.address(from.address), from.port));
  }

  get rtcpPort(): number {
    return this.rtpPort + 1;
  }

  /**
   * Binds `preferred` and preferred+1 on the host's family; when that pair is taken (or none is preferred), any free
   * consecutive pair. `strict`: fail rather than fall back.
   */
  static async bind(host: string, preferred: number | undefined, strict: boolean, log: Logger): Promise<RtspUdp> {
    const v6 = net.isIPv6(host) || host === '::';
    const type = v6 ? 'udp6' : 'udp4';
    if (preferred) {
      const pair = await tryPair(type, host, preferred);
      if (pair) return new RtspUdp(pair[0], pair[1], preferred, v6, log);
      if (strict) throw new Error(`RTSP UDP ports ${preferred}-${preferred + 1} are not free`);
      log.warn({ port: preferred }, 'rtsp udp port pair taken; using a free pair');
    }
    for (let i = 0; i < 50; i++) {
      const first = await bindOne(type, host, 0);
      if (!first) break;
      const port = first.address().port;
      first.close();
      if (port >= 65535) continue;
      const pair = await tryPair(type, host, port);
      if (pair) return new RtspUdp(pair[0], pair[1], port, v6, log);
    }
    throw new Error('no free UDP port pair for RTSP');
  }

  /** The address as the socket family writes it (IPv4-mapped IPv6 on a v6 socket and back). */
  address(a: string): string {
    if (this.v6) return net.isIPv4(a) ? `::ffff:${a}` : a;
    return a.startsWith('::ffff:') ? a.slice(7) : a;
  }

  sendRtp(b: Buffer, port: number, address: string): void {
    this.rtp.send(b, port, address, noop);
  }

  sendRtcp(b: Buffer, port: number, address: string): void {
    this.rtcp.send(b, port, address, noop);
  }

  close(): void {
    for (const s of [this.rtp, this.rtcp]) {
      try {
        s.close();
      } catch {
        /* already closed */
      }
    }
  }
}

const noop = (): void => {};

function bindOne(type: 'udp4' | 'udp6', host: string, port: number): Promise<dgram.Socket | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket({ type, reuseAddr: false });
    const fail = (): void => {
      try {
        s.close();
      } catch {
        /* never bound */
      }
      resolve(undefined);
    };
    s.once('error', fail);
    s.bind(port, host, () => {
      s.off('error', fail);
      try {
        s.setSendBufferSize(4 * 1024 * 1024); // a key frame goes out as a burst of packets
      } catch {
        /* capped by net.core.wmem_max: the kernel keeps what it allows */
      }
      resolve(s);
    });
  });
}

async function tryPair(type: 'udp4' | 'udp6', host: string, port: number): Promise<[dgram.Socket, dgram.Socket] | undefined> {
  const a = await bindOne(type, host, port);
  if (!a) return undefined;
  const b = await bindOne(type, host, port + 1);
  if (!b) {
    a.close();
    return undefined;
  }
  return [a, b];
}

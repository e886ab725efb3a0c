import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import type { Logger } from '../../core/logger.js';

/** Where client_port pairs are taken from by default: the IANA dynamic range (RFC 6335 §6), even RTP ports. */
export const DEFAULT_UDP_PORT_RANGE: readonly [number, number] = [49152, 65535];
const BIND_TRIES = 32;

export interface UdpPairOptions {
  /** 'udp4' for an IPv4 server, 'udp6' for IPv6 */
  type: 'udp4' | 'udp6';
  range?: readonly [number, number];
  log: Logger;
  /** an RTP datagram from `address` */
  onRtp(data: Buffer, address: string): void;
}

function bindOne(type: 'udp4' | 'udp6', port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type, reuseAddr: false });
    const onError = (e: Error): void => {
      s.close();
      reject(e);
    };
    s.once('error', onError);
    s.bind(port, () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}

const closeSocket = (s: dgram.Socket): Promise<void> =>
  new Promise((resolve) => {
    try {
      s.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });

/**
 * The client_port pair of one UDP track (RFC 2326 §12.39): RTP on an even port, RTCP on the next (RFC 3550 §11),
 * picked at random in the range and retried when taken. RTCP that arrives is ignored; one empty receiver report is
 * sent to the server's RTCP port after SETUP, which opens NAT/firewall state for the media path and tells servers
 * that watch RTCP that we are there.
 */
export class UdpPair {
  private closed = false;
  /** our SSRC as a receiver (RFC 3550 §8.1: random) */
  private readonly ssrc = randomInt(1, 0xffffffff);
  readonly stats = { datagrams: 0, rtcp: 0 };

  private constructor(
    private readonly rtp: dgram.Socket,
    private readonly rtcp: dgram.Socket,
    readonly rtpPort: number,
    private readonly opts: UdpPairOptions,
  ) {
    rtp.on('message', (msg, rinfo) => {
      this.stats.datagrams++;
      opts.onRtp(msg, rinfo.address.startsWith('::ffff:') ? rinfo.address.slice(7) : rinfo.address);
    });
    rtcp.on('message', () => this.stats.rtcp++);
    const warn = (e: Error): void => opts.log.debug({ err: e.message, port: rtpPort }, 'rtsp pull udp socket error');
    rtp.on('error', warn);
    rtcp.on('error', warn);
    try {
      rtp.setRecvBufferSize(4 * 1024 * 1024); // a keyframe arrives as a burst
    } catch {
      /* capped by the OS: not fatal */
    }
  }

  static async bind(opts: UdpPairOptions): Promise<UdpPair> {
    const [min, max] = opts.range ?? DEFAULT_UDP_PORT_RANGE;
    const lo = Math.ceil(Math.max(1024, min) / 2);
    const hi = Math.floor((Math.min(65535, max) - 1) / 2);
    if (hi < lo) throw new Error(`UDP port range ${min}-${max} holds no port pair`);
    let last: unknown;
    for (let i = 0; i < BIND_TRIES; i++) {
      const port = 2 * randomInt(lo, hi + 1);
      let rtp: dgram.Socket | undefined;
      try {
        rtp = await bindOne(opts.type, port);
        const rtcp = await bindOne(opts.type, port + 1);
        return new UdpPair(rtp, rtcp, port, opts);
      } catch (e) {
        last = e;
        if (rtp) await closeSocket(rtp);
      }
    }
    throw new Error(`no free UDP port pair in ${min}-${max}: ${(last as Error)?.message ?? ''}`);
  }

  get rtcpPort(): number {
    return this.rtpPort + 1;
  }

  /** An empty RTCP receiver report (RFC 3550 §6.4.2: RC = 0) to the server's RTCP port. */
  punch(address: string, rtcpPort: number): void {
    if (this.closed || !(rtcpPort > 0 && rtcpPort < 65536)) return;
    const rr = Buffer.alloc(8);
    rr[0] = 0x80;
    rr[1] = 201;
    rr.writeUInt16BE(1, 2);
    rr.writeUInt32BE(this.ssrc, 4);
    this.rtcp.send(rr, rtcpPort, address, () => {});
  }

  /** Resolves when both sockets' handles are released (dgram's close callback comes a loop turn earlier). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([closeSocket(this.rtp), closeSocket(this.rtcp)]);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

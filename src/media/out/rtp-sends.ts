import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { AppError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { DEFAULT_READER_LIMITS, type Hub, type ReaderCloseReason, type ReaderLimits } from '../../stream/index.js';
import type { PortPool } from '../ingest/port-pool.js';
import { TcpActiveLeg, TcpPassiveLeg, UdpLeg, type LegGoneReason, type MediaLeg } from './rtp-legs.js';
import { RtpPsSender } from './rtp-ps-sender.js';
import type { SendEndReason, SendEnded, SendInfo, SendOpened, SendRequest, SendState } from './send-types.js';

export interface RtpSendsOptions {
  hub: Hub;
  /** the node's RTP port pool (shared with receive ports) */
  ports: PortPool;
  /** address our sockets bind (undefined = every address) */
  bindHost?: string;
  /** address for the answer's c= (undefined = let signalling use its own) */
  publicHost?: string;
  log: Logger;
  /** default 10 s: tcp-passive connection after startSend, tcp-active connect */
  connectTimeoutMs?: number;
  /** openSend without startSend for this long (no ACK ever came) ends the send; default 60 s */
  startTimeoutMs?: number;
  /** backlog limits of the sender as a hub reader (default: the hub's, 2 MB skip / 16 MB close) */
  limits?: ReaderLimits;
  /** TCP: unsent bytes not moving for this long close the send as slow (default 15 s) */
  stuckMs?: number;
}

interface Send {
  id: string;
  req: SendRequest;
  state: SendState;
  port: number;
  sender: RtpPsSender;
  leg?: MediaLeg;
  detach: () => void;
  startedAt: number;
  /** startSend was called (the ACK came) */
  started: boolean;
  ended: boolean;
  timer?: NodeJS.Timeout;
  dropped: () => number;
}

const HUB_REASON: Record<ReaderCloseReason, SendEndReason> = {
  slow: 'slow',
  'stream-ended': 'stream-ended',
  revoked: 'revoked',
  'client-gone': 'stopped',
  'node-stopping': 'node-stopping',
};

/**
 * The media node's PS-over-RTP sends to upper platforms (cascade). Each send is a reader of a hub stream, so the
 * stream lives while the upper watches and one device stream serves local viewers and uppers alike.
 * Two steps, as the SIP dialog has them: `open` (INVITE: allocate the port for our answer, attach to the stream and
 * hold its current GOP) and `start` (ACK: send; tcp-active connects now). Every end — stop, stream closed, TCP peer
 * gone, connect failure or timeout, too slow — releases the port and raises `ended` once.
 */
export class RtpSends extends EventEmitter<{ ended: [SendEnded] }> {
  private readonly sends = new Map<string, Send>();
  private readonly connectTimeoutMs: number;
  private readonly startTimeoutMs: number;

  constructor(private readonly o: RtpSendsOptions) {
    super();
    this.setMaxListeners(0);
    this.connectTimeoutMs = o.connectTimeoutMs ?? 10_000;
    this.startTimeoutMs = o.startTimeoutMs ?? 60_000;
  }

  async open(req: SendRequest): Promise<SendOpened> {
    validate(req);
    const stream = this.o.hub.get(req.key);
    if (!stream || stream.ended) throw new AppError('STREAM_NOT_FOUND', `no stream ${req.key} to send`);
    const { port, leg } = await this.bind(req);
    const id = randomUUID();
    let s: Send | undefined;
    const sender = new RtpPsSender({
      ssrc: req.ssrc,
      payloadType: req.payloadType,
      stuckMs: this.o.stuckMs,
      onError: (e, f) => {
        if (sender.errors === 1) this.o.log.warn({ send: s?.id, key: req.key, codec: f.codec, err: e.message }, 'frame cannot be sent as PS (dropped; further ones not logged)');
      },
      onClose: (why) => {
        if (s) this.end(s, HUB_REASON[why] ?? 'stream-ended');
      },
    });
    let reader: { id: number; detach: () => void };
    try {
      reader = stream.attach(sender, { protocol: 'cascade', remote: leg?.peer ?? (req.host ? `${req.host}:${req.port}` : undefined) }, this.o.limits ?? DEFAULT_READER_LIMITS);
    } catch {
      leg?.close();
      this.o.ports.release(port);
      throw new AppError('STREAM_NOT_FOUND', `stream ${req.key} ended`);
    }
    s = {
      id,
      req,
      state: 'opened',
      port,
      sender,
      leg,
      detach: reader.detach,
      startedAt: Date.now(),
      started: false,
      ended: false,
      dropped: () => stream.listReaders().find((r) => r.id === reader.id)?.dropped ?? 0,
    };
    this.sends.set(id, s);
    const send = s;
    if (leg) this.watch(send, leg);
    if (leg instanceof TcpPassiveLeg) leg.onReady(() => this.ready(send));
    send.timer = setTimeout(() => this.end(send, 'not-started', `no startSend within ${this.startTimeoutMs / 1000} s of openSend`), this.startTimeoutMs);
    send.timer.unref?.();
    this.o.log.debug({ send: id, key: req.key, transport: req.transport, port, peer: leg?.peer, owner: req.owner }, 'send opened');
    return { id, localPort: port, localHost: this.o.publicHost };
  }

  /** A pool port bound for the transport: udp socket connected to the upper, tcp-passive listener, tcp-active just reserved. */
  private async bind(req: SendRequest): Promise<{ port: number; leg?: MediaLeg }> {
    // a port the OS refuses (another program has it) is set aside and the next one tried, as openReceive does
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = this.o.ports.take();
      try {
        if (req.transport === 'udp') return { port, leg: await UdpLeg.open({ ip: req.host!, port: req.port! }, { port, host: this.o.bindHost }) };
        if (req.transport === 'tcp-passive') return { port, leg: await TcpPassiveLeg.listen({ port, host: this.o.bindHost }) };
        return { port };
      } catch (e) {
        this.o.ports.release(port);
        if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      }
    }
    throw new AppError('MEDIA_NO_PORT', 'no bindable port in SHARPEYE_RTP_PORT_RANGE for a send');
  }

  /** Begins sending (after the ACK). tcp-active: resolves once connected or failed (then the send has ended). */
  async start(id: string): Promise<void> {
    const s = this.sends.get(id);
    if (!s) throw new AppError('STREAM_NOT_FOUND', `no send ${id}`);
    if (s.started) return;
    s.started = true;
    clearTimeout(s.timer);
    const timeout = s.req.connectTimeoutMs ?? this.connectTimeoutMs;
    if (s.req.transport === 'udp') return this.ready(s);
    if (s.req.transport === 'tcp-passive') {
      const leg = s.leg as TcpPassiveLeg;
      if (leg.ready) return this.ready(s);
      s.state = 'waiting-peer';
      leg.expectWithin(timeout);
      return;
    }
    s.state = 'connecting';
    let leg: TcpActiveLeg;
    try {
      leg = await TcpActiveLeg.connect({ ip: s.req.host!, port: s.req.port! }, { port: s.port, host: this.o.bindHost }, timeout);
    } catch (e) {
      this.end(s, 'connect-failed', `TCP connect to ${s.req.host}:${s.req.port}: ${(e as Error).message}`);
      return;
    }
    if (s.ended) {
      leg.close();
      return;
    }
    s.leg = leg;
    this.watch(s, leg);
    this.ready(s);
  }

  private watch(s: Send, leg: MediaLeg): void {
    leg.onGone((why: string, reason: LegGoneReason) => this.end(s, reason, why));
  }

  /** Sends once started and (TCP) connected; a tcp-passive upper may connect before the ACK. */
  private ready(s: Send): void {
    if (s.ended || !s.started || !s.leg?.ready) return; // a tcp-passive upper connected before the ACK: wait for startSend
    s.state = 'sending';
    s.sender.live(s.leg);
    this.o.log.debug({ send: s.id, key: s.req.key, peer: s.leg.peer }, 'sending');
  }

  async stop(id: string): Promise<void> {
    const s = this.sends.get(id);
    if (s) this.end(s, 'stopped');
  }

  private end(s: Send, reason: SendEndReason, message?: string): void {
    if (s.ended) return;
    s.ended = true;
    this.sends.delete(s.id);
    clearTimeout(s.timer);
    s.detach();
    s.leg?.close();
    this.o.ports.release(s.port);
    const e: SendEnded = { id: s.id, key: s.req.key, reason, message, owner: s.req.owner, frames: s.sender.frames, packets: s.sender.packets, bytes: s.sender.bytes };
    this.o.log.info({ send: s.id, key: s.req.key, reason, message, owner: s.req.owner, frames: e.frames, bytes: e.bytes }, 'send ended');
    this.emit('ended', e);
  }

  list(): SendInfo[] {
    return [...this.sends.values()].map((s) => ({
      id: s.id,
      key: s.req.key,
      transport: s.req.transport,
      state: s.state,
      localPort: s.port,
      peer: s.leg?.peer ?? (s.req.host ? `${s.req.host}:${s.req.port}` : undefined),
      ssrc: s.sender.ssrc,
      payloadType: s.sender.payloadType,
      owner: s.req.owner,
      frames: s.sender.frames,
      packets: s.sender.packets,
      bytes: s.sender.bytes,
      dropped: s.dropped(),
      startedAt: new Date(s.startedAt).toISOString(),
    }));
  }

  get size(): number {
    return this.sends.size;
  }

  /** Ends every send (node stopping). */
  close(): void {
    for (const s of [...this.sends.values()]) this.end(s, 'node-stopping');
  }
}

function validate(req: SendRequest): void {
  const bad = (m: string) => new AppError('VALIDATION_FAILED', m);
  if (req.transport !== 'udp' && req.transport !== 'tcp-active' && req.transport !== 'tcp-passive') throw bad(`unknown send transport ${String(req.transport)}`);
  if (!Number.isInteger(req.ssrc) || req.ssrc < 0 || req.ssrc > 0xffff_ffff) throw bad(`SSRC ${req.ssrc} is not a 32-bit number`);
  if (req.payloadType !== undefined && (!Number.isInteger(req.payloadType) || req.payloadType < 0 || req.payloadType > 127)) throw bad(`payload type ${req.payloadType} out of 0..127`);
  if (req.transport !== 'tcp-passive') {
    if (!req.host || net.isIP(req.host) === 0) throw bad(`${req.transport} send needs the upper's IP address (got ${String(req.host)})`);
    if (!Number.isInteger(req.port) || req.port! < 1 || req.port! > 65535) throw bad(`${req.transport} send needs the upper's port (got ${String(req.port)})`);
  }
}

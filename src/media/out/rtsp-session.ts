import { randomBytes, randomInt } from 'node:crypto';
import type { MediaClaims } from '../../core/media-token.js';
import type { Frame, TrackParams } from '../../lib/av/frame.js';
import { packetizeAac, packetizeG711, packetizeH264, packetizeH265, type PacketizeOptions, RTP_HEADER_BYTES, rtpTimestamp, type SeqCounter } from '../../lib/rtp/index.js';
import type { RtpInfoEntry } from '../../lib/rtsp/index.js';
import type { ReaderCloseReason, ReaderIdentity, Stream, StreamSink } from '../../stream/index.js';
import { rtcpBye, rtcpSenderReport } from './rtsp-rtcp.js';
import { type RtspTrackInfo, sameFormat, servedTracks } from './rtsp-tracks.js';
import type { RtspUdp } from './rtsp-udp.js';

/** Largest RTP payload: a 1500-byte Ethernet MTU minus IP, UDP and RTP headers, with room for tunnels. */
const RTP_PAYLOAD_MTU = 1400;
/** RFC 3550 §6.2 suggests ~5 s between reports for a low-bandwidth RTCP share. */
const SR_INTERVAL_MS = 5000;

export type TrackTransport = { lower: 'TCP'; channels: [number, number] } | { lower: 'UDP'; address: string; ports: [number, number] };

/** The RTSP connection as a session sees it (it owns the interleaved channels of TCP tracks). */
export interface SessionChannel {
  readonly remote: string;
  readonly open: boolean;
  /** `$`-framed bytes onto the connection */
  send(b: Buffer): void;
  /** bytes written but not yet sent */
  backlog(): number;
}

export type SessionEndReason = ReaderCloseReason | 'teardown' | 'timeout' | 'params-changed' | 'server-closing';

/** What the server gives its sessions. */
export interface SessionHost {
  readonly udp: RtspUdp;
  readonly cname: string;
  readonly counters: { packets: number; bytes: number };
  onError(session: RtspSession, err: unknown): void;
  /** the session ended (it is already detached from the hub) */
  ended(session: RtspSession, reason: SessionEndReason): void;
}

export class SessionTrack {
  readonly ssrc = randomBytes(4).readUInt32BE(0);
  /** RFC 3550 §5.1: random initial sequence number and timestamp */
  readonly seq: SeqCounter = { value: randomInt(0, 0x10000) };
  readonly tsOffset = randomBytes(4).readUInt32BE(0);
  packets = 0;
  octets = 0;
  lastSrAt = 0;

  constructor(
    readonly info: RtspTrackInfo,
    readonly transport: TrackTransport,
    /** the URL the client used to SETUP this track: RTP-Info must name it exactly (ffmpeg matches by string) */
    readonly uri: string,
  ) {}
}

/**
 * One RTSP session (RFC 2326 §3): the tracks a client set up for one stream, and, while PLAYing, one hub reader whose
 * frames become RTP packets per track. RTP time = (frame pts − the pts of the first frame sent) in the track's clock
 * + a random per-track offset, so RTP-Info rtptime of every track names the same instant (the first frame).
 */
export class RtspSession implements StreamSink {
  readonly id = randomBytes(8).toString('hex');
  readonly tracks = new Map<number, SessionTrack>();
  state: 'ready' | 'playing' | 'closed' = 'ready';
  lastSeen: number;
  readonly createdAt: number;
  private reader: { id: number; detach: () => void } | undefined;
  /** pts of the first frame sent, and the wall clock then (RTCP SR mapping) */
  private p0: number | undefined;
  private wall0 = 0;
  /** frames the hub hands over while the PLAY answer is not written yet */
  private holding: Frame[] | undefined;
  /** the stream's format no longer matches what the client set up */
  private stale = false;
  private errors = 0;

  constructor(
    readonly key: string,
    readonly claims: MediaClaims,
    public channel: SessionChannel | undefined,
    private readonly host: SessionHost,
    now: number,
  ) {
    this.lastSeen = now;
    this.createdAt = now;
  }

  /** Some track goes over the RTSP connection: the session lives and dies with it. */
  get interleaved(): boolean {
    for (const t of this.tracks.values()) if (t.transport.lower === 'TCP') return true;
    return false;
  }

  addTrack(info: RtspTrackInfo, transport: TrackTransport, uri: string): SessionTrack {
    const t = new SessionTrack(info, transport, uri);
    this.tracks.set(info.id, t);
    return t;
  }

  /**
   * Attaches to the stream. `answer` gets the RTP-Info and must write the PLAY response: it runs before any RTP of
   * this session is sent (frames of the hub's GOP replay are held until then). Throws when the stream ended or its
   * format changed since SETUP (the client must DESCRIBE again).
   */
  play(stream: Stream, identity: ReaderIdentity, answer: (rtpInfo: RtpInfoEntry[]) => void): void {
    if (this.state === 'closed') throw new Error('session closed');
    if (this.state === 'playing') {
      answer([...this.tracks.values()].map((t) => ({ url: t.uri, seq: t.seq.value })));
      return;
    }
    this.holding = [];
    this.stale = false;
    try {
      this.reader = stream.attach(this, identity);
    } catch (e) {
      this.holding = undefined;
      throw e;
    }
    if ((this.state as RtspSession['state']) === 'closed') {
      this.holding = undefined;
      throw new Error('session closed by the hub');
    }
    if (this.stale) {
      const r = this.reader;
      this.reader = undefined;
      this.holding = undefined;
      r.detach();
      throw new FormatChangedError();
    }
    this.state = 'playing';
    const held = this.holding;
    const first = held[0];
    if (first && this.p0 === undefined) {
      this.p0 = first.pts;
      this.wall0 = Date.now();
    }
    answer(
      [...this.tracks.values()].map((t) => {
        const e: RtpInfoEntry = { url: t.uri, seq: t.seq.value };
        if (first && this.p0 !== undefined) e.rtptime = rtpTimestamp(first.pts - this.p0, t.info.clockRate, t.tsOffset);
        return e;
      }),
    );
    this.holding = undefined;
    for (const f of held) {
      if (this.state !== 'playing') break;
      this.write(f);
    }
  }

  /** PAUSE: leaves the hub; a later PLAY resumes on the same timeline. */
  pause(): void {
    if (this.state !== 'playing') return;
    this.state = 'ready';
    const r = this.reader;
    this.reader = undefined;
    r?.detach();
  }

  /** Ends the session (idempotent): leaves the hub, says BYE on every track, tells the server. */
  end(reason: SessionEndReason): void {
    if (this.state === 'closed') return;
    const wasPlaying = this.state === 'playing';
    this.state = 'closed';
    this.holding = undefined;
    const r = this.reader;
    this.reader = undefined;
    r?.detach();
    if (wasPlaying) this.sayBye();
    this.host.ended(this, reason);
  }

  // ---- StreamSink (called by the hub, synchronously; nothing here may throw into the source) ----

  start(params: TrackParams): void {
    const now = servedTracks(params);
    for (const t of this.tracks.values()) {
      if (sameFormat(t.info, now.find((n) => n.id === t.info.id))) continue;
      // a new codec or audio format cannot be signalled without a new DESCRIBE: the client has to start over
      this.stale = true;
      if (!this.holding) {
        queueMicrotask(() => {
          try {
            this.end('params-changed');
          } catch (e) {
            this.host.onError(this, e);
          }
        });
      }
      return;
    }
  }

  write(frame: Frame): void {
    if (this.holding) {
      this.holding.push(frame);
      return;
    }
    if (this.state !== 'playing' || this.stale) return;
    const t = this.tracks.get(frame.track === 'video' ? 0 : 1);
    if (!t || t.info.codec !== frame.codec) return;
    try {
      this.sendFrame(t, frame);
    } catch (e) {
      if (this.errors++ < 3) this.host.onError(this, e);
    }
  }

  backlog(): number {
    return this.interleaved ? (this.channel?.backlog() ?? 0) : 0;
  }

  close(reason: ReaderCloseReason): void {
    this.reader = undefined; // the hub already detached it
    this.end(reason);
  }

  // ---- RTP / RTCP out ----

  private sendFrame(t: SessionTrack, frame: Frame): void {
    if (this.p0 === undefined) {
      this.p0 = frame.pts;
      this.wall0 = Date.now();
    }
    const timestamp = rtpTimestamp(frame.pts - this.p0, t.info.clockRate, t.tsOffset);
    const opts: PacketizeOptions = { ssrc: t.ssrc, payloadType: t.info.payloadType, seq: t.seq, timestamp, mtu: RTP_PAYLOAD_MTU };
    let packets: Buffer[];
    switch (frame.codec) {
      case 'h264':
        packets = packetizeH264(frame.units, opts);
        break;
      case 'h265':
        packets = packetizeH265(frame.units, opts);
        break;
      case 'aac':
        packets = packetizeAac(frame.units, opts);
        break;
      case 'g711a':
      case 'g711u':
        packets = packetizeG711(frame.units.length === 1 ? frame.units[0] : Buffer.concat(frame.units), opts);
        break;
      default:
        return;
    }
    if (!packets.length) return;
    this.sendRtp(t, packets);
    const now = Date.now();
    if (now - t.lastSrAt >= SR_INTERVAL_MS) {
      t.lastSrAt = now;
      const ntpMs = this.wall0 + (frame.pts - this.p0) / 90;
      this.sendRtcp(t, rtcpSenderReport({ ssrc: t.ssrc, ntpMs, rtpTime: timestamp, packets: t.packets, octets: t.octets }, this.host.cname));
    }
  }

  private sendRtp(t: SessionTrack, packets: Buffer[]): void {
    let bytes = 0;
    for (const p of packets) bytes += p.length;
    t.packets += packets.length;
    t.octets += bytes - packets.length * RTP_HEADER_BYTES;
    this.host.counters.packets += packets.length;
    this.host.counters.bytes += bytes;
    const tr = t.transport;
    if (tr.lower === 'UDP') {
      for (const p of packets) this.host.udp.sendRtp(p, tr.ports[0], tr.address);
      return;
    }
    // RFC 2326 §10.12: '$', channel, 16-bit length, packet; one write per frame
    const out = Buffer.allocUnsafe(bytes + 4 * packets.length);
    let o = 0;
    for (const p of packets) {
      out[o] = 0x24;
      out[o + 1] = tr.channels[0];
      out.writeUInt16BE(p.length, o + 2);
      o += 4 + p.copy(out, o + 4);
    }
    if (this.channel?.open) this.channel.send(out);
  }

  private sendRtcp(t: SessionTrack, pkt: Buffer): void {
    const tr = t.transport;
    if (tr.lower === 'UDP') {
      this.host.udp.sendRtcp(pkt, tr.ports[1], tr.address);
      return;
    }
    if (!this.channel?.open) return;
    const out = Buffer.allocUnsafe(4 + pkt.length);
    out[0] = 0x24;
    out[1] = tr.channels[1];
    out.writeUInt16BE(pkt.length, 2);
    pkt.copy(out, 4);
    this.channel.send(out);
  }

  private sayBye(): void {
    for (const t of this.tracks.values()) {
      try {
        this.sendRtcp(t, rtcpBye(t.ssrc, this.host.cname));
      } catch {
        /* best effort */
      }
    }
  }
}

export class FormatChangedError extends Error {
  constructor() {
    super('the stream format changed since SETUP');
    this.name = 'FormatChangedError';
  }
}

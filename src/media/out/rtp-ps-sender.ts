import { randomInt } from 'node:crypto';
import { frameBytes, type Frame, type TrackParams } from '../../lib/av/frame.js';
import { PsMuxer } from '../../lib/ps/index.js';
import { packetizePs, RtpSender } from '../../lib/rtp/index.js';
import type { ReaderCloseReason, StreamSink } from '../../stream/index.js';
import type { MediaLeg } from './rtp-legs.js';

export interface RtpPsSenderOptions {
  ssrc: number;
  /** default 96 */
  payloadType?: number;
  /** largest RTP payload; default 1400 (fits an Ethernet MTU with IP/UDP/RTP headers) */
  mtu?: number;
  /** the hub closed this reader (slow, stream ended, revoked) */
  onClose(reason: ReaderCloseReason): void;
  /**
   * TCP: unsent bytes that have not moved for this long make the backlog report "too slow", so the hub closes us
   * (an upper that stopped reading would otherwise be skipped to keyframes forever). Default 15 s.
   */
  stuckMs?: number;
  now?: () => number;
  /** a frame that could not be muxed (e.g. AAC without its config): dropped, never thrown into the hub */
  onError?: (e: Error, frame: Frame) => void;
}

/** What the sender holds while the upper has not connected yet: the hub's own GOP-cache bounds. */
const HOLD_FRAMES = 600;
const HOLD_BYTES = 24 * 1024 * 1024;

/**
 * A hub reader that sends the stream as PS over RTP (GB/T 28181-2016 附录C) to one upper platform:
 * each Frame → one PS pack (PsMuxer: pack header; system header + PSM before keyframes; PES with PTS/DTS) → RTP
 * packets of ≤ mtu bytes (packetizePs: PT 96, marker on the last packet of the frame, RFC 4571 prefix on TCP), all
 * with the frame's DTS as RTP timestamp (90 kHz, the hub's timeline: continuous across source restarts), and
 * sequence numbers running on from a random start (RFC 3550 §5.1).
 *
 * Until `live(leg)` (after the SIP ACK, and for TCP once connected) frames are held from the last keyframe on, so
 * the upper's first packets are a keyframe with its PSM at once, as the GOP cache gives local viewers. The leg's
 * unsent bytes are the reader's backlog: the hub skips a slow upper to the next keyframe and closes it when far behind.
 */
export class RtpPsSender implements StreamSink {
  private readonly rtp: RtpSender;
  private readonly mtu: number;
  private muxer?: PsMuxer;
  private params: TrackParams = {};
  private leg?: MediaLeg;
  private held: Frame[] = [];
  private heldBytes = 0;
  /** a video stream starts (and restarts after losing held frames) at a keyframe */
  private needKey = true;
  frames = 0;
  packets = 0;
  bytes = 0;
  /** frames dropped because they could not be muxed */
  errors = 0;
  /** bytes the leg had passed on to the kernel at the last look, and when that last grew */
  private drained = 0;
  private movedAt = 0;
  private readonly now: () => number;

  constructor(private readonly o: RtpPsSenderOptions) {
    this.rtp = new RtpSender(o.ssrc >>> 0, o.payloadType ?? 96, randomInt(0, 0x10000));
    this.mtu = o.mtu ?? 1400;
    this.now = o.now ?? Date.now;
  }

  get ssrc(): number {
    return this.rtp.ssrc;
  }

  get payloadType(): number {
    return this.rtp.payloadType;
  }

  start(params: TrackParams): void {
    this.params = params;
    // new codec parameters: the next keyframe carries a new PSM version (the hub restarts us at a keyframe)
    if (this.muxer) this.muxer.setParams(params);
    else this.muxer = new PsMuxer(params);
    this.needKey = true;
    this.held = []; // frames of the old parameters: the hub restarts us at the next keyframe
    this.heldBytes = 0;
  }

  write(frame: Frame): void {
    if (this.leg) this.send(frame, this.leg);
    else this.hold(frame);
  }

  /** Starts sending on a ready leg: the held frames (from the last keyframe) first. */
  live(leg: MediaLeg): void {
    if (this.leg) return;
    this.leg = leg;
    this.movedAt = this.now();
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const f of held) this.send(f, leg);
  }

  backlog(): number {
    const leg = this.leg;
    if (!leg) return 0;
    const backlog = leg.backlog;
    const t = this.now();
    const drained = this.bytes - backlog;
    if (backlog === 0 || drained > this.drained) {
      this.drained = drained;
      this.movedAt = t;
    } else if (t - this.movedAt > (this.o.stuckMs ?? 15_000)) return Number.MAX_SAFE_INTEGER;
    return backlog;
  }

  close(reason: ReaderCloseReason): void {
    this.held = [];
    this.o.onClose(reason);
  }

  private hold(f: Frame): void {
    if (!this.params.video) return; // audio only: nothing to start from, send from the first frame when live
    if (f.track === 'video' && f.key) {
      this.held = [];
      this.heldBytes = 0;
    } else if (!this.held.length) return;
    const size = frameBytes(f);
    if (this.held.length >= HOLD_FRAMES || this.heldBytes + size > HOLD_BYTES) {
      this.held = [];
      this.heldBytes = 0;
      return;
    }
    this.held.push(f);
    this.heldBytes += size;
  }

  private send(f: Frame, leg: MediaLeg): void {
    if (this.needKey && this.params.video) {
      if (f.track !== 'video' || !f.key) return;
    }
    this.needKey = false;
    if (!leg.ready) return;
    this.muxer ??= new PsMuxer(this.params);
    let ps: Buffer;
    try {
      ps = this.muxer.mux(f);
    } catch (e) {
      this.errors++;
      this.o.onError?.(e as Error, f);
      return;
    }
    const packets = packetizePs(ps, { ssrc: this.rtp.ssrc, payloadType: this.rtp.payloadType, seq: this.rtp.seq, timestamp: rtpTime(f.dts), mtu: this.mtu, rfc4571: leg.framed });
    leg.send(packets);
    let bytes = 0;
    for (const p of packets) bytes += p.length;
    this.frames++;
    this.packets += packets.length;
    this.bytes += bytes;
  }
}

const TWO32 = 2 ** 32;

/** The 90 kHz DTS as a 32-bit RTP timestamp (RFC 3550 §5.1: it wraps). */
function rtpTime(dts: number): number {
  const t = dts % TWO32;
  return t < 0 ? t + TWO32 : t;
}

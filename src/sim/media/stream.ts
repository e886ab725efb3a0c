import { randomInt } from 'node:crypto';
import { packetizePs, RtpSender } from '../../lib/rtp/index.js';
import type { MediaLeg } from '../../media/out/rtp-legs.js';
import type { Paced } from './pacer.js';
import { stampPs } from './ps.js';
import type { MediaSource } from './source.js';

/** Counters shared by every stream of a simulator. */
export interface MediaCounters {
  bytesSent: number;
  packetsSent: number;
  framesSent: number;
  /** frames skipped because a TCP connection could not take them (sending resumes at the next keyframe) */
  framesDropped: number;
}

export function newMediaCounters(): MediaCounters {
  return { bytesSent: 0, packetsSent: 0, framesSent: 0, framesDropped: 0 };
}

/** TCP back-pressure: above this many unsent bytes, frames are dropped until the next keyframe. */
const MAX_BACKLOG = 2 << 20;
/** Running this late (event loop stalled) the schedule restarts from now instead of bursting the backlog out. */
const MAX_LATE_MS = 500;
const RTP_MTU = 1400;

/**
 * One RTP stream: the file's frames, in a loop, at its frame rate, as PS over RTP (GB/T 28181-2016 附录C) — frame n
 * goes out at start + n/fps with RTP timestamp base + n·90000/fps, so timestamps keep growing across loops.
 */
export class RtpStream implements Paced {
  private readonly rtp: RtpSender;
  private readonly tsBase = randomInt(0, 2 ** 31);
  /** frames sent (or dropped) since start, across loops */
  private n = 0;
  private t0 = 0;
  private readonly frameMs: number;
  private waitKey = false;
  /** file position of frame 0: a random keyframe, so streams started together do not send their keyframes together */
  private readonly offset: number;
  paused = false;
  /** playback/download speed (MANSRTSP Scale, a=downloadspeed): frames go out this much faster, timestamps unchanged */
  scale = 1;
  /** playback/download: frames in the requested range; after the last one `onEnd` runs once and sending stops */
  endAt?: number;
  onEnd?: () => void;

  constructor(
    private readonly src: MediaSource,
    private readonly leg: MediaLeg,
    readonly ssrc: number,
    payloadType: number,
    private readonly counters: MediaCounters,
  ) {
    this.rtp = new RtpSender(ssrc >>> 0, payloadType, randomInt(0, 0x10000));
    this.frameMs = 1000 / src.fps;
    const keys = src.keyIndexes;
    this.offset = keys[randomInt(0, keys.length)] ?? 0;
  }

  /** Sets the schedule so frame `n` is due at `now`; returns that time. */
  start(now: number): number {
    this.t0 = now - (this.n * this.frameMs) / this.scale;
    return now;
  }

  /** frames sent since the start of the range (content position × fps) */
  get position(): number {
    return this.n;
  }

  /**
   * Seek (MANSRTSP `Range: npt=`): continue at the keyframe at or before content frame `frame`. Timestamps follow the
   * content (they jump with it), as a device's recording clock does; the caller restarts the schedule.
   */
  seek(frame: number): void {
    const frames = this.src.frames;
    let n = Math.max(0, Math.floor(frame));
    if (this.endAt !== undefined) n = Math.min(n, Math.max(0, this.endAt - 1));
    for (let i = 0; i < frames.length && n > 0 && !frames[(this.offset + n) % frames.length].key; i++) n--;
    this.n = n;
    this.waitKey = false;
  }

  /** Sends what is due; returns when the next frame is. */
  run(now: number): number | null {
    if (this.paused) return null;
    let due = this.t0 + (this.n * this.frameMs) / this.scale;
    if (now - due > MAX_LATE_MS) due = this.start(now);
    while (due <= now + 2) {
      if (this.endAt !== undefined && this.n >= this.endAt) {
        const end = this.onEnd;
        this.onEnd = undefined;
        end?.();
        return null;
      }
      this.sendFrame();
      this.n++;
      due = this.t0 + (this.n * this.frameMs) / this.scale;
    }
    return due;
  }

  private sendFrame(): void {
    const frames = this.src.frames;
    const f = frames[(this.offset + this.n) % frames.length];
    if (!this.leg.ready) return;
    if (this.leg.framed) {
      if (this.leg.backlog > MAX_BACKLOG) this.waitKey = true;
      if (this.waitKey && !f.key) {
        this.counters.framesDropped++;
        return;
      }
      this.waitKey = false;
    }
    const t90 = this.tsBase + Math.round((this.n * 90_000) / this.src.fps);
    // the shared PS bytes get this stream's clock, then are copied into the packets right away
    stampPs(f, t90);
    const packets = packetizePs(f.ps, { ssrc: this.rtp.ssrc, payloadType: this.rtp.payloadType, seq: this.rtp.seq, timestamp: t90, mtu: RTP_MTU, rfc4571: this.leg.framed });
    this.leg.send(packets);
    let bytes = 0;
    for (const p of packets) bytes += p.length;
    this.counters.bytesSent += bytes;
    this.counters.packetsSent += packets.length;
    this.counters.framesSent++;
  }
}

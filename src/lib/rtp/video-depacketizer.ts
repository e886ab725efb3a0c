import type { VideoCodec, VideoFrame } from '../av/frame.js';
import { RtpTimestampUnwrapper } from './clock.js';
import type { RtpPacket } from './packet.js';

export interface VideoDepacketizerOptions {
  onFrame(frame: VideoFrame): void;
  /** Parameter sets known out of band (SDP sprop-*); put in front of key frames that arrive without them. */
  vps?: Buffer;
  sps?: Buffer;
  pps?: Buffer;
  /** RTP timestamp that maps to pts 0 (e.g. RTSP RTP-Info rtptime); default: the first one seen */
  rtpBase?: number;
  /** a frame growing past this is dropped (garbage without marker/timestamp change); default 16 MiB */
  maxFrameBytes?: number;
}

export interface VideoDepacketizerStats {
  frames: number;
  /** NAL units dropped because a packet of theirs was lost */
  droppedNals: number;
  /** sequence gaps seen */
  gaps: number;
  /** frames discarded for exceeding maxFrameBytes */
  oversized: number;
}

/** Parameter-set kinds a codec has, in the order they go in front of a key frame. */
export type ParamKind = 'vps' | 'sps' | 'pps';
const BIT: Record<ParamKind, number> = { vps: 1, sps: 2, pps: 4 };

/**
 * Common frame assembly for H.264/H.265 over RTP: collects the NAL units of one access unit (one RTP timestamp,
 * RFC 6184 §5.1 / RFC 7798 §4.1: the marker bit ends it; a timestamp change ends it too when the marker was lost),
 * drops a fragmented NAL whose packets did not all arrive (sequence gap), and emits a VideoFrame with unwrapped
 * 90 kHz time. Input must be one SSRC in sequence order (see ReorderBuffer); an SSRC change restarts timing so that
 * pts keeps growing.
 */
export abstract class VideoDepacketizer {
  readonly stats: VideoDepacketizerStats = { frames: 0, droppedNals: 0, gaps: 0, oversized: 0 };
  protected units: Buffer[] = [];
  /** fragments of the NAL being reassembled (FU), its header bytes first */
  protected fu: Buffer[] | undefined;
  protected fuBytes = 0;
  /** the NAL whose fragments are now arriving without a start was already counted as dropped */
  private orphanCounted = false;
  private readonly onFrame: (f: VideoFrame) => void;
  private readonly clock: RtpTimestampUnwrapper;
  private readonly maxFrameBytes: number;
  private readonly params: Partial<Record<ParamKind, Buffer>> = {};
  private frameBytes = 0;
  private curTs = 0;
  private open = false;
  private lastSeq = -1;
  private ssrc = -1;

  protected abstract readonly codec: VideoCodec;
  /** payload parsing: calls addUnit / startFu / continueFu */
  protected abstract payload(b: Buffer): void;
  protected abstract nalKind(nal: Buffer): ParamKind | 'key' | 'aud' | undefined;
  protected abstract readonly paramOrder: readonly ParamKind[];

  constructor(opts: VideoDepacketizerOptions) {
    this.onFrame = opts.onFrame;
    this.clock = new RtpTimestampUnwrapper(90_000, opts.rtpBase);
    this.maxFrameBytes = opts.maxFrameBytes ?? 16 * 1024 * 1024;
    if (opts.vps?.length) this.params.vps = opts.vps;
    if (opts.sps?.length) this.params.sps = opts.sps;
    if (opts.pps?.length) this.params.pps = opts.pps;
  }

  push(p: RtpPacket): void {
    if (p.ssrc !== this.ssrc) {
      if (this.ssrc !== -1) {
        this.finish();
        this.clock.reset(this.clock.current90k + 3600);
      }
      this.ssrc = p.ssrc;
      this.lastSeq = -1;
    }
    if (this.lastSeq >= 0 && p.seq !== ((this.lastSeq + 1) & 0xffff)) this.lost();
    this.lastSeq = p.seq;
    if (this.open && p.timestamp !== this.curTs) this.finish();
    this.curTs = p.timestamp;
    this.open = true;
    if (p.payload.length) this.payload(p.payload);
    if (p.marker) this.finish();
  }

  /** A sequence gap (or a loss reported from outside, e.g. ReorderBuffer onLoss): the NAL being reassembled is broken. */
  lost(): void {
    this.stats.gaps++;
    this.orphanCounted = this.fu !== undefined;
    this.dropFu();
  }

  /** Emits what is pending (end of stream). */
  flush(): void {
    this.finish();
  }

  protected addUnit(nal: Buffer): void {
    if (!nal.length) return;
    this.frameBytes += nal.length;
    if (this.frameBytes > this.maxFrameBytes) return;
    this.units.push(nal);
  }

  /** First fragment; `head` is the rebuilt NAL header. A still-open FU is broken (its end never came). */
  protected startFu(head: Buffer, data: Buffer): void {
    this.dropFu();
    this.orphanCounted = false;
    this.fu = [head, data];
    this.fuBytes = head.length + data.length;
  }

  protected continueFu(data: Buffer, end: boolean): void {
    if (!this.fu) return; // its start was lost: already counted
    this.fu.push(data);
    this.fuBytes += data.length;
    if (this.fuBytes > this.maxFrameBytes) {
      this.dropFu();
      return;
    }
    if (end) {
      const nal = Buffer.concat(this.fu, this.fuBytes);
      this.fu = undefined;
      this.fuBytes = 0;
      this.addUnit(nal);
    }
  }

  /** A middle/end fragment arrived with no start before it (its NAL is counted once). */
  protected orphanFu(end: boolean): void {
    if (!this.orphanCounted) this.stats.droppedNals++;
    this.orphanCounted = !end;
  }

  private dropFu(): void {
    if (this.fu) {
      this.fu = undefined;
      this.fuBytes = 0;
      this.stats.droppedNals++;
    }
  }

  private finish(): void {
    this.dropFu();
    const units = this.units;
    const bytes = this.frameBytes;
    this.units = [];
    this.frameBytes = 0;
    if (!this.open) return;
    this.open = false;
    if (!units.length) return;
    if (bytes > this.maxFrameBytes) {
      this.stats.oversized++;
      return;
    }
    let key = false;
    let seen = 0;
    let audAt = -1;
    for (let i = 0; i < units.length; i++) {
      const k = this.nalKind(units[i]);
      if (k === 'key') key = true;
      else if (k === 'aud') audAt = i;
      else if (k) {
        seen |= BIT[k];
        const prev = this.params[k];
        if (!prev || !prev.equals(units[i])) this.params[k] = Buffer.from(units[i]); // own copy, not a packet view
      }
    }
    let out = units;
    if (key) {
      const missing: Buffer[] = [];
      for (const k of this.paramOrder) {
        const ps = this.params[k];
        if (!(seen & BIT[k]) && ps) missing.push(ps);
      }
      if (missing.length) out = [...units.slice(0, audAt + 1), ...missing, ...units.slice(audAt + 1)];
    }
    const pts = this.clock.to90k(this.curTs);
    this.stats.frames++;
    this.onFrame({ track: 'video', codec: this.codec, pts, dts: pts, key, units: out });
  }
}

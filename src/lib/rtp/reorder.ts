import type { RtpPacket } from './packet.js';
import { seqDelta } from './seq.js';

export interface ReorderStats {
  /** packets pushed */
  received: number;
  /** sequence numbers given up on (never delivered) */
  lost: number;
  /** packets that arrived after a later one and were put back in order */
  reordered: number;
  /** copies of a packet already held or delivered */
  duplicates: number;
  /** packets that arrived after their gap had been given up, or stray far off the sequence (dropped) */
  late: number;
  /** restarts of the sequence space (new SSRC, or a confirmed big jump) */
  resyncs: number;
}

export interface ReorderBufferOptions {
  onPacket(p: RtpPacket): void;
  /** called with the number of sequence numbers given up, before the packet after the gap is delivered */
  onLoss?(count: number): void;
  /** packets held behind a gap while waiting for it to fill; when one more arrives, the gap is given up. Default 32. */
  window?: number;
}

/** RFC 3550 §A.1: a forward jump this large, or a backward one beyond MAX_MISORDER, is a restart, not loss. */
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

/**
 * Puts one RTP stream's packets back in sequence order (16-bit arithmetic with wrap, RFC 3550 §A.1). Packets are
 * released as soon as they are next in line; a gap is waited for until `window` packets are held, then given up
 * (counted as lost, reported through onLoss). Duplicates and packets older than what was already released are
 * dropped. A new SSRC resyncs at once; a huge jump in sequence number resyncs when the packet after it confirms the
 * new numbering (RFC 3550 §A.1 "probation"), so one stray packet cannot derail the stream.
 */
export class ReorderBuffer {
  readonly stats: ReorderStats = { received: 0, lost: 0, reordered: 0, duplicates: 0, late: 0, resyncs: 0 };
  private readonly onPacket: (p: RtpPacket) => void;
  private readonly onLoss?: (count: number) => void;
  /** ring slots: one missing packet plus `window` held behind it */
  private readonly size: number;
  private readonly ring: (RtpPacket | undefined)[];
  /** ring slot of sequence number `next` */
  private head = 0;
  /** next sequence number to release */
  private next = -1;
  private held = 0;
  private ssrc = -1;
  /** bit i set: sequence number next-1-i was delivered (for duplicate vs late, last 32) */
  private history = 0;
  /** a packet after a big jump, waiting for its successor to confirm a restart */
  private probe: RtpPacket | undefined;

  constructor(opts: ReorderBufferOptions) {
    this.onPacket = opts.onPacket;
    this.onLoss = opts.onLoss;
    this.size = Math.min(1024, Math.max(1, Math.floor(opts.window ?? 32))) + 1;
    this.ring = new Array(this.size).fill(undefined);
  }

  push(p: RtpPacket): void {
    this.stats.received++;
    if (this.next < 0 || p.ssrc !== this.ssrc) {
      if (this.next >= 0) this.resync();
      this.start(p);
      return;
    }
    const d = seqDelta(this.next, p.seq);
    if (d >= MAX_DROPOUT || d < -MAX_MISORDER) {
      const probe = this.probe;
      if (probe && seqDelta(probe.seq, p.seq) === 1) {
        this.resync();
        this.start(probe);
        this.insert(p);
      } else {
        this.probe = p;
      }
      return;
    }
    if (this.probe) {
      this.probe = undefined;
      this.stats.late++; // a stray packet far off the sequence: dropped
    }
    if (d < 0) {
      const back = -d - 1;
      if (back < 32 && this.history & (1 << back)) this.stats.duplicates++;
      else this.stats.late++;
      return;
    }
    this.insert(p);
  }

  /** Releases everything held, in order, giving up the gaps between (end of stream, or a receive timeout). */
  flush(): void {
    while (this.held > 0) this.advance();
  }

  /** Packets currently held. */
  get holding(): number {
    return this.held;
  }

  private start(p: RtpPacket): void {
    this.ssrc = p.ssrc;
    this.next = p.seq;
    this.head = 0;
    this.history = 0;
    this.probe = undefined;
    this.insert(p);
  }

  private resync(): void {
    this.flush();
    this.stats.resyncs++;
  }

  private insert(p: RtpPacket): void {
    let d = seqDelta(this.next, p.seq);
    // Make room: release held packets (giving up the gaps before them) until p fits in the window.
    while (d >= this.size && this.held > 0) {
      this.advance();
      d = seqDelta(this.next, p.seq);
    }
    if (d >= this.size) {
      // Nothing held and still too far ahead: a burst loss; the packets in between are given up.
      this.stats.lost += d;
      this.onLoss?.(d);
      this.next = p.seq;
      this.head = 0;
      this.history = 0;
      d = 0;
    }
    const slot = (this.head + d) % this.size;
    if (this.ring[slot]) {
      this.stats.duplicates++;
      return;
    }
    if (this.held > 0 && this.hasLaterThan(d)) this.stats.reordered++;
    this.ring[slot] = p;
    this.held++;
    this.drain();
  }

  /** Delivers from the head while the next packet is present. */
  private drain(): void {
    while (this.held > 0 && this.ring[this.head]) this.advance();
  }

  /** Moves past the head slot: delivers its packet, or counts it lost (merging runs of losses into one report). */
  private advance(): void {
    let gap = 0;
    while (!this.ring[this.head]) {
      gap++;
      this.step(false);
    }
    if (gap) {
      this.stats.lost += gap;
      this.onLoss?.(gap);
    }
    const p = this.ring[this.head] as RtpPacket;
    this.ring[this.head] = undefined;
    this.held--;
    this.step(true);
    this.onPacket(p);
  }

  private step(delivered: boolean): void {
    this.history = ((this.history << 1) | (delivered ? 1 : 0)) >>> 0;
    this.head = (this.head + 1) % this.size;
    this.next = (this.next + 1) & 0xffff;
  }

  private hasLaterThan(d: number): boolean {
    for (let k = d + 1; k < this.size; k++) if (this.ring[(this.head + k) % this.size]) return true;
    return false;
  }
}

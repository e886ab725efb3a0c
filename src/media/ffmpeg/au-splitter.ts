import { h264StartsAccessUnit } from '../../lib/h264/index.js';
import { h265StartsAccessUnit } from '../../lib/h265/index.js';
import { isVclUnit, type AnnexBCodec } from './annexb-input.js';

/**
 * Cuts an Annex-B byte stream arriving in arbitrary chunks (a pipe) into access units of NAL units without start
 * codes. A NAL unit is complete when the next start code arrives, an access unit when the header of the first NAL
 * unit of the next one does (H.264 §7.4.1.2.3, H.265 §7.4.2.4.4): so the newest access unit is held until the next
 * begins (one frame of delay) or flush() is called at the end of the stream.
 */
export class AccessUnitSplitter {
  private buf: Buffer = Buffer.alloc(0);
  /** where the NAL unit being read starts (just after its start code); -1 before the first start code */
  private nalStart = -1;
  /** the open NAL unit's header has been looked at (does it begin a new access unit?) */
  private headerSeen = false;
  /** where scanning for the next start code resumes */
  private scan = 0;
  private au: Buffer[] = [];
  private auHasVcl = false;

  constructor(
    private readonly codec: AnnexBCodec,
    /** a NAL unit longer than this (garbage, no start code) resets the splitter */
    private readonly maxNalBytes = 32 * 1024 * 1024,
  ) {}

  /** Access units completed by this chunk. */
  push(chunk: Buffer): Buffer[][] {
    const out: Buffer[][] = [];
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const b = this.buf;
    let i = this.scan;
    for (;;) {
      const sc = b.indexOf(START, i);
      if (sc < 0) break;
      if (this.nalStart >= 0) this.complete(b, sc, out);
      this.nalStart = sc + 3;
      this.headerSeen = false;
      this.peek(b, b.length, out);
      i = sc + 3;
    }
    if (this.nalStart >= 0) this.peek(b, b.length, out);
    // keep the open NAL unit; without one, the last 2 bytes (a start code may be split across chunks)
    const keepFrom = this.nalStart >= 0 ? this.nalStart : Math.max(0, b.length - 2);
    this.scan = Math.max(keepFrom, b.length - 2) - keepFrom;
    this.buf = b.subarray(keepFrom);
    if (this.nalStart >= 0) this.nalStart = 0;
    if (this.buf.length > this.maxNalBytes) this.reset();
    return out;
  }

  /** End of stream: the last NAL unit and access unit. */
  flush(): Buffer[][] {
    const out: Buffer[][] = [];
    if (this.nalStart >= 0) this.complete(this.buf, this.buf.length, out);
    if (this.au.length && this.auHasVcl) out.push(this.au);
    this.reset();
    return out;
  }

  reset(): void {
    this.buf = Buffer.alloc(0);
    this.nalStart = -1;
    this.headerSeen = false;
    this.scan = 0;
    this.au = [];
    this.auHasVcl = false;
  }

  /**
   * Once the open NAL unit's first bytes are there (or it is complete): if it begins an access unit, the current
   * one is done. Deciding on the header, not on the end of the NAL unit, keeps the delay at one access unit.
   */
  private peek(b: Buffer, end: number, out: Buffer[][]): void {
    if (this.headerSeen || end - this.nalStart < 3) return;
    this.headerSeen = true;
    const starts = this.codec === 'h264' ? h264StartsAccessUnit(b, this.nalStart) : h265StartsAccessUnit(b, this.nalStart);
    if (starts && this.auHasVcl) {
      out.push(this.au);
      this.au = [];
      this.auHasVcl = false;
    }
  }

  /** The open NAL unit ends at `end` (a start code or the end of the stream). */
  private complete(b: Buffer, end: number, out: Buffer[][]): void {
    let e = end;
    while (e > this.nalStart && b[e - 1] === 0) e--; // zero_byte of a 4-byte start code, trailing_zero_8bits
    if (e === this.nalStart) return;
    if (!this.headerSeen) {
      // shorter than 3 bytes: decide on what there is (AUD, tiny SEI); a slice this short is not valid anyway
      const nal = Buffer.concat([b.subarray(this.nalStart, e), Buffer.alloc(3)]);
      this.headerSeen = true;
      const starts = this.codec === 'h264' ? h264StartsAccessUnit(nal, 0) : h265StartsAccessUnit(nal, 0);
      if (starts && this.auHasVcl) {
        out.push(this.au);
        this.au = [];
        this.auHasVcl = false;
      }
    }
    // a copy: the chunk buffer is dropped, and these units live on in the hub's GOP cache
    const nal = Buffer.from(b.subarray(this.nalStart, e));
    this.au.push(nal);
    if (isVclUnit(this.codec, nal)) this.auHasVcl = true;
  }
}

const START = Buffer.from([0, 0, 1]);

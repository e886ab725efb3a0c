/**
 * Video access units from PES payloads (shared by the PS and TS demuxers).
 *
 * A PES with a PTS different from the pending picture's announces a new access unit (ISO/IEC 13818-1 §2.4.3.7: the PTS
 * belongs to the first access unit that commences in the PES). Cameras start that PES with the new picture; muxers such
 * as ffmpeg's fill fixed-size packs, so the PES may first carry the tail of the previous picture. For H.264/H.265 the
 * cut is therefore put at the first NAL unit at or after the PES start that begins an access unit (ITU-T H.264
 * §7.4.1.2.3, H.265 §7.4.2.4.4); for other codecs at the PES start. PES without PTS continue the pending picture.
 */
import type { VideoCodec, VideoFrame } from '../av/frame.js';
import { splitAnnexB } from '../h264/annexb.js';
import { H264Nal, h264StartsAccessUnit, isH264Keyframe } from '../h264/nal.js';
import { parseH264Sps } from '../h264/sps.js';
import { H265Nal, h265StartsAccessUnit, isH265Keyframe } from '../h265/nal.js';
import { ByteList, joinPieces } from './byte-list.js';
import { guessVideoCodec, guessVideoCodecOfUnits, isMpeg4Keyframe } from './codec-guess.js';
import type { FrameSink } from './sink.js';
import { PREFIX } from './start-code.js';

/** bytes after a new PES start searched for the access-unit start before cutting at the PES start anyway */
const SCAN_LIMIT = 256 * 1024;
/** parameter sets / SEI of a picture-less frame carried into the next frame, at most */
const CARRY_LIMIT = 64 * 1024;

interface ParamSets {
  vps?: Buffer;
  sps?: Buffer;
  pps?: Buffer;
}

export class VideoAssembler {
  /** known codec (PSM / stream_type or guessed); undefined while unknown */
  codec: VideoCodec | undefined;
  /** the codec came from a PSM/PMT (a parameter set of the other codec then reports CODEC_MISMATCH) */
  private declared = false;
  private readonly data = new ByteList();
  /** a picture is pending (it has a timestamp) */
  private open = false;
  /** bytes are being skipped until a PES with a PTS (no timestamp yet, or after an oversize frame) */
  private skipping = false;
  private pts = 0;
  private dts = 0;
  private corrupt = false;
  private key = false;
  /** offset in data of the PES that announced the next picture, -1 when none */
  private cut = -1;
  private scanFrom = 0;
  private nextPts = 0;
  private nextDts = 0;
  private nextCorrupt = false;
  private keyHint = false;
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private readonly sets: ParamSets = {};
  private warnedUnknown = false;
  /** last picture duration seen (90 kHz) */
  private step = 3600;
  /** the H.264 SPS allows field pictures (frame_mbs_only_flag 0): two fields in one PES are one frame, not split */
  private fields = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly maxBytes: number,
  ) {}

  /** Codec from a PSM / PMT stream_type. */
  declare(codec: VideoCodec): void {
    if (this.codec !== codec) this.resetParamSets();
    this.codec = codec;
    this.declared = true;
  }

  /** A PSM / system header came: the next picture is a keyframe (used for codecs without NAL units, e.g. SVAC). */
  hintKey(): void {
    this.keyHint = true;
  }

  /** A PES of this stream begins; timestamps already unwrapped (undefined: the PES has none). */
  pesStart(pts: number | undefined, dts: number | undefined): void {
    if (pts === undefined) {
      if (!this.open) this.skipping = true;
      return; // continues the pending picture
    }
    const d = dts ?? pts;
    if (!this.open || this.skipping) return this.begin(pts, d);
    if (this.cut >= 0) {
      if (pts === this.nextPts) return;
      this.resolve(true);
    }
    if (pts === this.pts) return; // the same picture in another PES (e.g. SPS, PPS, IDR each in its own)
    if (this.data.length === 0) {
      this.pts = pts;
      this.dts = d;
      this.corrupt = false;
      return;
    }
    if (this.isNal()) {
      this.cut = this.data.length;
      this.scanFrom = Math.max(0, this.cut - 3);
      this.nextPts = pts;
      this.nextDts = d;
      this.nextCorrupt = false;
      return;
    }
    this.emit(this.data.shift(this.data.length), this.pts, this.dts, this.corrupt, this.key);
    this.begin(pts, d);
  }

  append(b: Buffer): void {
    if (!this.open || this.skipping || b.length === 0) return;
    if (this.data.length + b.length > this.maxBytes) {
      this.sink.error('FRAME_TOO_LARGE', `video frame over ${this.maxBytes} bytes dropped`);
      this.sink.dropped();
      this.data.clear();
      this.cut = -1;
      this.open = false;
      this.skipping = true;
      return;
    }
    this.data.push(b);
    if (this.cut >= 0) this.resolve(false);
  }

  /** The bytes just appended are damaged: the picture they belong to is dropped when complete. */
  markCorrupt(): void {
    if (this.cut >= 0) this.nextCorrupt = true;
    else if (this.open && this.data.length > 0) this.corrupt = true;
  }

  /** The pending picture is complete (RTP marker, end of input): emit it now. */
  end(): void {
    if (this.cut >= 0) this.resolve(true);
    if (this.open && this.data.length > 0) {
      this.emit(this.data.shift(this.data.length), this.pts, this.dts, this.corrupt, this.key);
      this.corrupt = false;
      this.key = false;
    }
  }

  /** Drops the pending picture (input was lost); the next PES with a PTS starts afresh. */
  discard(): void {
    if (this.open && this.data.length > 0) this.sink.dropped();
    this.data.clear();
    this.cut = -1;
    this.open = false;
    this.skipping = true;
  }

  private begin(pts: number, dts: number): void {
    this.data.clear();
    this.open = true;
    this.skipping = false;
    this.cut = -1;
    this.pts = pts;
    this.dts = dts;
    this.corrupt = false;
    this.key = this.keyHint;
    this.keyHint = false;
  }

  private isNal(): boolean {
    if (this.codec === undefined && this.data.length > 0) {
      const g = guessVideoCodec(this.data.join());
      if (g) this.codec = g;
    }
    return this.codec === 'h264' || this.codec === 'h265';
  }

  /** Looks for the access-unit start after `cut`; cuts there (or, when forced / too far, at `cut`). */
  private resolve(force: boolean): void {
    const h265 = this.codec === 'h265';
    const need = h265 ? 3 : 2; // NAL header bytes to tell (incl. the first slice flag / first_mb bit)
    const region = this.data.slice(this.scanFrom, this.data.length);
    let i = region.indexOf(PREFIX);
    while (i >= 0) {
      const h = i + 3;
      if (h + need > region.length) break; // header not complete yet
      if (h265 ? h265StartsAccessUnit(region, h) : h264StartsAccessUnit(region, h)) {
        this.cutAt(this.scanFrom + i);
        return;
      }
      i = region.indexOf(PREFIX, i + 1);
    }
    if (force || this.data.length - this.cut > SCAN_LIMIT) {
      this.cutAt(this.cut);
      return;
    }
    // next time, start where an unfinished start code + header may begin
    this.scanFrom = i >= 0 ? this.scanFrom + i : Math.max(this.scanFrom, this.data.length - 2 - need);
  }

  private cutAt(pos: number): void {
    const head = this.data.shift(pos);
    this.emit(head, this.pts, this.dts, this.corrupt, this.key, this.nextDts);
    this.pts = this.nextPts;
    this.dts = this.nextDts;
    this.corrupt = this.nextCorrupt;
    this.key = this.keyHint;
    this.keyHint = false;
    this.cut = -1;
  }

  /** next: the DTS of the picture after this one when known (spreads the timestamps of packed pictures) */
  private emit(pieces: Buffer[], pts: number, dts: number, corrupt: boolean, keyHint: boolean, next?: number): void {
    if (pieces.length === 0) return;
    if (corrupt) {
      this.sink.dropped();
      return;
    }
    const buf = joinPieces(pieces);
    if (this.codec === undefined) {
      this.codec = guessVideoCodec(buf);
      if (this.codec === undefined) {
        if (!this.warnedUnknown) this.sink.error('CODEC_UNKNOWN', 'video without PSM or parameter sets: dropped until a keyframe');
        this.warnedUnknown = true;
        this.sink.dropped();
        return;
      }
    }
    if (this.codec !== 'h264' && this.codec !== 'h265') {
      const key = this.codec === 'mpeg4' ? isMpeg4Keyframe(buf) : keyHint;
      this.sink.frame({ track: 'video', codec: this.codec, pts, dts, key, units: [buf] });
      return;
    }
    let units = splitAnnexB(buf);
    if (units.length === 0) {
      this.sink.error('NO_NAL_UNITS', `${buf.length} bytes of ${this.codec} without a start code`);
      this.sink.dropped();
      return;
    }
    const seen = guessVideoCodecOfUnits(units);
    if (seen && seen !== this.codec) {
      this.sink.error('CODEC_MISMATCH', `${this.declared ? 'PSM says' : 'guessed'} ${this.codec}, parameter sets are ${seen}`);
      this.codec = seen;
      this.resetParamSets();
    }
    const h265 = this.codec === 'h265';
    const isVcl = h265 ? isH265VclUnit : isH264VclUnit;
    if (!units.some(isVcl)) {
      // parameter sets / SEI sent as a frame of their own: they go with the next picture
      this.keep(units);
      return;
    }
    if (this.carry.length > 0) {
      units = this.carry.concat(units);
      this.carry = [];
      this.carryBytes = 0;
    }
    this.noteParamSets(units, h265);
    const aus = this.fields ? [units] : splitAccessUnits(units, h265);
    if (!aus[aus.length - 1].some(isVcl)) this.keep(aus.pop()!); // the next picture's leading units
    // pictures whose PES had no PTS (a muxer packed several into one PES): timestamps spread evenly up to the next
    // picture's, composition offset kept (exact without B-frames)
    const step = next !== undefined && next > dts ? (next - dts) / aus.length : this.step;
    for (let k = 0; k < aus.length; k++) {
      let au = aus[k];
      const key = h265 ? isH265Keyframe(au) : isH264Keyframe(au);
      if (key) au = this.withParamSets(au, h265);
      const shift = Math.round(k * step);
      const f: VideoFrame = { track: 'video', codec: this.codec, pts: pts + shift, dts: dts + shift, key, units: au };
      this.sink.frame(f);
    }
    if (next !== undefined && next > dts && next - dts < 90_000) this.step = (next - dts) / aus.length;
  }

  private keep(units: readonly Buffer[]): void {
    for (const u of units) {
      if (this.carryBytes + u.length > CARRY_LIMIT) break;
      this.carry.push(u);
      this.carryBytes += u.length;
    }
  }

  private resetParamSets(): void {
    this.sets.vps = this.sets.sps = this.sets.pps = undefined;
    this.fields = false;
  }

  /** Keeps copies of the latest parameter sets (they are small; the frame buffers are not kept alive). */
  private noteParamSets(units: readonly Buffer[], h265: boolean): void {
    for (const u of units) {
      const slot = paramSetSlot(u, h265);
      if (!slot || this.sets[slot]?.equals(u)) continue;
      this.sets[slot] = Buffer.from(u);
      if (slot === 'sps' && !h265) {
        try {
          this.fields = !parseH264Sps(u).frameMbsOnly;
        } catch {
          this.fields = false;
        }
      }
    }
  }

  /** A keyframe carries its parameter sets (VideoFrame contract): the last ones seen are put in front when absent. */
  private withParamSets(units: Buffer[], h265: boolean): Buffer[] {
    const has = (type: number): boolean => units.some((u) => (h265 ? (u[0] >> 1) & 0x3f : u[0] & 0x1f) === type);
    const add: Buffer[] = [];
    if (h265 && this.sets.vps && !has(H265Nal.VPS)) add.push(this.sets.vps);
    if (this.sets.sps && !has(h265 ? H265Nal.SPS : H264Nal.SPS)) add.push(this.sets.sps);
    if (this.sets.pps && !has(h265 ? H265Nal.PPS : H264Nal.PPS)) add.push(this.sets.pps);
    return add.length > 0 ? add.concat(units) : units;
  }
}

function paramSetSlot(u: Buffer, h265: boolean): keyof ParamSets | undefined {
  if (h265) {
    const t = (u[0] >> 1) & 0x3f;
    return t === H265Nal.VPS ? 'vps' : t === H265Nal.SPS ? 'sps' : t === H265Nal.PPS ? 'pps' : undefined;
  }
  const t = u[0] & 0x1f;
  return t === H264Nal.SPS ? 'sps' : t === H264Nal.PPS ? 'pps' : undefined;
}

const isH264VclUnit = (u: Buffer): boolean => {
  const t = u[0] & 0x1f;
  return t >= 1 && t <= 5;
};
const isH265VclUnit = (u: Buffer): boolean => u.length >= 2 && ((u[0] >> 1) & 0x3f) <= 31;

/**
 * Units of one emitted piece of stream split into access units (a new one at an AU-start NAL after a VCL NAL,
 * ITU-T H.264 §7.4.1.2.3 / H.265 §7.4.2.4.4).
 */
function splitAccessUnits(units: Buffer[], h265: boolean): Buffer[][] {
  const aus: Buffer[][] = [];
  let start = 0;
  let vcl = false;
  for (let i = 0; i < units.length; i++) {
    const u = units[i];
    if (vcl && (h265 ? h265StartsAccessUnit(u, 0) : h264StartsAccessUnit(u, 0))) {
      aus.push(units.slice(start, i));
      start = i;
      vcl = false;
    }
    if (h265 ? isH265VclUnit(u) : isH264VclUnit(u)) vcl = true;
  }
  aus.push(start === 0 ? units : units.slice(start));
  return aus;
}

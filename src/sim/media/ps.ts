import type { TrackParams } from '../../lib/av/frame.js';
import { muxPs } from '../../lib/ps/index.js';
import type { SimCodec } from './codecs.js';

/**
 * One access unit as PS bytes (GB/T 28181-2016 附录C), muxed once at load time and shared by every stream.
 * The SCR/PTS/DTS fields inside are rewritten with each stream's clock just before the bytes are packetized
 * (`stampPs`): the packetizer copies them into the RTP packets synchronously, so one buffer serves all streams.
 */
export interface PsFrame {
  readonly ps: Buffer;
  readonly key: boolean;
  /** byte offsets of the timestamps in `ps` with their distance from the frame time (90 kHz) */
  readonly stamps: readonly Stamp[];
}

interface Stamp {
  off: number;
  kind: 'scr' | 'ts';
  delta: number;
}

/** Frame time the access units are muxed with; each field's difference to it is kept (a muxer may put SCR earlier). */
const MUX_BASE = 90_000 * 3600;
const TWO33 = 2 ** 33;

/** One access unit as a camera's PS pack (src/lib/ps: pack header, system header + PSM before keyframes, PES). */
export function premux(units: readonly Buffer[], key: boolean, codec: SimCodec, params: TrackParams): PsFrame {
  const ps = muxPs({ track: 'video', codec, pts: MUX_BASE, dts: MUX_BASE, key, units }, params);
  return { ps, key, stamps: findStamps(ps) };
}

/** Writes the frame time `t90` (90 kHz, any non-negative number; written modulo 2^33) into the frame's PS headers. */
export function stampPs(f: PsFrame, t90: number): void {
  for (const s of f.stamps) {
    let v = (t90 + s.delta) % TWO33;
    if (v < 0) v += TWO33;
    if (s.kind === 'scr') writeScr(f.ps, s.off, v);
    else writeTs(f.ps, s.off, f.ps[s.off] >> 4, v);
  }
}

/**
 * Walks the PS packets (ISO/IEC 13818-1 §2.5.3): pack headers (SCR), system header and PSM (skipped by length),
 * PES packets (PTS/DTS, §2.4.3.6). Stops at anything it does not know.
 */
export function findStamps(ps: Buffer): Stamp[] {
  const out: Stamp[] = [];
  let i = 0;
  while (i + 4 <= ps.length && ps[i] === 0 && ps[i + 1] === 0 && ps[i + 2] === 1) {
    const id = ps[i + 3];
    if (id === 0xba) {
      if (i + 14 > ps.length || (ps[i + 4] & 0xc0) !== 0x40) break; // MPEG-1 packs are not written by anyone we use
      out.push({ off: i + 4, kind: 'scr', delta: readScr(ps, i + 4) - MUX_BASE });
      i += 14 + (ps[i + 13] & 0x07);
      continue;
    }
    if (i + 6 > ps.length) break;
    const len = ps.readUInt16BE(i + 4);
    if (id === 0xbb || id === 0xbc || id === 0xbe || id === 0xbf || len === 0) {
      if (len === 0) break;
      i += 6 + len;
      continue;
    }
    // PES with the MPEG-2 header: '10', flags, PTS_DTS_flags, header length
    if ((ps[i + 6] & 0xc0) === 0x80 && i + 9 <= ps.length) {
      const flags = ps[i + 7] >> 6;
      if (flags & 2) out.push({ off: i + 9, kind: 'ts', delta: readTs(ps, i + 9) - MUX_BASE });
      if (flags === 3) out.push({ off: i + 14, kind: 'ts', delta: readTs(ps, i + 14) - MUX_BASE });
    }
    i += 6 + len;
  }
  return out;
}

function readTs(b: Buffer, o: number): number {
  const hi = (b[o] >> 1) & 0x07;
  const lo = ((b[o + 1] << 22) | ((b[o + 2] >> 1) << 15) | (b[o + 3] << 7) | (b[o + 4] >> 1)) >>> 0;
  return hi * 2 ** 30 + lo;
}

/** PTS/DTS, §2.4.3.7: 4-bit prefix, 33 bits with marker bits. */
export function writeTs(b: Buffer, o: number, prefix: number, v: number): void {
  const hi = Math.floor(v / 2 ** 30) & 0x07;
  const lo = v % 2 ** 30;
  b[o] = (prefix << 4) | (hi << 1) | 1;
  b[o + 1] = (lo >> 22) & 0xff;
  b[o + 2] = ((lo >> 14) & 0xfe) | 1;
  b[o + 3] = (lo >> 7) & 0xff;
  b[o + 4] = ((lo << 1) & 0xfe) | 1;
}

function readScr(b: Buffer, o: number): number {
  const hi = (b[o] >> 3) & 0x07;
  const lo = ((b[o] & 0x03) << 28) | (b[o + 1] << 20) | ((b[o + 2] >> 3) << 15) | ((b[o + 2] & 0x03) << 13) | (b[o + 3] << 5) | (b[o + 4] >> 3);
  return hi * 2 ** 30 + (lo >>> 0);
}

/** MPEG-2 pack header SCR, §2.5.3.3: '01', base 33 bits and extension 9 bits with marker bits (extension 0). */
export function writeScr(b: Buffer, o: number, v: number): void {
  const hi = Math.floor(v / 2 ** 30) & 0x07;
  const lo = v % 2 ** 30;
  b[o] = 0x44 | (hi << 3) | ((lo >> 28) & 0x03);
  b[o + 1] = (lo >> 20) & 0xff;
  b[o + 2] = ((lo >> 12) & 0xf8) | 0x04 | ((lo >> 13) & 0x03);
  b[o + 3] = (lo >> 5) & 0xff;
  b[o + 4] = ((lo & 0x1f) << 3) | 0x04;
  b[o + 5] = 0x01;
}

/**
 * Movie fragment boxes, ISO/IEC 14496-12 §8.8: moof → mfhd (§8.8.5) and per track a traf with tfhd (§8.8.7), an
 * optional tfdt (§8.8.12) and trun boxes (§8.8.8). Turns them into absolute per-sample records, applying the
 * defaults chain trun → tfhd → trex and the base-data-offset rules of §8.8.7.1.
 */
import { children, fullBoxHeader, iterateBoxes, Mp4Error, readU64, type Box } from './box.js';
import type { Mp4Track } from './init.js';

export interface FragmentSample {
  trackId: number;
  /** decode time in the track's timescale (tfdt + preceding durations) */
  dts: number;
  /** composition offset (track timescale), signed */
  cto: number;
  duration: number;
  size: number;
  /** absolute offset of the sample's first byte in the file */
  fileOffset: number;
  /** sync sample: sample_depends_on == 2 (independent) or !sample_is_non_sync_sample (§8.8.3.1) */
  key: boolean;
  /** 1-based stsd entry index */
  entry: number;
}

export interface ParsedMoof {
  /** mfhd sequence_number */
  sequence: number;
  /** samples of every known track, per traf in box order, each run in decode order */
  samples: FragmentSample[];
}

// tfhd flags (§8.8.7.1)
const TFHD_BASE_DATA_OFFSET = 0x000001;
const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x000002;
const TFHD_DEFAULT_DURATION = 0x000008;
const TFHD_DEFAULT_SIZE = 0x000010;
const TFHD_DEFAULT_FLAGS = 0x000020;
const TFHD_DURATION_IS_EMPTY = 0x010000;
const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;
// trun flags (§8.8.8.1)
const TRUN_DATA_OFFSET = 0x000001;
const TRUN_FIRST_SAMPLE_FLAGS = 0x000004;
const TRUN_DURATION = 0x000100;
const TRUN_SIZE = 0x000200;
const TRUN_FLAGS = 0x000400;
const TRUN_CTO = 0x000800;

/** sample_flags (§8.8.3.1): sample_depends_on bits 24–25, sample_is_non_sync_sample bit 16. */
export function isSyncFlags(flags: number): boolean {
  return ((flags >>> 24) & 3) === 2 || ((flags >>> 16) & 1) === 0;
}

/**
 * Parses one moof box (`moofBuf` starts at its header; the rest of the buffer is ignored) found at `moofFileOffset`
 * in its file. Tracks not declared in `tracks` are skipped. `nextDts` carries each track's decode time across
 * fragments for files without tfdt; it is updated with the end of this fragment.
 */
export function parseMoof(moofBuf: Buffer, moofFileOffset: number, tracks: readonly Mp4Track[], nextDts: Map<number, number> = new Map()): ParsedMoof {
  const first = iterateBoxes(moofBuf.subarray(0, headerEnd(moofBuf)), 0, undefined, moofFileOffset).next();
  if (first.done || first.value.type !== 'moof') throw new Mp4Error(`no moof box at ${moofFileOffset}`);
  const moof = first.value;
  const byId = new Map(tracks.map((t) => [t.id, t]));
  let sequence = 0;
  const samples: FragmentSample[] = [];
  let prevTrafDataEnd = moofFileOffset; // base for a traf without base offset flags: §8.8.7.1
  for (const box of children(moof)) {
    if (box.type === 'mfhd' && box.body.length >= 8) sequence = box.body.readUInt32BE(4);
    if (box.type !== 'traf') continue;
    prevTrafDataEnd = parseTraf(box, moofFileOffset, prevTrafDataEnd, byId, nextDts, samples);
  }
  return { sequence, samples };
}

/** The moof box's extent within the buffer (so trailing bytes after it are not parsed as boxes). */
function headerEnd(b: Buffer): number {
  if (b.length < 8) throw new Mp4Error('moof buffer shorter than a box header');
  const s = b.readUInt32BE(0);
  const size = s === 1 ? readU64(b, 8) : s === 0 ? b.length : s;
  if (size > b.length) throw new Mp4Error(`moof of ${size} bytes but only ${b.length} given`);
  return size;
}

function parseTraf(traf: Box, moofStart: number, prevTrafDataEnd: number, byId: Map<number, Mp4Track>, nextDts: Map<number, number>, out: FragmentSample[]): number {
  let tfhd: Box | undefined;
  let tfdt: Box | undefined;
  const truns: Box[] = [];
  for (const c of children(traf)) {
    if (c.type === 'tfhd') tfhd = c;
    else if (c.type === 'tfdt') tfdt = c;
    else if (c.type === 'trun') truns.push(c);
  }
  if (!tfhd) throw new Mp4Error('traf without tfhd');
  const th = tfhd.body;
  const tf = fullBoxHeader(tfhd).flags;
  const need = (n: number, what: string): void => {
    if (th.length < n) throw new Mp4Error(`tfhd too short for ${what}`);
  };
  need(8, 'track_ID');
  const trackId = th.readUInt32BE(4);
  const track = byId.get(trackId);
  const trex = track?.defaults ?? { sampleDescriptionIndex: 1, sampleDuration: 0, sampleSize: 0, sampleFlags: 0 };
  let o = 8;
  let base: number;
  if (tf & TFHD_BASE_DATA_OFFSET) {
    need(o + 8, 'base_data_offset');
    base = readU64(th, o);
    o += 8;
  } else base = tf & TFHD_DEFAULT_BASE_IS_MOOF ? moofStart : prevTrafDataEnd;
  let entry = trex.sampleDescriptionIndex;
  if (tf & TFHD_SAMPLE_DESCRIPTION_INDEX) {
    need(o + 4, 'sample_description_index');
    entry = th.readUInt32BE(o);
    o += 4;
  }
  let defDuration = trex.sampleDuration;
  if (tf & TFHD_DEFAULT_DURATION) {
    need(o + 4, 'default_sample_duration');
    defDuration = th.readUInt32BE(o);
    o += 4;
  }
  let defSize = trex.sampleSize;
  if (tf & TFHD_DEFAULT_SIZE) {
    need(o + 4, 'default_sample_size');
    defSize = th.readUInt32BE(o);
    o += 4;
  }
  let defFlags = trex.sampleFlags;
  if (tf & TFHD_DEFAULT_FLAGS) {
    need(o + 4, 'default_sample_flags');
    defFlags = th.readUInt32BE(o);
  }

  let dts = nextDts.get(trackId) ?? 0;
  if (tfdt) {
    const v = fullBoxHeader(tfdt).version;
    if (tfdt.body.length < (v === 1 ? 12 : 8)) throw new Mp4Error('tfdt too short');
    dts = v === 1 ? readU64(tfdt.body, 4) : tfdt.body.readUInt32BE(4);
  }
  let dataEnd = base;
  if (tf & TFHD_DURATION_IS_EMPTY) truns.length = 0; // §8.8.7.1: no samples in this track fragment
  for (const trun of truns) {
    const { version, flags } = fullBoxHeader(trun);
    const b = trun.body;
    if (b.length < 8) throw new Mp4Error('trun too short');
    const count = b.readUInt32BE(4);
    let p = 8;
    let offset = dataEnd; // a run without data_offset follows the previous run's data (or starts at the base)
    if (flags & TRUN_DATA_OFFSET) {
      offset = base + b.readInt32BE(p);
      p += 4;
    }
    let firstFlags: number | undefined;
    if (flags & TRUN_FIRST_SAMPLE_FLAGS) {
      firstFlags = b.readUInt32BE(p);
      p += 4;
    }
    const per = ((flags & TRUN_DURATION) ? 4 : 0) + ((flags & TRUN_SIZE) ? 4 : 0) + ((flags & TRUN_FLAGS) ? 4 : 0) + ((flags & TRUN_CTO) ? 4 : 0);
    if (p > b.length || count * per > b.length - p) throw new Mp4Error(`trun of ${count} samples overruns its box`);
    for (let i = 0; i < count; i++) {
      const duration = flags & TRUN_DURATION ? b.readUInt32BE((p += 4) - 4) : defDuration;
      const size = flags & TRUN_SIZE ? b.readUInt32BE((p += 4) - 4) : defSize;
      let sflags = flags & TRUN_FLAGS ? b.readUInt32BE((p += 4) - 4) : defFlags;
      if (i === 0 && firstFlags !== undefined) sflags = firstFlags;
      // version 0: unsigned offsets; version 1: signed (§8.8.8.2)
      const cto = flags & TRUN_CTO ? (version === 0 ? b.readUInt32BE((p += 4) - 4) : b.readInt32BE((p += 4) - 4)) : 0;
      if (track) out.push({ trackId, dts, cto, duration, size, fileOffset: offset, key: isSyncFlags(sflags), entry });
      dts += duration;
      offset += size;
    }
    dataEnd = offset;
  }
  nextDts.set(trackId, dts);
  return dataEnd;
}

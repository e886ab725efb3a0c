/**
 * The head of a progressive (non-fragmented) MP4, ISO/IEC 14496-12: ftyp (§4.3) + moov (§8.2.1) with complete
 * sample tables + the mdat header (§8.1.1), moov first so players can start before the whole file has arrived.
 * The caller then writes exactly `payloadSize` bytes of samples, laid out as its SampleTable chunks say.
 *
 * Per track: tkhd (§8.3.2), optional edts/elst (§8.6.6), mdhd (§8.4.2), hdlr (§8.4.3), vmhd/smhd (§12.1.2,
 * §12.2.2), dinf/dref (§8.7.2), stbl with every stsd entry given (sample entries copied from the source file; chunks
 * choose one through stsc's sample_description_index). 64-bit box versions are used only when a value needs them.
 */
import { box, fields, fullBox, UNITY_MATRIX } from '../fmp4/box.js';
import { ftyp } from '../fmp4/init.js';
import { Mp4Error } from './box.js';
import { chunkOffsetBox, chunkOffsetBoxSize, cttsBox, maxChunkOffset, SampleTable, stscBox, stssBox, stszBox, sttsBox } from './sample-table.js';

const U32_MAX = 0xffffffff;

/** An edit list (§8.6.6): optionally an empty edit (`delay`), then media from `mediaTime` for `duration`. */
export interface TrackEdit {
  /** media time (track timescale) at which the presentation of this track starts; the samples before it are pre-roll */
  mediaTime: number;
  /** presented media duration (track timescale); default: the rest of the media after mediaTime */
  duration?: number;
  /** empty time (track timescale) before the media starts, for a track that begins later than the movie */
  delay?: number;
}

export interface ProgressiveTrack {
  kind: 'video' | 'audio';
  timescale: number;
  /** raw stsd entry boxes (avc1 / hvc1 / mp4a …), 1-based indices in the table's chunks refer to them */
  sampleEntries: Buffer[];
  /** tkhd presentation size (video) */
  width?: number;
  height?: number;
  table: SampleTable;
  edit?: TrackEdit;
}

export interface ProgressiveOptions {
  tracks: ProgressiveTrack[];
  /** bytes of sample data that will follow the header (the sum of the tables' data) */
  payloadSize: number;
  /** use co64 even when every chunk offset fits 32 bits (tests, and players that must handle it) */
  forceCo64?: boolean;
  /** mvhd / tkhd / elst timescale (default 1000) */
  movieTimescale?: number;
}

export interface ProgressiveHeader {
  /** ftyp + moov + mdat header */
  header: Buffer;
  /** chunk offsets were written as co64 */
  co64: boolean;
  /** the mdat header used the 64-bit largesize */
  largeMdat: boolean;
  /** presentation duration of the movie (mvhd), in movie timescale */
  duration: number;
  movieTimescale: number;
}

/** mdat header (§8.1.1): 8 bytes, or 16 with size = 1 and a largesize when 8 + payload does not fit 32 bits. */
export function mdatHeader(payloadSize: number): Buffer {
  if (payloadSize + 8 <= U32_MAX) return fields([32, payloadSize + 8], 'mdat');
  const b = Buffer.alloc(16);
  b.writeUInt32BE(1, 0);
  b.write('mdat', 4, 4, 'latin1');
  b.writeBigUInt64BE(BigInt(payloadSize + 16), 8);
  return b;
}

/** Rescales a duration to another timescale (rounded). */
function rescale(v: number, from: number, to: number): number {
  if (from === to) return v;
  const whole = Math.floor(v / from);
  return whole * to + Math.round(((v - whole * from) * to) / from);
}

export function progressiveHeader(opts: ProgressiveOptions): ProgressiveHeader {
  const movieTs = opts.movieTimescale ?? 1000;
  if (opts.tracks.length === 0) throw new Mp4Error('no track to write');
  let dataSize = 0;
  for (const t of opts.tracks) {
    if (t.sampleEntries.length === 0) throw new Mp4Error(`${t.kind} track without a sample entry`);
    dataSize += t.table.dataSize;
  }
  if (dataSize !== opts.payloadSize) throw new Mp4Error(`sample tables hold ${dataSize} bytes but the payload is ${opts.payloadSize}`);
  const avc = opts.tracks.some((t) => t.sampleEntries.some((e) => e.toString('latin1', 4, 8).startsWith('avc')));
  const ft = ftyp('isom', avc ? ['isom', 'iso2', 'avc1', 'mp41'] : ['isom', 'iso2', 'mp41'], 0x200);
  const mdat = mdatHeader(opts.payloadSize);

  // everything but the chunk offset boxes is fixed; their size decides co64 and so the offsets themselves
  const parts = opts.tracks.map((t, i) => trackParts(t, i + 1, movieTs));
  const duration = Math.max(...parts.map((p) => p.tkhdDuration));
  const mvhd = mvhdBox(movieTs, duration, opts.tracks.length + 1);
  const moovSize = (co64: boolean): number => {
    let n = 8 + mvhd.length;
    for (let i = 0; i < parts.length; i++) n += parts[i].sizeWithout + chunkOffsetBoxSize(opts.tracks[i].table, co64);
    return n;
  };
  const maxRel = Math.max(...opts.tracks.map((t) => maxChunkOffset(t.table)));
  let co64 = !!opts.forceCo64;
  if (!co64 && ft.length + moovSize(false) + mdat.length + maxRel > U32_MAX) co64 = true;
  const base = ft.length + moovSize(co64) + mdat.length;
  const traks = parts.map((p, i) => p.build(chunkOffsetBox(opts.tracks[i].table, base, co64)));
  const moov = box('moov', mvhd, ...traks);
  const header = Buffer.concat([ft, moov, mdat]);
  if (header.length !== base) throw new Mp4Error(`header size ${header.length} != planned ${base}`);
  return { header, co64, largeMdat: mdat.length === 16, duration, movieTimescale: movieTs };
}

interface TrackParts {
  /** tkhd duration (movie timescale) */
  tkhdDuration: number;
  /** trak size without its chunk offset box */
  sizeWithout: number;
  build(chunkOffsets: Buffer): Buffer;
}

function trackParts(t: ProgressiveTrack, id: number, movieTs: number): TrackParts {
  const table = t.table;
  const mediaDuration = table.mediaDuration;
  let elst: Buffer | undefined;
  let tkhdDuration = rescale(mediaDuration, t.timescale, movieTs);
  if (t.edit) {
    const mediaTime = Math.max(0, t.edit.mediaTime);
    const presented = Math.max(0, t.edit.duration ?? mediaDuration - mediaTime);
    const entries: [number, number][] = []; // [segment_duration (movie ts), media_time (track ts)]
    if (t.edit.delay && t.edit.delay > 0) entries.push([rescale(t.edit.delay, t.timescale, movieTs), -1]);
    entries.push([rescale(presented, t.timescale, movieTs), mediaTime]);
    tkhdDuration = entries.reduce((n, e) => n + e[0], 0);
    elst = elstBox(entries);
  }
  const v1 = tkhdDuration > U32_MAX;
  // tkhd (§8.3.2.3), flags 3 = track_enabled | track_in_movie; v1 has 64-bit times and duration
  const tkhd = fullBox(
    'tkhd',
    v1 ? 1 : 0,
    3,
    v1 ? fields([64, 0], [64, 0], [32, id], [32, 0], [64, tkhdDuration]) : fields([32, 0], [32, 0], [32, id], [32, 0], [32, tkhdDuration]),
    fields(Buffer.alloc(8), [16, 0], [16, 0], [16, t.kind === 'audio' ? 0x0100 : 0], [16, 0], UNITY_MATRIX, [32, (t.width ?? 0) * 65536], [32, (t.height ?? 0) * 65536]),
  );
  const edts = elst ? box('edts', elst) : undefined;
  // mdhd (§8.4.2.3): language 'und' packed as three 5-bit letters
  const und = ((0x75 - 0x60) << 10) | ((0x6e - 0x60) << 5) | (0x64 - 0x60);
  const mv1 = mediaDuration > U32_MAX;
  const mdhd = fullBox('mdhd', mv1 ? 1 : 0, 0, mv1 ? fields([64, 0], [64, 0], [32, t.timescale], [64, mediaDuration]) : fields([32, 0], [32, 0], [32, t.timescale], [32, mediaDuration]), fields([16, und], [16, 0]));
  const video = t.kind === 'video';
  const hdlr = fullBox('hdlr', 0, 0, fields([32, 0], video ? 'vide' : 'soun', Buffer.alloc(12), Buffer.from((video ? 'VideoHandler' : 'SoundHandler') + '\0', 'latin1')));
  const mhd = video ? fullBox('vmhd', 0, 1, Buffer.alloc(8)) : fullBox('smhd', 0, 0, Buffer.alloc(4));
  const dinf = box('dinf', fullBox('dref', 0, 0, fields([32, 1]), fullBox('url ', 0, 1)));
  const stsd = fullBox('stsd', 0, 0, fields([32, t.sampleEntries.length]), ...t.sampleEntries);
  const tables = [stsd, sttsBox(table), cttsBox(table), stssBox(table), stszBox(table), stscBox(table)].filter((b): b is Buffer => !!b);
  let tablesSize = 0;
  for (const b of tables) tablesSize += b.length;
  // trak > mdia > minf > stbl nesting: 8 bytes of header each
  const fixed = tkhd.length + (edts?.length ?? 0) + 8 + mdhd.length + hdlr.length + 8 + mhd.length + dinf.length + 8 + tablesSize;
  return {
    tkhdDuration,
    sizeWithout: 8 + fixed,
    build: (co) => box('trak', tkhd, ...(edts ? [edts] : []), box('mdia', mdhd, hdlr, box('minf', mhd, dinf, box('stbl', ...tables, co)))),
  };
}

/** mvhd (§8.2.2.3): rate 1.0, volume 1.0, unity matrix; version 1 when the duration needs 64 bits. */
function mvhdBox(timescale: number, duration: number, nextTrackId: number): Buffer {
  const v1 = duration > U32_MAX;
  const times = v1 ? fields([64, 0], [64, 0], [32, timescale], [64, duration]) : fields([32, 0], [32, 0], [32, timescale], [32, duration]);
  return fullBox('mvhd', v1 ? 1 : 0, 0, times, fields([32, 0x00010000], [16, 0x0100], Buffer.alloc(10), UNITY_MATRIX, Buffer.alloc(24), [32, nextTrackId]));
}

/** elst (§8.6.6.2): segment_duration, media_time (−1 = empty edit), media_rate 1.0. */
function elstBox(entries: [number, number][]): Buffer {
  const v1 = entries.some(([d, m]) => d > U32_MAX || m > 0x7fffffff);
  const per = v1 ? 20 : 12;
  const b = Buffer.alloc(4 + per * entries.length);
  let o = b.writeUInt32BE(entries.length, 0);
  for (const [d, m] of entries) {
    if (v1) {
      o = b.writeBigUInt64BE(BigInt(d), o);
      o = b.writeBigInt64BE(BigInt(m), o);
    } else {
      o = b.writeUInt32BE(d, o);
      o = b.writeInt32BE(m, o);
    }
    o = b.writeInt16BE(1, o); // media_rate_integer
    o = b.writeInt16BE(0, o); // media_rate_fraction
  }
  return fullBox('elst', v1 ? 1 : 0, 0, b);
}

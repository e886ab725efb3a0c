/**
 * The movie box of a (fragmented) MP4, ISO/IEC 14496-12 §8.2.1: per track its id (tkhd §8.3.2), handler (hdlr
 * §8.4.3), media timescale (mdhd §8.4.2), sample entries (stsd §8.5.2) and the fragment defaults of mvex/trex
 * (§8.8.3) that moof parsing falls back to.
 */
import { children, findBox, fullBoxHeader, iterateBoxes, Mp4Error, requireBox, type Box } from './box.js';
import { parseSampleEntry, type Mp4Codec, type SampleEntryInfo } from './sample-entry.js';

/** trex defaults (§8.8.3.1) */
export interface TrackDefaults {
  sampleDescriptionIndex: number;
  sampleDuration: number;
  sampleSize: number;
  sampleFlags: number;
}

export interface Mp4Track {
  id: number;
  kind: 'video' | 'audio' | 'other';
  /** media timescale (ticks per second) of mdhd */
  timescale: number;
  /** codec of the first sample entry */
  codec: Mp4Codec;
  /** the first stsd entry box, header included, as stored (copy it into another file's stsd) */
  sampleEntry: Buffer;
  /** all stsd entries (sample_description_index n is sampleEntries[n - 1]) */
  sampleEntries: Buffer[];
  /** parsed form of each entry */
  entries: SampleEntryInfo[];
  width: number;
  height: number;
  /** from mvex/trex, or zeros when the movie is not fragmented */
  defaults: TrackDefaults;
}

export interface Mp4Init {
  tracks: Mp4Track[];
  /** mvhd timescale */
  movieTimescale: number;
  /** an mvex box is present: the samples are in movie fragments */
  fragmented: boolean;
}

/**
 * Parses a moov box (header included), or a buffer whose top level holds one (an init segment: ftyp + moov).
 * Throws Mp4Error when it is malformed.
 */
export function parseInit(buf: Buffer): Mp4Init {
  let moov: Box | undefined;
  for (const b of iterateBoxes(buf)) {
    if (b.type === 'moov') {
      moov = b;
      break;
    }
  }
  if (!moov) throw new Mp4Error('no moov box');
  const mvhd = requireBox(moov, 'mvhd');
  const v = fullBoxHeader(mvhd).version;
  // mvhd: v1 creation(8) modification(8) timescale(4); v0 creation(4) modification(4) timescale(4)
  const movieTimescale = mvhd.body.readUInt32BE(v === 1 ? 20 : 12);

  const trex = new Map<number, TrackDefaults>();
  const mvex = findBox(moov, 'mvex');
  if (mvex)
    for (const t of children(mvex)) {
      if (t.type !== 'trex' || t.body.length < 24) continue;
      const r = t.body;
      trex.set(r.readUInt32BE(4), { sampleDescriptionIndex: r.readUInt32BE(8), sampleDuration: r.readUInt32BE(12), sampleSize: r.readUInt32BE(16), sampleFlags: r.readUInt32BE(20) });
    }

  const tracks: Mp4Track[] = [];
  for (const trak of children(moov)) {
    if (trak.type !== 'trak') continue;
    const tkhd = requireBox(trak, 'tkhd');
    // tkhd: v1 creation(8) modification(8) track_ID; v0 creation(4) modification(4) track_ID
    const id = tkhd.body.readUInt32BE(fullBoxHeader(tkhd).version === 1 ? 20 : 12);
    const mdhd = requireBox(trak, 'mdia', 'mdhd');
    const timescale = mdhd.body.readUInt32BE(fullBoxHeader(mdhd).version === 1 ? 20 : 12);
    if (timescale === 0) throw new Mp4Error(`track ${id}: mdhd timescale 0`);
    const handler = requireBox(trak, 'mdia', 'hdlr').body.toString('latin1', 8, 12);
    const stsd = requireBox(trak, 'mdia', 'minf', 'stbl', 'stsd');
    const sampleEntries: Buffer[] = [];
    const entries: SampleEntryInfo[] = [];
    // stsd (§8.5.2.2): FullBox + entry_count, then the entries
    for (const e of iterateBoxes(stsd.body, 8)) {
      entries.push(parseSampleEntry(e));
      sampleEntries.push(stsd.body.subarray(e.start, e.end));
    }
    if (entries.length === 0) throw new Mp4Error(`track ${id}: empty stsd`);
    const kind = handler === 'vide' ? 'video' : handler === 'soun' ? 'audio' : 'other';
    tracks.push({
      id,
      kind,
      timescale,
      codec: entries[0].codec,
      sampleEntry: sampleEntries[0],
      sampleEntries,
      entries,
      width: entries[0].width,
      height: entries[0].height,
      defaults: trex.get(id) ?? { sampleDescriptionIndex: 1, sampleDuration: 0, sampleSize: 0, sampleFlags: 0 },
    });
  }
  if (tracks.length === 0) throw new Mp4Error('moov has no track');
  return { tracks, movieTimescale, fragmented: !!mvex };
}

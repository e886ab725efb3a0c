// MP4 reading and progressive writing (ISO/IEC 14496-12): box headers, moov and moof parsing back to samples and
// Frames (recorded fMP4 segments → playback), and ftyp + moov + mdat headers of non-fragmented files (download).
// Pure: callers do the file I/O. Fragmented writing is ../fmp4.
export {
  children,
  findBox,
  fullBoxHeader,
  isPlausibleType,
  iterateBoxes,
  Mp4Error,
  readBoxHeader,
  requireBox,
  type Box,
  type BoxHeader,
} from './box.js';
export { parseInit, type Mp4Init, type Mp4Track, type TrackDefaults } from './init.js';
export { parseSampleEntry, type Mp4Codec, type SampleEntryInfo } from './sample-entry.js';
export { isSyncFlags, parseMoof, type FragmentSample, type ParsedMoof } from './moof.js';
export { sampleToFrame, splitLengthPrefixed, to90k, type SampleTiming } from './frame.js';
export { SampleTable } from './sample-table.js';
export { mdatHeader, progressiveHeader, type ProgressiveHeader, type ProgressiveOptions, type ProgressiveTrack, type TrackEdit } from './progressive.js';

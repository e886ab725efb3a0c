// Fragmented MP4 (ISO/IEC 14496-12 §8.8) for HLS, the recorder and MP4 download. Decoder configuration records come from ../h264 and ../h265.
export { ftyp, initSegment, styp, type InitOptions } from './init.js';
export { mediaSegment, type SegmentOptions } from './segment.js';
export { carriedAudio, carriedVideo, Fmp4Error, fmp4Tracks, type Fmp4Track } from './tracks.js';
export { inBandParameterSets, isOutOfBand, nalType, sampleUnits } from './nal.js';

// MPEG-2 program stream (ISO/IEC 13818-1 §2.5) as GB/T 28181-2016 附录C carries it over RTP: demuxer and muxer,
// plus the PES / pack / PSM pieces (the MPEG-TS demuxer shares the PES and access-unit code by direct import).
export { guessVideoCodec, isMpeg4Keyframe } from './codec-guess.js';
export { crc32Mpeg } from './crc32.js';
export { PsDemuxer, type PsDemuxStats } from './demuxer.js';
export { DEFAULT_MAX_FRAME_BYTES, type DemuxErrorCode, type DemuxOptions } from './errors.js';
export { muxPs, PsMuxer, type PsMuxOptions } from './muxer.js';
export { packHeaderSize, packScr, writePackHeader, writeSystemHeader, type SystemStream } from './pack.js';
export { MAX_PES_LENGTH, pesHeaderSize, pesTimestamps, readTimestamp, writePesHeader, writeTimestamp } from './pes.js';
export { parsePsm, writePsm, type PsmEntry } from './psm.js';
export { audioCodecOf, StreamType, streamTypeOf, videoCodecOf } from './stream-types.js';
export { Timeline } from './timeline.js';

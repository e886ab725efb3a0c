// MPEG-2 transport stream demuxer (ISO/IEC 13818-1 §2.4) for TS carried in RTP.
export { TS_PACKET, TsDemuxer, type TsDemuxStats } from './demuxer.js';
export { parsePat, parsePmt, sectionCrcOk, sectionSize, type PmtStream } from './psi.js';

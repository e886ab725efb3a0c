/** PSI sections of ISO/IEC 13818-1 §2.4.4: program_association_section (PAT) and TS_program_map_section (PMT). */
import { crc32Mpeg } from '../ps/crc32.js';

export interface PmtStream {
  readonly streamType: number;
  readonly pid: number;
}

/** Section length in bytes (3 + section_length) of the section starting at b[0]; 0 when fewer than 3 bytes. */
export function sectionSize(b: Buffer): number {
  return b.length < 3 ? 0 : 3 + (((b[1] & 0x0f) << 8) | b[2]);
}

/** The CRC_32 at the end of a section makes the Annex A CRC over the whole section zero. */
export function sectionCrcOk(sec: Buffer): boolean {
  return sec.length >= 8 && crc32Mpeg(sec) === 0;
}

/** program_map_PIDs of a PAT (§2.4.4.3), network PID (program 0) left out. */
export function parsePat(sec: Buffer): number[] {
  const pids: number[] = [];
  for (let o = 8; o + 4 <= sec.length - 4; o += 4) {
    const program = sec.readUInt16BE(o);
    if (program !== 0) pids.push(sec.readUInt16BE(o + 2) & 0x1fff);
  }
  return pids;
}

/** Elementary streams of a PMT (§2.4.4.8). */
export function parsePmt(sec: Buffer): PmtStream[] {
  const out: PmtStream[] = [];
  const end = sec.length - 4;
  let o = 12 + (sec.readUInt16BE(10) & 0x0fff);
  while (o + 5 <= end) {
    const streamType = sec[o];
    const pid = sec.readUInt16BE(o + 1) & 0x1fff;
    o += 5 + (sec.readUInt16BE(o + 3) & 0x0fff);
    out.push({ streamType, pid });
  }
  return out;
}

/** Program stream map, ISO/IEC 13818-1 §2.5.4; GB/T 28181-2016 附录C sends it before every keyframe. */
import { crc32Mpeg } from './crc32.js';

export interface PsmEntry {
  readonly streamType: number;
  readonly streamId: number;
}

/**
 * Elementary streams of a complete PSM (`00 00 01 BC len …` incl. CRC). Lenient: the CRC is not checked (many
 * cameras write it wrong); undefined when the lengths do not fit.
 */
export function parsePsm(buf: Buffer): PsmEntry[] | undefined {
  if (buf.length < 16) return undefined;
  const end = Math.min(buf.length, 6 + buf.readUInt16BE(4)) - 4; // before CRC_32
  let o = 8;
  const infoLen = buf.readUInt16BE(o);
  o += 2 + infoLen;
  if (o + 2 > end) return undefined;
  const mapLen = buf.readUInt16BE(o);
  o += 2;
  const mapEnd = o + mapLen;
  if (mapEnd > end) return undefined;
  const out: PsmEntry[] = [];
  while (o + 4 <= mapEnd) {
    const streamType = buf[o];
    const streamId = buf[o + 1];
    const esInfoLen = buf.readUInt16BE(o + 2);
    out.push({ streamType, streamId });
    o += 4 + esInfoLen;
  }
  return out;
}

/** Size of writePsm's output. */
export const psmSize = (entries: number): number => 16 + 4 * entries;

/** Writes a PSM without descriptors (current_next_indicator 1), with its CRC_32. */
export function writePsm(out: Buffer, off: number, version: number, entries: readonly PsmEntry[]): number {
  const size = psmSize(entries.length);
  out.writeUInt32BE(0x000001bc, off);
  out.writeUInt16BE(size - 6, off + 4);
  out[off + 6] = 0xe0 | (version & 0x1f); // current_next_indicator, reserved, program_stream_map_version
  out[off + 7] = 0xff; // reserved, marker
  out.writeUInt16BE(0, off + 8); // program_stream_info_length
  out.writeUInt16BE(4 * entries.length, off + 10);
  let o = off + 12;
  for (const e of entries) {
    out[o++] = e.streamType;
    out[o++] = e.streamId;
    o = out.writeUInt16BE(0, o);
  }
  out.writeUInt32BE(crc32Mpeg(out, off, o), o);
  return size;
}

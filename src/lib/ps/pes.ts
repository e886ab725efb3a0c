/** PES packet headers, ISO/IEC 13818-1 §2.4.3.6 (MPEG-2 syntax) and ISO/IEC 11172-1 §2.4.3.3 (MPEG-1 syntax). */

/**
 * Size of the PES header that starts at buf[0] (`00 00 01 id len len …`) up to its payload, from the first `avail`
 * bytes: > 0 the size (may exceed avail: read that many), 0 need one more byte to tell, -1 not a valid header.
 * Only for stream ids that carry the optional header (audio, video, private_stream_1).
 */
export function pesHeaderSize(buf: Buffer, avail: number): number {
  if (avail < 7) return 0;
  const b6 = buf[6];
  if ((b6 & 0xc0) === 0x80) return avail < 9 ? 9 : 9 + buf[8]; // MPEG-2: '10' … PES_header_data_length
  // MPEG-1: stuffing 0xFF (≤ 16), optional STD_buffer ('01'), then PTS / PTS+DTS / 0x0F
  let i = 6;
  while (i < avail && buf[i] === 0xff) if (++i > 6 + 16) return -1;
  if (i >= avail) return 0;
  if ((buf[i] & 0xc0) === 0x40) {
    i += 2;
    if (i >= avail) return 0;
  }
  const b = buf[i];
  if ((b & 0xf0) === 0x20) return i + 5;
  if ((b & 0xf0) === 0x30) return i + 10;
  if (b === 0x0f) return i + 1;
  return -1;
}

/** Reads a 33-bit timestamp from 5 bytes ('xxxx' v[32..30] 1 v[29..15] 1 v[14..0] 1), §2.4.3.7. */
export function readTimestamp(buf: Buffer, off: number): number {
  const hi = (buf[off] >> 1) & 7;
  const mid = (buf[off + 1] << 7) | (buf[off + 2] >> 1);
  const lo = (buf[off + 3] << 7) | (buf[off + 4] >> 1);
  return hi * 2 ** 30 + mid * 2 ** 15 + lo;
}

/** Writes a 33-bit timestamp (taken modulo 2^33) with the 4-bit prefix, §2.4.3.7. */
export function writeTimestamp(out: Buffer, off: number, prefix: number, ts: number): void {
  const v = ts % 2 ** 33;
  const hi = Math.floor(v / 2 ** 30);
  const mid = Math.floor(v / 2 ** 15) & 0x7fff;
  const lo = v & 0x7fff;
  out[off] = (prefix << 4) | (hi << 1) | 1;
  out[off + 1] = mid >> 7;
  out[off + 2] = ((mid & 0x7f) << 1) | 1;
  out[off + 3] = lo >> 7;
  out[off + 4] = ((lo & 0x7f) << 1) | 1;
}

export interface PesTimestamps {
  pts?: number;
  dts?: number;
}

/** PTS/DTS of a complete PES header of `size` bytes (as told by pesHeaderSize). */
export function pesTimestamps(buf: Buffer, size: number): PesTimestamps {
  if ((buf[6] & 0xc0) === 0x80) {
    const flags = buf[7] >> 6;
    if (flags === 2 && size >= 14) return { pts: readTimestamp(buf, 9) };
    if (flags === 3 && size >= 19) return { pts: readTimestamp(buf, 9), dts: readTimestamp(buf, 14) };
    return {};
  }
  let i = 6;
  while (buf[i] === 0xff) i++;
  if ((buf[i] & 0xc0) === 0x40) i += 2;
  if ((buf[i] & 0xf0) === 0x20) return { pts: readTimestamp(buf, i) };
  if ((buf[i] & 0xf0) === 0x30) return { pts: readTimestamp(buf, i), dts: readTimestamp(buf, i + 5) };
  return {};
}

/**
 * Writes an MPEG-2 PES header at out[off] for `payload` bytes: '10' flags with data_alignment_indicator when
 * `aligned`, PTS (and DTS when given and different). Returns the header size (9, 14 or 19).
 */
export function writePesHeader(
  out: Buffer,
  off: number,
  streamId: number,
  payload: number,
  pts?: number,
  dts?: number,
  aligned = false,
): number {
  const withDts = pts !== undefined && dts !== undefined && dts !== pts;
  const hdl = pts === undefined ? 0 : withDts ? 10 : 5;
  out[off] = 0;
  out[off + 1] = 0;
  out[off + 2] = 1;
  out[off + 3] = streamId;
  out.writeUInt16BE(3 + hdl + payload, off + 4);
  out[off + 6] = aligned ? 0x84 : 0x80;
  out[off + 7] = pts === undefined ? 0 : withDts ? 0xc0 : 0x80;
  out[off + 8] = hdl;
  if (pts !== undefined) writeTimestamp(out, off + 9, withDts ? 3 : 2, pts);
  if (withDts) writeTimestamp(out, off + 14, 1, dts);
  return 9 + hdl;
}

/** Largest PES_packet_length (16 bits). */
export const MAX_PES_LENGTH = 0xffff;

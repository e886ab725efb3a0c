/** Pack header and system header, ISO/IEC 13818-1 §2.5.3.3 / §2.5.3.5 (MPEG-1: ISO/IEC 11172-1 §2.4.3.2). */

/**
 * Size of the pack header at buf[0] (`00 00 01 BA …`) from the first `avail` bytes: > 0 the size (MPEG-2: 14 +
 * pack_stuffing_length, MPEG-1: 12), 0 need more bytes, -1 not a pack header.
 */
export function packHeaderSize(buf: Buffer, avail: number): number {
  if (avail < 5) return 0;
  const b4 = buf[4];
  if ((b4 & 0xc0) === 0x40) return avail < 14 ? 14 : 14 + (buf[13] & 7); // '01' MPEG-2
  if ((b4 & 0xf0) === 0x20) return 12; // '0010' MPEG-1
  return -1;
}

/** system_clock_reference_base (33 bits, 90 kHz) of a complete pack header. */
export function packScr(buf: Buffer): number {
  if ((buf[4] & 0xc0) === 0x40) {
    const hi = ((buf[4] >> 3) & 7) * 2 ** 30; // SCR[32..30]
    const mid = (((buf[4] & 3) << 13) | (buf[5] << 5) | (buf[6] >> 3)) * 2 ** 15; // SCR[29..15]
    const lo = ((buf[6] & 3) << 13) | (buf[7] << 5) | (buf[8] >> 3); // SCR[14..0]
    return hi + mid + lo;
  }
  const hi = ((buf[4] >> 1) & 7) * 2 ** 30;
  return hi + ((buf[5] << 7) | (buf[6] >> 1)) * 2 ** 15 + ((buf[7] << 7) | (buf[8] >> 1));
}

/** Writes a 14-byte MPEG-2 pack header (no stuffing). scr in 90 kHz (modulo 2^33), muxRate in 50 byte/s units. */
export function writePackHeader(out: Buffer, off: number, scr: number, muxRate: number): number {
  const v = scr % 2 ** 33;
  const hi = Math.floor(v / 2 ** 30);
  const mid = Math.floor(v / 2 ** 15) & 0x7fff;
  const lo = v & 0x7fff;
  out.writeUInt32BE(0x000001ba, off);
  out[off + 4] = 0x44 | (hi << 3) | (mid >> 13); // '01' SCR[32..30] 1 SCR[29..28]
  out[off + 5] = (mid >> 5) & 0xff;
  out[off + 6] = ((mid & 0x1f) << 3) | 0x04 | (lo >> 13);
  out[off + 7] = (lo >> 5) & 0xff;
  out[off + 8] = ((lo & 0x1f) << 3) | 0x04; // SCR_extension[8..7] = 0
  out[off + 9] = 0x01; // SCR_extension[6..0] = 0, marker
  const rate = muxRate & 0x3fffff;
  out[off + 10] = rate >> 14;
  out[off + 11] = (rate >> 6) & 0xff;
  out[off + 12] = ((rate & 0x3f) << 2) | 0x03;
  out[off + 13] = 0xf8; // reserved, pack_stuffing_length 0
  return 14;
}

export interface SystemStream {
  readonly streamId: number;
  /** P-STD buffer bound in bytes */
  readonly bufferBytes: number;
}

/** Size of writeSystemHeader's output. */
export const systemHeaderSize = (streams: number): number => 12 + 3 * streams;

/** Writes a system header (§2.5.3.5) listing the streams. rateBound in 50 byte/s units. */
export function writeSystemHeader(
  out: Buffer,
  off: number,
  rateBound: number,
  streams: readonly SystemStream[],
  audioBound: number,
  videoBound: number,
): number {
  const rb = rateBound & 0x3fffff;
  out.writeUInt32BE(0x000001bb, off);
  out.writeUInt16BE(6 + 3 * streams.length, off + 4);
  out[off + 6] = 0x80 | (rb >> 15);
  out[off + 7] = (rb >> 7) & 0xff;
  out[off + 8] = ((rb & 0x7f) << 1) | 1;
  out[off + 9] = (audioBound << 2) & 0xfc; // audio_bound, fixed_flag 0, CSPS_flag 0
  out[off + 10] = 0xe0 | (videoBound & 0x1f); // system_audio_lock, system_video_lock, marker, video_bound
  out[off + 11] = 0x7f; // packet_rate_restriction_flag 0, reserved
  let o = off + 12;
  for (const s of streams) {
    const audio = s.streamId >= 0xc0 && s.streamId <= 0xdf;
    const scale = audio ? 0 : 1; // P-STD_buffer_bound_scale: 128-byte units for audio, 1024 for video
    const size = Math.min(0x1fff, Math.ceil(s.bufferBytes / (audio ? 128 : 1024)));
    out[o++] = s.streamId;
    out[o++] = 0xc0 | (scale << 5) | (size >> 8);
    out[o++] = size & 0xff;
  }
  return o - off;
}

/**
 * ADTS framing of AAC, ISO/IEC 13818-7 §6.2 / ISO/IEC 14496-3 §1.A.2 (adts_fixed_header + adts_variable_header).
 */
import { AAC_SAMPLE_RATES, sampleRateIndex, type AacConfig } from './config.js';

export interface AdtsHeader extends AacConfig {
  /** 7, or 9 with CRC (protection_absent = 0) */
  readonly headerLength: number;
  /** aac_frame_length: header + payload */
  readonly frameLength: number;
  /** number_of_raw_data_blocks_in_frame + 1 */
  readonly rawBlocks: number;
}

/** Parses the ADTS header at buf[off]; undefined when there is no valid header (sync, layer, rate, length). */
export function parseAdtsHeader(buf: Buffer, off = 0): AdtsHeader | undefined {
  if (off + 7 > buf.length) return undefined;
  if (buf[off] !== 0xff || (buf[off + 1] & 0xf6) !== 0xf0) return undefined; // syncword, layer '00'
  const protectionAbsent = buf[off + 1] & 1;
  const b2 = buf[off + 2];
  const objectType = (b2 >> 6) + 1; // profile_ObjectType + 1
  const sampleRate = AAC_SAMPLE_RATES[(b2 >> 2) & 0xf];
  if (!sampleRate) return undefined;
  const channels = ((b2 & 1) << 2) | (buf[off + 3] >> 6);
  const frameLength = ((buf[off + 3] & 3) << 11) | (buf[off + 4] << 3) | (buf[off + 5] >> 5);
  const headerLength = protectionAbsent ? 7 : 9;
  if (frameLength < headerLength) return undefined;
  return { objectType, sampleRate, channels, headerLength, frameLength, rawBlocks: (buf[off + 6] & 3) + 1 };
}

export interface AdtsFrames extends AacConfig {
  /** raw AAC frames (subarrays, ADTS headers removed) */
  readonly frames: Buffer[];
}

/**
 * Splits a buffer of back-to-back ADTS frames into raw frames (subarrays). The configuration is the first frame's.
 * Undefined when buf does not start with an ADTS header, a frame runs past the end, or a header is broken.
 * A frame with several raw_data_blocks is returned as one element (its blocks cannot be split without decoding).
 */
export function splitAdts(buf: Buffer): AdtsFrames | undefined {
  const first = parseAdtsHeader(buf, 0);
  if (!first) return undefined;
  const frames: Buffer[] = [];
  let off = 0;
  while (off < buf.length) {
    const h = off === 0 ? first : parseAdtsHeader(buf, off);
    if (!h || off + h.frameLength > buf.length) return undefined;
    frames.push(buf.subarray(off + h.headerLength, off + h.frameLength));
    off += h.frameLength;
  }
  return { objectType: first.objectType, sampleRate: first.sampleRate, channels: first.channels, frames };
}

/**
 * The 7-byte ADTS header (MPEG-4 ID, no CRC, buffer fullness 0x7FF = VBR, one raw data block) to put before a raw
 * frame of payloadLength bytes. objectType 1..4 (ADTS profile is 2 bits).
 */
export function adtsHeader(objectType: number, sampleRate: number, channels: number, payloadLength: number): Buffer {
  const idx = sampleRateIndex(sampleRate);
  if (idx < 0) throw new RangeError(`sample rate ${sampleRate} has no ADTS index`);
  if (objectType < 1 || objectType > 4) throw new RangeError(`objectType ${objectType} not expressible in ADTS`);
  if (channels < 0 || channels > 7) throw new RangeError(`channel configuration ${channels} not expressible in ADTS`);
  const len = payloadLength + 7;
  if (len > 0x1fff) throw new RangeError(`AAC frame of ${payloadLength} bytes too long for ADTS`);
  const h = Buffer.allocUnsafe(7);
  h[0] = 0xff;
  h[1] = 0xf1; // syncword low bits, ID 0 (MPEG-4), layer 00, protection_absent 1
  h[2] = ((objectType - 1) << 6) | (idx << 2) | (channels >> 2);
  h[3] = ((channels & 3) << 6) | (len >> 11);
  h[4] = (len >> 3) & 0xff;
  h[5] = ((len & 7) << 5) | 0x1f; // + adts_buffer_fullness high bits
  h[6] = 0xfc; // buffer fullness low bits, number_of_raw_data_blocks_in_frame 0
  return h;
}

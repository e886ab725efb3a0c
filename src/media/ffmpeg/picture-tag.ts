import type { AnnexBCodec } from './annexb-input.js';

/**
 * A per-picture tag that travels through ffmpeg: a user_data_unregistered SEI message (H.264 §D.1.7 / H.265 §D.2.7,
 * payloadType 5) with our UUID and a sequence number, put into each input access unit. ffmpeg's H.264/HEVC decoders
 * attach it to the decoded picture and libx264 writes it back into that picture's output access unit
 * (`-udu_sei 1`), so each output picture names its input picture whatever the decoder dropped.
 *
 * The payload is ASCII (UUID "sharpeye-pts-tag" + 16 hex digits): no zero bytes, so no emulation prevention needed.
 */
const UUID = Buffer.from('sharpeye-pts-tag', 'latin1');
const DIGITS = 16;
const PAYLOAD_SIZE = UUID.length + DIGITS; // 32

/** The tag NAL unit (without start code). `vclHeader` = the picture's first NAL header, whose H.265 TemporalId the SEI takes. */
export function pictureTag(codec: AnnexBCodec, seq: number, vclHeader?: Buffer): Buffer {
  const hdr = codec === 'h264' ? [0x06] : [39 << 1, vclHeader && vclHeader.length >= 2 ? vclHeader[1] & 0x07 || 1 : 1];
  const b = Buffer.alloc(hdr.length + 2 + PAYLOAD_SIZE + 1);
  let o = 0;
  for (const h of hdr) b[o++] = h;
  b[o++] = 5; // payloadType user_data_unregistered
  b[o++] = PAYLOAD_SIZE;
  o += UUID.copy(b, o);
  o += b.write(seq.toString(16).padStart(DIGITS, '0').slice(-DIGITS), o, 'latin1');
  b[o] = 0x80; // rbsp_trailing_bits
  return b;
}

/**
 * The tag's sequence number if `nal` is an H.264 SEI NAL unit holding our tag as its only message, else undefined.
 * (libx264 writes each user-data SEI message in an SEI NAL unit of its own.)
 */
export function readPictureTag(nal: Buffer): number | undefined {
  if (nal.length !== 1 + 2 + PAYLOAD_SIZE + 1 || (nal[0] & 0x1f) !== 6 || nal[1] !== 5 || nal[2] !== PAYLOAD_SIZE) return undefined;
  if (!nal.subarray(3, 3 + UUID.length).equals(UUID)) return undefined;
  const hex = nal.toString('latin1', 3 + UUID.length, 3 + PAYLOAD_SIZE);
  if (!/^[0-9a-f]+$/.test(hex)) return undefined;
  return parseInt(hex, 16);
}

/** Finds and removes our tag from an output access unit. */
export function takePictureTag(units: readonly Buffer[]): { seq?: number; units: Buffer[] } {
  let seq: number | undefined;
  const rest: Buffer[] = [];
  for (const u of units) {
    const s = seq === undefined ? readPictureTag(u) : undefined;
    if (s !== undefined) seq = s;
    else rest.push(u);
  }
  return { seq, units: rest };
}

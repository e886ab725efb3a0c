/**
 * CRC_32 of ISO/IEC 13818-1 Annex A (PSI sections, program_stream_map): polynomial 0x04C11DB7, initial value all
 * ones, MSB first, no final XOR. Over a section including its CRC the result is 0.
 */
const TABLE = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c;
  }
  return t;
})();

export function crc32Mpeg(buf: Buffer, from = 0, to = buf.length): number {
  let c = -1;
  for (let i = from; i < to; i++) c = (c << 8) ^ TABLE[((c >>> 24) ^ buf[i]) & 0xff];
  return c >>> 0;
}

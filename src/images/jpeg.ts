/** Minimal JPEG checks for snapshot and ingest-directory files (issue 12 §4): magic, end marker, frame size. */

/** Starts with SOI + a marker (FF D8 FF). */
export function isJpeg(buf: Buffer): boolean {
  return buf.length >= 4 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff;
}

/** Has an EOI marker (FF D9) near its end; some cameras pad a few bytes after it. */
export function hasJpegEnd(buf: Buffer): boolean {
  const from = Math.max(2, buf.length - 1024);
  for (let i = buf.length - 2; i >= from; i--) if (buf[i] === 0xff && buf[i + 1] === 0xd9) return true;
  return false;
}

/** Width and height from the first SOFn segment; null when the segments cannot be walked. */
export function jpegSize(buf: Buffer): { width: number; height: number } | null {
  let i = 2;
  while (i + 9 < buf.length) {
    if (buf[i] !== 0xff) return null;
    const m = buf[i + 1];
    if (m === 0xff) {
      i++; // fill byte
      continue;
    }
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      i += 2; // markers without a length
      continue;
    }
    const len = buf.readUInt16BE(i + 2);
    // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC)
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return { height: buf.readUInt16BE(i + 5), width: buf.readUInt16BE(i + 7) };
    if (m === 0xda || len < 2) return null; // start of scan before any frame header
    i += 2 + len;
  }
  return null;
}

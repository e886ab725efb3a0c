import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import type { ManscdpCharset } from './types.js';

const GB_LABELS = /^(gb2312|gb_2312-80|gb_2312|gbk|x-gbk|cp936|ms936|windows-936|gb18030|euc-cn|csgb2312|chinese)$/i;

export interface DecodedText {
  text: string;
  charset: 'UTF-8' | 'GB18030';
  declared: string | null;
}

/** The `encoding="…"` of an XML prolog at the start of the bytes (after BOM/whitespace), or null. */
export function declaredEncoding(bytes: Buffer): string | null {
  const head = bytes.subarray(0, 256).toString('latin1');
  const m = /^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']\s*([A-Za-z0-9._:-]{1,40})\s*["']/.exec(head);
  return m ? m[1] : null;
}

/** Strict UTF-8 (null when the bytes are not UTF-8); a BOM left in the bytes stays in the text. Checked before decoding: no exception per GB body. */
function strictUtf8(bytes: Buffer): string | null {
  return isUtf8(bytes) ? bytes.toString('utf8') : null;
}

function hasHighByte(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0x80) return true;
  return false;
}

/**
 * Bytes → text. GB2312/GBK/GB18030 labels decode as GB18030 (the superset of the GB2312 that GB/T 28181-2016 Appendix A bodies declare);
 * UTF-8 or no/unknown label: strict UTF-8, falling back to GB18030 (devices that declare UTF-8 but send GB bytes).
 * A GB label on bytes that are valid UTF-8 with multi-byte sequences is read as UTF-8 (platforms that send UTF-8
 * under a GB2312 prolog); real GB text almost never forms valid UTF-8.
 */
export function decodeText(input: Buffer): DecodedText {
  let bytes = input;
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  const declared = declaredEncoding(bytes);
  const hasMultiByte = hasHighByte(bytes);
  // Pure ASCII (keepalives, most responses) reads the same in every supported charset.
  if (!hasMultiByte) return { text: bytes.toString('latin1'), charset: declared !== null && GB_LABELS.test(declared) ? 'GB18030' : 'UTF-8', declared };
  const utf8 = strictUtf8(bytes);
  if (declared !== null && GB_LABELS.test(declared)) {
    if (utf8 !== null && hasMultiByte) return { text: utf8, charset: 'UTF-8', declared };
    return { text: iconv.decode(bytes, 'gb18030'), charset: 'GB18030', declared };
  }
  if (utf8 !== null) return { text: utf8, charset: 'UTF-8', declared };
  return { text: iconv.decode(bytes, 'gb18030'), charset: 'GB18030', declared };
}

const ASCII = /^[\x00-\x7f]*$/;

/** Text → bytes in the charset named by the prolog we write. */
export function encodeText(text: string, charset: ManscdpCharset): Buffer {
  if (charset === 'UTF-8') return Buffer.from(text, 'utf8');
  // ASCII is the same bytes in GB18030 (most queries and answers): skip the table-driven encoder
  return ASCII.test(text) ? Buffer.from(text, 'latin1') : iconv.encode(text, 'gb18030');
}

export function isCharset(v: unknown): v is ManscdpCharset {
  return v === 'GB2312' || v === 'GB18030' || v === 'UTF-8';
}

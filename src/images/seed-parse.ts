import type { FaceBox } from '../store/repos/image-captures.js';
import { SeedError } from './seed-protocol.js';

/**
 * Reading `imageJsonData` (seed appendix 1 §1 faces, appendix 2 §1 vehicles) into images and metadata. Nothing here
 * writes anything: a capture is either read whole or refused with the reason, before a byte is stored.
 */

/** Image contents are replaced in the stored metadata by this marker + index; the forwarder puts them back. */
export const CONTENT_MARK = 'sharpeye:image:';

export interface ParsedImage {
  /** `face`, `background`, or a vehicle role (`zpcltp`, `zpcptp`, `zpcjt`, `zpjsytp`) */
  role: string;
  index: number;
  buf: Buffer;
  /** lower-case extension (`jpg`, `png`, ...) */
  type: string;
  pos: FaceBox | null;
  width: number | null;
  height: number | null;
  fileSize: string | null;
}

export interface ParsedCapture {
  /** the JSON as received with keys trimmed and every image `content` replaced by CONTENT_MARK + n */
  meta: Record<string, unknown>;
  images: ParsedImage[];
}

/**
 * Strict base64 → bytes: standard or URL-safe alphabet, optional `data:...;base64,` prefix, line breaks ignored,
 * spaces read as `+` (a form-encoded `+` that was not percent-encoded). Anything else is refused (EC004); an image
 * larger than `maxBytes` is refused before decoding (EC005).
 */
export function decodeImage(content: unknown, where: string, maxBytes: number): Buffer {
  if (typeof content !== 'string' || content.length === 0) throw new SeedError('EC004', `${where}.content missing (图片内容缺失)`);
  let s = content;
  if (s.startsWith('data:')) {
    const comma = s.indexOf(',');
    if (comma < 0 || !/;base64$/i.test(s.slice(0, comma))) throw new SeedError('EC004', `${where}.content: not base64 (图片不是 base64 编码)`);
    s = s.slice(comma + 1);
  }
  if (s.includes('\n') || s.includes('\r') || s.includes('\t')) s = s.replace(/[\r\n\t]/g, '');
  if (s.includes(' ')) s = s.replace(/ /g, '+');
  if (s.includes('-') || s.includes('_')) s = s.replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Math.floor((s.length * 3) / 4);
  if (bytes > maxBytes + 3) throw new SeedError('EC005', `${where}: image of about ${bytes} bytes exceeds the limit of ${maxBytes} bytes (图片过大)`);
  // Node's decoder skips characters outside the alphabet; a strict check is that nothing was skipped: the decoded
  // length must be exactly what the length and padding promise (a regex over 400 KB cost 2.4 ms per capture)
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const expected = s.length % 4 === 0 ? (s.length / 4) * 3 - pad : Math.floor((s.length * 6) / 8);
  if (s.length % 4 === 1 || (pad && s.length % 4 !== 0)) throw new SeedError('EC004', `${where}.content: invalid base64 (base64 编码无效)`);
  const buf = Buffer.from(s, 'base64');
  if (buf.length !== expected) throw new SeedError('EC004', `${where}.content: invalid base64 (base64 编码无效)`);
  if (buf.length === 0) throw new SeedError('EC004', `${where}.content: empty image (图片为空)`);
  if (buf.length > maxBytes) throw new SeedError('EC005', `${where}: image of ${buf.length} bytes exceeds the limit of ${maxBytes} bytes (图片过大)`);
  return buf;
}

/** Parses `imageJsonData`: a JSON string (the seed's form) or, leniently, an object already. */
export function readImageJson(v: unknown): Record<string, unknown> {
  if (v === undefined || v === null || v === '') throw new SeedError('EC004', 'imageJsonData missing (缺少 imageJsonData)');
  let o: unknown = v;
  if (typeof v === 'string') {
    try {
      o = JSON.parse(v);
    } catch (e) {
      throw new SeedError('EC004', `imageJsonData is not JSON (imageJsonData 不是合法 JSON): ${(e as Error).message.slice(0, 120)}`);
    }
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new SeedError('EC004', 'imageJsonData must be a JSON object (imageJsonData 必须是 JSON 对象)');
  return trimKeys(o as Record<string, unknown>);
}

/** The seed's tables print some names with stray spaces (`" locationName"`, `"longitude "`): keys are trimmed. */
function trimKeys(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k.trim()] = v;
  return out;
}

export function text(v: unknown, max = 200): string | null {
  if (v === undefined || v === null) return null;
  const s = (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '').trim();
  return s ? s.slice(0, max) : null;
}

export function number(v: unknown): number | null {
  if (v === undefined || v === null || v === '') return null;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  return Number.isFinite(n) ? n : null;
}

function box(v: unknown): FaceBox | null {
  if (!v || typeof v !== 'object') return null;
  const o = trimKeys(v as Record<string, unknown>);
  const b = { leftTopX: number(o.leftTopX), leftTopY: number(o.leftTopY), rightBottomX: number(o.rightBottomX), rightBottomY: number(o.rightBottomY) };
  if (b.leftTopX === null || b.leftTopY === null || b.rightBottomX === null || b.rightBottomY === null) return null;
  return b as FaceBox;
}

function imageType(v: unknown, fallback: string): string {
  const t = text(v, 10)?.toLowerCase().replace(/^\./, '');
  if (t === 'jpeg') return 'jpg';
  return t && /^[a-z0-9]{2,5}$/.test(t) ? t : fallback;
}

/** One image object of the JSON → a parsed image, and its metadata copy with the content replaced by a marker. */
function takeImage(raw: unknown, where: string, role: string, index: number, images: ParsedImage[], maxBytes: number, defaultType: string): Record<string, unknown> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new SeedError('EC004', `${where} must be an object with a base64 content (${where} 格式错误)`);
  const o = trimKeys(raw as Record<string, unknown>);
  const buf = decodeImage(o.content, where, maxBytes);
  images.push({
    role,
    index,
    buf,
    type: imageType(o.type, defaultType),
    pos: box(o.facePos ?? o.pos),
    width: number(o.width),
    height: number(o.height),
    fileSize: text(o.fileSize, 20),
  });
  return { ...o, content: `${CONTENT_MARK}${images.length - 1}` };
}

/** A face capture (appendix 1): `faceImages` (an array, or leniently one object; at least one) and an optional `backgroundImage`. */
export function parseFaceJson(o: Record<string, unknown>, maxBytes: number, maxFaces = 256): ParsedCapture {
  const images: ParsedImage[] = [];
  let faces = o.faceImages;
  if (faces && typeof faces === 'object' && !Array.isArray(faces)) faces = [faces];
  if (!Array.isArray(faces) || faces.length === 0) throw new SeedError('EC004', 'faceImages missing or empty (缺少人脸图 faceImages)');
  if (faces.length > maxFaces) throw new SeedError('EC004', `faceImages holds ${faces.length} faces; at most ${maxFaces} per capture (人脸数过多)`);
  const metaFaces = faces.map((f, i) => takeImage(f, `faceImages[${i}]`, 'face', i, images, maxBytes, 'jpg'));
  const meta: Record<string, unknown> = { ...o, faceImages: metaFaces };
  if (o.backgroundImage !== undefined && o.backgroundImage !== null && o.backgroundImage !== '') {
    meta.backgroundImage = takeImage(o.backgroundImage, 'backgroundImage', 'background', 0, images, maxBytes, 'jpg');
  }
  return { meta, images };
}

export const VEHICLE_ROLES = ['zpcltp', 'zpcptp', 'zpcjt', 'zpjsytp'] as const;

/**
 * A vehicle pass (appendix 2): images `zpcltp` (vehicle pictures: an array or a single object), `zpcptp` (plate),
 * `zpcjt` (scene), `zpjsytp` (driver); each may be an object or an array. At least one image.
 */
export function parseVehicleJson(o: Record<string, unknown>, maxBytes: number, maxImages = 64): ParsedCapture {
  const images: ParsedImage[] = [];
  const meta: Record<string, unknown> = { ...o };
  const defaultType = imageType(o.imageType, 'jpg');
  for (const role of VEHICLE_ROLES) {
    const v = o[role];
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) {
      if (v.length + images.length > maxImages) throw new SeedError('EC004', `too many images (at most ${maxImages}) (图片过多)`);
      meta[role] = v.map((x, i) => takeImage(x, `${role}[${i}]`, role, i, images, maxBytes, defaultType));
    } else meta[role] = takeImage(v, role, role, 0, images, maxBytes, defaultType);
  }
  if (!images.length) throw new SeedError('EC004', 'no image: one of zpcltp, zpcptp, zpcjt, zpjsytp is needed (缺少车辆图片)');
  return { meta, images };
}

/** Puts base64 contents back into stored metadata (forwarding): every CONTENT_MARK + n becomes image n. */
export function fillContents(meta: unknown, contentOf: (n: number) => string | undefined): unknown {
  if (Array.isArray(meta)) return meta.map((x) => fillContents(x, contentOf));
  if (meta && typeof meta === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(meta as Record<string, unknown>)) {
      if (k === 'content' && typeof v === 'string' && v.startsWith(CONTENT_MARK)) out[k] = contentOf(Number(v.slice(CONTENT_MARK.length))) ?? '';
      else out[k] = fillContents(v, contentOf);
    }
    return out;
  }
  return meta;
}

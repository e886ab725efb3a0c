import { formatLocalDateTime, parseLocalTime, zonedParts } from '../core/time.js';

/**
 * The face and vehicle image interfaces of the seed guideline (appendix 1 人像云平台人脸图片入库接口, appendix 2
 * 车辆图片入库接口): paths, parameter names, answer bodies and error codes, shared by the served side and the forwarder.
 */
export type SeedKind = 'face' | 'car';
export const SEED_KINDS: readonly SeedKind[] = ['face', 'car'];
export const SEED_OPS = ['authenticate', 'keepAlive', 'timing', 'saveImageData', 'unregister'] as const;
export type SeedOp = (typeof SEED_OPS)[number];

/**
 * Error codes. EC000–EC003 are the seed's; EC004–EC006 are ours for what the seed does not name (bad input, too
 * large, our storage failing), in the seed's failure body so a seed client still reads `success:false`.
 */
export const SEED_ERRORS = {
  EC000: '设备未注册 (device not registered with the platform)',
  EC001: '接口服务未认证 (not authenticated)',
  EC002: '接口服务认证过期 (authentication expired)',
  EC003: '认证无效 (invalid appIdentityKey)',
  EC004: '参数错误 (missing or invalid parameter)',
  EC005: '图片过大 (image or request too large)',
  EC006: '存储失败 (storage failure, try again)',
} as const;
export type SeedErrorCode = keyof typeof SEED_ERRORS;

/** A failure answered in the seed's format. */
export class SeedError extends Error {
  constructor(
    readonly code: SeedErrorCode,
    message?: string,
  ) {
    super(message ?? SEED_ERRORS[code]);
    this.name = 'SeedError';
  }
}

/** HTTP status we answer each code with: the seed shows bodies only; auth problems that digest can solve are 401. */
export function statusOf(code: SeedErrorCode): number {
  switch (code) {
    case 'EC001':
      return 401;
    case 'EC004':
      return 400;
    case 'EC005':
      return 413;
    case 'EC006':
      return 503;
    default:
      return 200;
  }
}

/** `{"success":true,"result":{"serviceName":...}}` (+ appIdentityKey for authenticate). */
export function okBody(op: SeedOp, extra: Record<string, unknown> = {}): Record<string, unknown> {
  if (op === 'timing') return { success: true, result: { ...extra } };
  return { success: true, result: { serviceName: op, ...extra } };
}

/** `{"success":false,"result":{"errorCode":"EC00x","serviceName":...},"message":"..."}`; timing has no result. */
export function failBody(op: SeedOp, code: SeedErrorCode, message: string): Record<string, unknown> {
  if (op === 'timing') return { success: false, message };
  return { success: false, result: { errorCode: code, serviceName: op }, message };
}

/** The device parameter of each side: `deviceID` (or `nodeID`) for faces, `gbid` for vehicles. */
export const DEVICE_PARAM: Record<SeedKind, string> = { face: 'deviceID', car: 'gbid' };

/** `yyyy-MM-dd HH:mm:ss` in the zone (systemTime, statusSendTime). */
export function seedDateTime(d: Date, tz: string): string {
  return formatLocalDateTime(d, tz);
}

/** `YYYYMMDDhhmmss` in the zone (localTime, deviceTime). */
export function seedCompactTime(d: Date, tz: string): string {
  const p = zonedParts(d, tz);
  return `${p.y}${p.mo}${p.da}${p.h}${p.mi}${p.s}`;
}

/**
 * Any time a seed peer sends → Unix ms; NaN when unreadable. Accepts `YYYYMMDDhhmmss`, `yyyy-MM-dd HH:mm:ss`,
 * `yyyy-MM-ddHH:mm:ss` (the face table prints systemTime without the space), ISO 8601, and Unix s/ms numbers.
 */
export function parseSeedTime(v: unknown, tz: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v > 1e11 ? v : v * 1000;
  if (typeof v !== 'string') return NaN;
  const s = v.trim();
  let m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{0,3})$/.exec(s);
  if (m) return parseLocalTime(`${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}${m[7] ? `.${m[7]}` : ''}`, tz);
  m = /^(\d{4}-\d{1,2}-\d{1,2})\s*[T ]?\s*(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(.*)$/.exec(s);
  if (m) return parseLocalTime(`${m[1]} ${m[2]}${m[3]}`, tz);
  if (/^\d{13}$/.test(s)) return Number(s);
  if (/^\d{10}$/.test(s)) return Number(s) * 1000;
  return NaN;
}

import { AppError, ErrorCatalogue, type ErrorCode } from '../core/errors.js';

/**
 * MediaNode calls travel as JSON over NATS. Buffers (snapshots) become `{ $b64 }`; errors keep their typed code so a
 * remote MEDIA_TIMEOUT is the same MEDIA_TIMEOUT to the caller as a local one.
 */
export type RpcReply = { ok: true; v: unknown } | { ok: false; code: string; message: string; details?: unknown };

export function encodeValue(v: unknown): unknown {
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return { $b64: Buffer.from(v).toString('base64') };
  if (Array.isArray(v)) return v.map(encodeValue);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = encodeValue(x);
    return o;
  }
  return v;
}

export function decodeValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decodeValue);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.$b64 === 'string' && Object.keys(o).length === 1) return Buffer.from(o.$b64, 'base64');
    const r: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) r[k] = decodeValue(x);
    return r;
  }
  return v;
}

export function errorReply(e: unknown): RpcReply {
  if (e instanceof AppError) return { ok: false, code: e.code, message: e.message, details: e.details };
  return { ok: false, code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

export function replyError(r: Extract<RpcReply, { ok: false }>, nodeId: string): AppError {
  const code = (r.code in ErrorCatalogue ? r.code : 'INTERNAL') as ErrorCode;
  return new AppError(code, code === 'INTERNAL' ? `media node ${nodeId}: ${r.message}` : r.message, r.details);
}

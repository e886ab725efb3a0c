import { encodeManscdp } from './encode.js';
import { ManscdpError } from './errors.js';
import type { BuildOptions, ManscdpMessage, ManscdpRoot, XmlObject } from './types.js';

/** Guards a typed parser: the message must carry one of `cmdTypes` (compared case-insensitively). */
export function expectCmd(m: ManscdpMessage, ...cmdTypes: string[]): Record<string, unknown> {
  const got = String(m?.cmdType ?? '').toLowerCase();
  if (!cmdTypes.some((c) => c.toLowerCase() === got)) {
    throw new ManscdpError('WRONG_CMDTYPE', `expected CmdType ${cmdTypes.join('/')}, got ${String(m?.cmdType).slice(0, 40)}`);
  }
  return m.body ?? {};
}

export function body(root: ManscdpRoot, cmdType: string, sn: number, deviceId: string, fields: XmlObject, opts?: BuildOptions): Buffer {
  return encodeManscdp({ root, cmdType, sn, deviceId, fields }, opts?.charset ?? 'GB2312');
}

/** Splits a list into pages of `perMessage` (at least one page, possibly empty). */
export function pages<T>(list: readonly T[], perMessage: number): T[][] {
  if (!Number.isSafeInteger(perMessage) || perMessage < 1) throw new ManscdpError('BAD_INPUT', `perMessage must be a positive integer, got ${perMessage}`);
  if (list.length === 0) return [[]];
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += perMessage) out.push(list.slice(i, i + perMessage));
  return out;
}

/** `1`/`0` for booleans, numbers as they are. */
export function bit(v: boolean | number | null | undefined): number | undefined {
  if (v === null || v === undefined) return undefined;
  return typeof v === 'boolean' ? (v ? 1 : 0) : v;
}

/** Result OK/ERROR answer (GB/T 28181-2016 §A.2.6: DeviceControl, Alarm, DeviceConfig … responses). */
export function buildResultResponse(cmdType: string, sn: number, deviceId: string, result: 'OK' | 'ERROR' = 'OK', opts?: BuildOptions): Buffer {
  return body('Response', cmdType, sn, deviceId, { Result: result }, opts);
}

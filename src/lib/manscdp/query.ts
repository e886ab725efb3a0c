import { body } from './common.js';
import { ManscdpError } from './errors.js';
import type { BuildOptions, XmlObject } from './types.js';

/** Extra fields of a RecordInfo query (GB/T 28181-2016 §A.2.4), written in the spec's order. */
export interface RecordInfoQueryFields {
  StartTime: string;
  EndTime: string;
  FilePath?: string;
  Address?: string;
  /** Defaults to 0. */
  Secrecy?: number;
  /** time / alarm / manual / all; defaults to `all`. */
  Type?: string;
  RecorderID?: string;
  IndistinctQuery?: number;
  /** GB/T 28181-2022. */
  StreamNumber?: number;
}

/**
 * Platform-side queries (GB/T 28181-2016 §A.2.4): Catalog, DeviceInfo, DeviceStatus, PresetQuery,
 * ConfigDownload (`ConfigType`, e.g. `BasicParam/VideoParamOpt`), RecordInfo (see `RecordInfoQueryFields`), and any
 * other CmdType with its fields in insertion order (e.g. a MobilePosition subscription's `Interval`).
 */
export function buildQuery(cmdType: 'RecordInfo', sn: number, deviceId: string, extra: RecordInfoQueryFields, opts?: BuildOptions): Buffer;
export function buildQuery(cmdType: 'ConfigDownload', sn: number, deviceId: string, extra: { ConfigType: string }, opts?: BuildOptions): Buffer;
export function buildQuery(cmdType: string, sn: number, deviceId: string, extra?: XmlObject, opts?: BuildOptions): Buffer;
export function buildQuery(cmdType: string, sn: number, deviceId: string, extra?: XmlObject | RecordInfoQueryFields, opts?: BuildOptions): Buffer {
  const x = (extra ?? {}) as Record<string, unknown>;
  if (cmdType === 'RecordInfo') {
    const q = x as Partial<RecordInfoQueryFields>;
    if (!q.StartTime || !q.EndTime) throw new ManscdpError('BAD_INPUT', 'RecordInfo needs StartTime and EndTime');
    const known = ['StartTime', 'EndTime', 'FilePath', 'Address', 'Secrecy', 'Type', 'RecorderID', 'IndistinctQuery', 'StreamNumber'];
    const rest = Object.fromEntries(Object.entries(x).filter(([k]) => !known.includes(k))) as XmlObject;
    return body('Query', cmdType, sn, deviceId, {
      StartTime: q.StartTime,
      EndTime: q.EndTime,
      FilePath: q.FilePath,
      Address: q.Address,
      Secrecy: q.Secrecy ?? 0,
      Type: q.Type ?? 'all',
      RecorderID: q.RecorderID,
      IndistinctQuery: q.IndistinctQuery,
      StreamNumber: q.StreamNumber,
      ...rest,
    }, opts);
  }
  if (cmdType === 'ConfigDownload' && !x.ConfigType) throw new ManscdpError('BAD_INPUT', 'ConfigDownload needs ConfigType');
  return body('Query', cmdType, sn, deviceId, x as XmlObject, opts);
}

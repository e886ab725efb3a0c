import { body, expectCmd } from './common.js';
import { isTree, str } from './tree.js';
import type { BuildOptions, ManscdpMessage, XmlObject } from './types.js';

/** ConfigDownload response (GB/T 28181-2016 §A.2.6): each configuration block as its element tree. */
export interface ConfigDownload {
  deviceId: string;
  result: string | null;
  basicParam: Record<string, unknown> | null;
  videoParamOpt: Record<string, unknown> | null;
  svacEncodeConfig: Record<string, unknown> | null;
  svacDecodeConfig: Record<string, unknown> | null;
  /** Every block by element name (2022 adds VideoParamAttribute, OSDConfig, …). */
  configs: Record<string, unknown>;
}

const HEADER = new Set(['cmdtype', 'sn', 'deviceid', 'result']);

export function parseConfigDownload(m: ManscdpMessage): ConfigDownload {
  const b = expectCmd(m, 'ConfigDownload');
  const configs: Record<string, unknown> = {};
  for (const k of Object.keys(b)) if (!HEADER.has(k.toLowerCase())) configs[k] = b[k];
  const block = (name: string) => {
    const v = configs[name];
    return isTree(v) ? v : null;
  };
  return {
    deviceId: m.deviceId,
    result: str(b, 'Result')?.trim() ?? null,
    basicParam: block('BasicParam'),
    videoParamOpt: block('VideoParamOpt'),
    svacEncodeConfig: block('SVACEncodeConfig'),
    svacDecodeConfig: block('SVACDecodeConfig'),
    configs,
  };
}

/** Device side: `configs` such as `{ BasicParam: { Name, Expiration, HeartBeatInterval, HeartBeatCount } }`. */
export function buildConfigDownloadResponse(
  sn: number,
  deviceId: string,
  configs: XmlObject,
  result: 'OK' | 'ERROR' = 'OK',
  opts?: BuildOptions,
): Buffer {
  return body('Response', 'ConfigDownload', sn, deviceId, { Result: result, ...configs }, opts);
}

import { body, expectCmd } from './common.js';
import { int, items, str } from './tree.js';
import type { BuildOptions, ManscdpMessage } from './types.js';

export interface Preset {
  presetId: number | null;
  presetName: string | null;
}

/** PresetQuery response (GB/T 28181-2016 §A.2.6). */
export interface PresetList {
  deviceId: string;
  sumNum: number;
  items: Preset[];
}

export function parsePresetList(m: ManscdpMessage): PresetList {
  const b = expectCmd(m, 'PresetQuery');
  const list = items(b, 'PresetList').map((it) => ({ presetId: int(it, 'PresetID'), presetName: str(it, 'PresetName') }));
  return { deviceId: m.deviceId, sumNum: int(b, 'SumNum') ?? list.length, items: list };
}

export function buildPresetResponse(
  sn: number,
  deviceId: string,
  presets: readonly { presetId: number; presetName?: string | null }[],
  opts?: BuildOptions,
): Buffer {
  return body('Response', 'PresetQuery', sn, deviceId, {
    PresetList: { Item: presets.map((p) => ({ PresetID: p.presetId, PresetName: p.presetName ?? '' })) },
  }, opts);
}

import { body, expectCmd } from './common.js';
import { int, str } from './tree.js';
import type { BuildOptions, ManscdpMessage, XmlObject } from './types.js';

/** DeviceInfo response (GB/T 28181-2016 §A.2.6). */
export interface DeviceInfo {
  deviceId: string;
  result: string | null;
  deviceName: string | null;
  /** Not in the 2016 schema, but Dahua and others send it (e.g. `IPC`, `NVR`). */
  deviceType: string | null;
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  /** Number of video inputs. */
  channel: number | null;
  maxCamera: number | null;
  maxAlarm: number | null;
  raw: Record<string, unknown>;
}

export function parseDeviceInfo(m: ManscdpMessage): DeviceInfo {
  const b = expectCmd(m, 'DeviceInfo');
  return {
    deviceId: m.deviceId,
    result: str(b, 'Result')?.trim() ?? null,
    deviceName: str(b, 'DeviceName'),
    deviceType: str(b, 'DeviceType'),
    manufacturer: str(b, 'Manufacturer'),
    model: str(b, 'Model'),
    firmware: str(b, 'Firmware'),
    channel: int(b, 'Channel'),
    maxCamera: int(b, 'MaxCamera'),
    maxAlarm: int(b, 'MaxAlarm'),
    raw: b,
  };
}

export interface DeviceInfoInput {
  deviceName?: string | null;
  result?: 'OK' | 'ERROR';
  manufacturer?: string | null;
  model?: string | null;
  firmware?: string | null;
  channel?: number | null;
  extra?: XmlObject;
}

export function buildDeviceInfoResponse(sn: number, deviceId: string, info: DeviceInfoInput, opts?: BuildOptions): Buffer {
  return body('Response', 'DeviceInfo', sn, deviceId, {
    DeviceName: info.deviceName,
    Result: info.result ?? 'OK',
    Manufacturer: info.manufacturer,
    Model: info.model,
    Firmware: info.firmware,
    Channel: info.channel,
    ...(info.extra ?? {}),
  }, opts);
}

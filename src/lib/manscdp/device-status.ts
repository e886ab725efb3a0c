import { body, expectCmd } from './common.js';
import { flag, str, items } from './tree.js';
import type { BuildOptions, ManscdpMessage, XmlObject } from './types.js';

export interface AlarmDutyStatus {
  deviceId: string;
  /** ONDUTY / OFFDUTY / ALARM. */
  dutyStatus: string | null;
}

/** DeviceStatus response (GB/T 28181-2016 §A.2.6). */
export interface DeviceStatus {
  deviceId: string;
  result: string | null;
  /** ONLINE → true, OFFLINE → false. */
  online: boolean | null;
  /** OK / ERROR as sent. */
  status: string | null;
  reason: string | null;
  /** Encode ON → true. */
  encode: boolean | null;
  /** Record ON → true. */
  record: boolean | null;
  deviceTime: string | null;
  /** `Alarmstatus` list (spelled so in the 2016 schema; `AlarmStatus` accepted too). */
  alarmStatus: AlarmDutyStatus[];
  raw: Record<string, unknown>;
}

export function parseDeviceStatus(m: ManscdpMessage): DeviceStatus {
  const b = expectCmd(m, 'DeviceStatus');
  return {
    deviceId: m.deviceId,
    result: str(b, 'Result')?.trim() ?? null,
    online: flag(b, 'Online', ['ONLINE', 'ON'], ['OFFLINE', 'OFF']),
    status: str(b, 'Status')?.trim() ?? null,
    reason: str(b, 'Reason'),
    encode: flag(b, 'Encode', ['ON'], ['OFF']),
    record: flag(b, 'Record', ['ON'], ['OFF']),
    deviceTime: str(b, 'DeviceTime')?.trim() ?? null,
    alarmStatus: items(b, 'Alarmstatus').map((it) => ({
      deviceId: str(it, 'DeviceID')?.trim() ?? '',
      dutyStatus: (str(it, 'DutyStatus') ?? str(it, 'Status'))?.trim() ?? null,
    })),
    raw: b,
  };
}

export interface DeviceStatusInput {
  result?: 'OK' | 'ERROR';
  online: boolean;
  status?: 'OK' | 'ERROR';
  reason?: string | null;
  encode?: boolean | null;
  record?: boolean | null;
  /** Local wall-clock time, e.g. `2026-11-24T09:40:00`. */
  deviceTime?: string | null;
  alarmStatus?: readonly { deviceId: string; dutyStatus: 'ONDUTY' | 'OFFDUTY' | 'ALARM' | string }[];
  extra?: XmlObject;
}

const onOff = (v: boolean | null | undefined) => (v === null || v === undefined ? undefined : v ? 'ON' : 'OFF');

export function buildDeviceStatusResponse(sn: number, deviceId: string, s: DeviceStatusInput, opts?: BuildOptions): Buffer {
  return body('Response', 'DeviceStatus', sn, deviceId, {
    Result: s.result ?? 'OK',
    Online: s.online ? 'ONLINE' : 'OFFLINE',
    Status: s.status ?? 'OK',
    Reason: s.reason,
    Encode: onOff(s.encode),
    Record: onOff(s.record),
    DeviceTime: s.deviceTime,
    Alarmstatus: s.alarmStatus ? { Item: s.alarmStatus.map((a) => ({ DeviceID: a.deviceId, DutyStatus: a.dutyStatus })) } : undefined,
    ...(s.extra ?? {}),
  }, opts);
}


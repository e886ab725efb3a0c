import { body, expectCmd } from './common.js';
import { int, num, str, tree } from './tree.js';
import type { BuildOptions, ManscdpMessage, XmlObject } from './types.js';

/** Alarm NOTIFY/MESSAGE (GB/T 28181-2016 §A.2.5). AlarmMethod/AlarmType stay text: their meanings nest. */
export interface Alarm {
  deviceId: string;
  /** 1 (highest) – 4. */
  alarmPriority: number | null;
  /** 1 phone, 2 device, 3 SMS, 4 GPS, 5 video, 6 device fault, 7 other. */
  alarmMethod: string | null;
  /** Local wall-clock time as sent. */
  alarmTime: string | null;
  alarmDescription: string | null;
  longitude: number | null;
  latitude: number | null;
  /** Info.AlarmType (meaning depends on alarmMethod). */
  alarmType: string | null;
  /** Info.AlarmTypeParam (e.g. EventType), as sent. */
  alarmTypeParam: Record<string, unknown> | null;
  raw: Record<string, unknown>;
}

export function parseAlarm(m: ManscdpMessage): Alarm {
  const b = expectCmd(m, 'Alarm');
  const info = tree(b, 'Info');
  const param = tree(info, 'AlarmTypeParam');
  return {
    deviceId: m.deviceId,
    alarmPriority: int(b, 'AlarmPriority'),
    alarmMethod: str(b, 'AlarmMethod')?.trim() ?? null,
    alarmTime: str(b, 'AlarmTime')?.trim() ?? null,
    alarmDescription: str(b, 'AlarmDescription'),
    longitude: num(b, 'Longitude'),
    latitude: num(b, 'Latitude'),
    alarmType: (str(info, 'AlarmType') ?? str(b, 'AlarmType'))?.trim() ?? null,
    alarmTypeParam: Object.keys(param).length ? param : null,
    raw: b,
  };
}

export interface AlarmInput {
  alarmPriority: number;
  alarmMethod: number | string;
  /** Local wall-clock time, e.g. `2026-11-24T09:40:00`. */
  alarmTime: string;
  alarmDescription?: string | null;
  longitude?: number | null;
  latitude?: number | null;
  alarmType?: number | string | null;
  alarmTypeParam?: XmlObject;
}

export function buildAlarmNotify(sn: number, deviceId: string, a: AlarmInput, opts?: BuildOptions): Buffer {
  const hasInfo = a.alarmType !== undefined && a.alarmType !== null;
  return body('Notify', 'Alarm', sn, deviceId, {
    AlarmPriority: a.alarmPriority,
    AlarmMethod: a.alarmMethod,
    AlarmTime: a.alarmTime,
    AlarmDescription: a.alarmDescription,
    Longitude: a.longitude,
    Latitude: a.latitude,
    Info: hasInfo ? { AlarmType: a.alarmType, AlarmTypeParam: a.alarmTypeParam } : undefined,
  }, opts);
}

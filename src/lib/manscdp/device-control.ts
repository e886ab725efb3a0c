import { body, bit, buildResultResponse, expectCmd } from './common.js';
import { ManscdpError } from './errors.js';
import { child, int, isTree, str, tree } from './tree.js';
import type { BuildOptions, ManscdpMessage, XmlObject } from './types.js';

/** DeviceControl sub-commands (GB/T 28181-2016 §A.2.3). */
export type DeviceControlCmd =
  /** `value` is the 16-hex-digit PTZCmd (see `encodePtz`); `controlPriority` goes to Info.ControlPriority. */
  | { type: 'PTZCmd'; value: string; controlPriority?: number }
  | { type: 'TeleBoot' }
  | { type: 'RecordCmd'; value: 'Record' | 'StopRecord'; streamNumber?: number }
  | { type: 'GuardCmd'; value: 'SetGuard' | 'ResetGuard' }
  | { type: 'AlarmCmd'; value: 'ResetAlarm'; alarmMethod?: string | number; alarmType?: string | number }
  /** Force a key frame (the element really is spelled IFameCmd). */
  | { type: 'IFameCmd' }
  | {
      type: 'DragZoomIn' | 'DragZoomOut';
      length: number;
      width: number;
      midPointX: number;
      midPointY: number;
      lengthX: number;
      lengthY: number;
    }
  | { type: 'HomePosition'; enabled: boolean | 0 | 1; resetTime?: number; presetIndex?: number };

function fields(cmd: DeviceControlCmd): XmlObject {
  switch (cmd.type) {
    case 'PTZCmd':
      if (!/^[0-9A-Fa-f]{16}$/.test(cmd.value)) throw new ManscdpError('BAD_INPUT', 'PTZCmd must be 16 hex digits');
      return { PTZCmd: cmd.value.toUpperCase(), Info: cmd.controlPriority !== undefined ? { ControlPriority: cmd.controlPriority } : undefined };
    case 'TeleBoot':
      return { TeleBoot: 'Boot' };
    case 'RecordCmd':
      return { RecordCmd: cmd.value, StreamNumber: cmd.streamNumber };
    case 'GuardCmd':
      return { GuardCmd: cmd.value };
    case 'AlarmCmd': {
      const info = cmd.alarmMethod !== undefined || cmd.alarmType !== undefined;
      return { AlarmCmd: cmd.value, Info: info ? { AlarmMethod: cmd.alarmMethod, AlarmType: cmd.alarmType } : undefined };
    }
    case 'IFameCmd':
      return { IFameCmd: 'Send' };
    case 'DragZoomIn':
    case 'DragZoomOut':
      return {
        [cmd.type]: {
          Length: cmd.length,
          Width: cmd.width,
          MidPointX: cmd.midPointX,
          MidPointY: cmd.midPointY,
          LengthX: cmd.lengthX,
          LengthY: cmd.lengthY,
        },
      };
    case 'HomePosition':
      return { HomePosition: { Enabled: bit(cmd.enabled), ResetTime: cmd.resetTime, PresetIndex: cmd.presetIndex } };
  }
  throw new ManscdpError('BAD_INPUT', 'unknown DeviceControl command');
}

/** Platform side: `<Control><CmdType>DeviceControl</CmdType>…` with one sub-command. */
export function buildDeviceControl(sn: number, deviceId: string, cmd: DeviceControlCmd, opts?: BuildOptions): Buffer {
  return body('Control', 'DeviceControl', sn, deviceId, fields(cmd), opts);
}

/** Device side: the sub-commands found in a DeviceControl body (usually one). */
export function parseDeviceControl(m: ManscdpMessage): DeviceControlCmd[] {
  const b = expectCmd(m, 'DeviceControl');
  const info = tree(b, 'Info');
  const out: DeviceControlCmd[] = [];
  const ptz = str(b, 'PTZCmd')?.trim();
  if (ptz) {
    const p = int(info, 'ControlPriority');
    out.push(p === null ? { type: 'PTZCmd', value: ptz } : { type: 'PTZCmd', value: ptz, controlPriority: p });
  }
  if (child(b, 'TeleBoot') !== undefined) out.push({ type: 'TeleBoot' });
  const rec = str(b, 'RecordCmd')?.trim();
  if (rec === 'Record' || rec === 'StopRecord') {
    const s = int(b, 'StreamNumber');
    out.push(s === null ? { type: 'RecordCmd', value: rec } : { type: 'RecordCmd', value: rec, streamNumber: s });
  }
  const guard = str(b, 'GuardCmd')?.trim();
  if (guard === 'SetGuard' || guard === 'ResetGuard') out.push({ type: 'GuardCmd', value: guard });
  if (str(b, 'AlarmCmd')?.trim() === 'ResetAlarm') {
    const cmd: DeviceControlCmd = { type: 'AlarmCmd', value: 'ResetAlarm' };
    const method = str(info, 'AlarmMethod')?.trim();
    const type = str(info, 'AlarmType')?.trim();
    if (method) cmd.alarmMethod = method;
    if (type) cmd.alarmType = type;
    out.push(cmd);
  }
  if (child(b, 'IFameCmd') !== undefined) out.push({ type: 'IFameCmd' });
  for (const t of ['DragZoomIn', 'DragZoomOut'] as const) {
    const z = child(b, t);
    if (!isTree(z)) continue;
    out.push({
      type: t,
      length: int(z, 'Length') ?? 0,
      width: int(z, 'Width') ?? 0,
      midPointX: int(z, 'MidPointX') ?? 0,
      midPointY: int(z, 'MidPointY') ?? 0,
      lengthX: int(z, 'LengthX') ?? 0,
      lengthY: int(z, 'LengthY') ?? 0,
    });
  }
  const home = child(b, 'HomePosition');
  if (isTree(home)) {
    const cmd: DeviceControlCmd = { type: 'HomePosition', enabled: int(home, 'Enabled') === 1 ? 1 : 0 };
    const rt = int(home, 'ResetTime');
    const pi = int(home, 'PresetIndex');
    if (rt !== null) cmd.resetTime = rt;
    if (pi !== null) cmd.presetIndex = pi;
    out.push(cmd);
  }
  return out;
}

/** Result of a DeviceControl/DeviceConfig answer (GB/T 28181-2016 §A.2.6). */
export interface ControlResponse {
  deviceId: string;
  result: string | null;
  ok: boolean;
}

export function parseControlResponse(m: ManscdpMessage): ControlResponse {
  const b = expectCmd(m, 'DeviceControl', 'DeviceConfig');
  const result = str(b, 'Result')?.trim() ?? null;
  return { deviceId: m.deviceId, result, ok: result?.toUpperCase() === 'OK' };
}

/** Device side answer to RecordCmd/GuardCmd/AlarmCmd/HomePosition (those that want one). */
export function buildControlResponse(sn: number, deviceId: string, result: 'OK' | 'ERROR' = 'OK', opts?: BuildOptions): Buffer {
  return buildResultResponse('DeviceControl', sn, deviceId, result, opts);
}

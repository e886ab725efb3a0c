import * as C from './codes.js';
import { PtzError } from './errors.js';
import { writeFrame, type PtzFrame } from './frame.js';
import type { PtzCommand, PtzFocusIris, PtzMove } from './types.js';

function int(name: string, v: number | undefined, min: number, max: number, dflt?: number): number {
  const x = v ?? dflt;
  if (x === undefined || !Number.isInteger(x) || x < min || x > max) {
    throw new PtzError('RANGE', `${name} must be an integer ${min}–${max}, got ${String(v)}`);
  }
  return x;
}

function moveFrame(c: PtzMove): Omit<PtzFrame, 'address'> {
  let instruction = 0;
  if (c.pan === 'right') instruction |= C.BIT_RIGHT;
  else if (c.pan === 'left') instruction |= C.BIT_LEFT;
  else if (c.pan !== undefined) throw new PtzError('RANGE', `pan must be left or right`);
  if (c.tilt === 'down') instruction |= C.BIT_DOWN;
  else if (c.tilt === 'up') instruction |= C.BIT_UP;
  else if (c.tilt !== undefined) throw new PtzError('RANGE', `tilt must be up or down`);
  if (c.zoom === 'in') instruction |= C.BIT_ZOOM_IN;
  else if (c.zoom === 'out') instruction |= C.BIT_ZOOM_OUT;
  else if (c.zoom !== undefined) throw new PtzError('RANGE', `zoom must be in or out`);
  return {
    instruction,
    data1: int('panSpeed', c.panSpeed, 0, 255, 0),
    data2: int('tiltSpeed', c.tiltSpeed, 0, 255, 0),
    data3: int('zoomSpeed', c.zoomSpeed, 0, 15, 0),
  };
}

function fiFrame(c: PtzFocusIris): Omit<PtzFrame, 'address'> {
  let instruction = C.FI_BASE;
  if (c.focus === 'far') instruction |= C.BIT_FOCUS_FAR;
  else if (c.focus === 'near') instruction |= C.BIT_FOCUS_NEAR;
  else if (c.focus !== undefined) throw new PtzError('RANGE', `focus must be near or far`);
  if (c.iris === 'open') instruction |= C.BIT_IRIS_OPEN;
  else if (c.iris === 'close') instruction |= C.BIT_IRIS_CLOSE;
  else if (c.iris !== undefined) throw new PtzError('RANGE', `iris must be open or close`);
  return {
    instruction,
    data1: int('focusSpeed', c.focusSpeed, 0, 255, 0),
    data2: int('irisSpeed', c.irisSpeed, 0, 255, 0),
    data3: 0,
  };
}

/** A 12-bit value split as §A.3.5/§A.3.6 want it: low 8 bits in data 2, high 4 bits in data 3. */
function twelveBit(name: string, v: number): { data2: number; data3: number } {
  const x = int(name, v, 0, 0xfff);
  return { data2: x & 0xff, data3: x >> 8 };
}

function body(c: PtzCommand): Omit<PtzFrame, 'address'> {
  switch (c.kind) {
    case undefined:
    case 'ptz':
      return moveFrame(c);
    case 'fi':
      return fiFrame(c);
    case 'preset': {
      const code = { set: C.PRESET_SET, call: C.PRESET_CALL, delete: C.PRESET_DELETE }[c.action];
      if (code === undefined) throw new PtzError('RANGE', `unknown preset action`);
      return { instruction: code, data1: 0, data2: int('preset index', c.index, 1, 255), data3: 0 };
    }
    case 'cruise': {
      const group = int('cruise group', c.group, 0, 255);
      switch (c.action) {
        case 'add':
          return { instruction: C.CRUISE_ADD, data1: group, data2: int('preset', c.preset, 1, 255), data3: 0 };
        case 'delete':
          return { instruction: C.CRUISE_DELETE, data1: group, data2: int('preset', c.preset, 0, 255), data3: 0 };
        case 'speed':
          return { instruction: C.CRUISE_SPEED, data1: group, ...twelveBit('cruise speed', c.speed) };
        case 'dwell':
          return { instruction: C.CRUISE_DWELL, data1: group, ...twelveBit('cruise dwell', c.seconds) };
        case 'start':
          return { instruction: C.CRUISE_START, data1: group, data2: 0, data3: 0 };
      }
      throw new PtzError('RANGE', `unknown cruise action`);
    }
    case 'scan': {
      const group = int('scan group', c.group, 0, 255);
      switch (c.action) {
        case 'start':
          return { instruction: C.SCAN, data1: group, data2: C.SCAN_START, data3: 0 };
        case 'left':
          return { instruction: C.SCAN, data1: group, data2: C.SCAN_LEFT, data3: 0 };
        case 'right':
          return { instruction: C.SCAN, data1: group, data2: C.SCAN_RIGHT, data3: 0 };
        case 'speed':
          return { instruction: C.SCAN_SPEED, data1: group, ...twelveBit('scan speed', c.speed) };
      }
      throw new PtzError('RANGE', `unknown scan action`);
    }
    case 'aux': {
      const code = { on: C.AUX_ON, off: C.AUX_OFF }[c.action];
      if (code === undefined) throw new PtzError('RANGE', `unknown aux action`);
      return { instruction: code, data1: int('aux switch', c.index, 0, 255), data2: 0, data3: 0 };
    }
  }
  throw new PtzError('RANGE', `unknown PTZ command kind`);
}

/** Encodes a command as the 16-hex-digit upper-case PTZCmd string of GB/T 28181-2016 §A.3. */
export function encodePtz(cmd: PtzCommand): string {
  if (cmd === null || typeof cmd !== 'object') throw new PtzError('RANGE', 'command must be an object');
  return writeFrame({ address: int('address', cmd.address, 0, 0xfff, 1), ...body(cmd) });
}

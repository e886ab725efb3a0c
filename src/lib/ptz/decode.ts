import * as C from './codes.js';
import { PtzError } from './errors.js';
import { readFrame } from './frame.js';
import type { PtzCommand, PtzFocusIris, PtzMove } from './types.js';

function move(instruction: number, data1: number, data2: number, data3: number, address: number): PtzMove {
  // §A.3.2: bit 1 and bit 0 may not both be set, nor bit 3 and bit 2, nor bit 5 and bit 4.
  const both = (a: number, b: number) => (instruction & a) !== 0 && (instruction & b) !== 0;
  if (both(C.BIT_LEFT, C.BIT_RIGHT) || both(C.BIT_UP, C.BIT_DOWN) || both(C.BIT_ZOOM_IN, C.BIT_ZOOM_OUT)) {
    throw new PtzError('INVALID_COMBINATION', 'opposite directions set together');
  }
  const out: PtzMove = { kind: 'ptz', address };
  if (instruction & C.BIT_RIGHT) out.pan = 'right';
  if (instruction & C.BIT_LEFT) out.pan = 'left';
  if (instruction & C.BIT_DOWN) out.tilt = 'down';
  if (instruction & C.BIT_UP) out.tilt = 'up';
  if (instruction & C.BIT_ZOOM_IN) out.zoom = 'in';
  if (instruction & C.BIT_ZOOM_OUT) out.zoom = 'out';
  out.panSpeed = data1;
  out.tiltSpeed = data2;
  out.zoomSpeed = data3;
  return out;
}

function fi(instruction: number, data1: number, data2: number, address: number): PtzFocusIris {
  // §A.3.3: bit 3 and bit 2 may not both be set, nor bit 1 and bit 0.
  const both = (a: number, b: number) => (instruction & a) !== 0 && (instruction & b) !== 0;
  if (both(C.BIT_FOCUS_FAR, C.BIT_FOCUS_NEAR) || both(C.BIT_IRIS_OPEN, C.BIT_IRIS_CLOSE)) {
    throw new PtzError('INVALID_COMBINATION', 'opposite focus/iris directions set together');
  }
  const out: PtzFocusIris = { kind: 'fi', address };
  if (instruction & C.BIT_FOCUS_FAR) out.focus = 'far';
  if (instruction & C.BIT_FOCUS_NEAR) out.focus = 'near';
  if (instruction & C.BIT_IRIS_OPEN) out.iris = 'open';
  if (instruction & C.BIT_IRIS_CLOSE) out.iris = 'close';
  out.focusSpeed = data1;
  out.irisSpeed = data2;
  return out;
}

/**
 * Decodes and verifies a PTZCmd string (GB/T 28181-2016 §A.3). Throws `PtzError` on bad length/hex, a wrong
 * check nibble or checksum, an instruction outside §A.3.2–§A.3.7, or contradictory direction bits.
 */
export function decodePtz(hex: string): PtzCommand {
  const { address, instruction, data1, data2, data3 } = readFrame(hex);
  const speed12 = data2 | (data3 << 8);
  if (instruction <= 0x3f) return move(instruction, data1, data2, data3, address);
  if ((instruction & 0xf0) === C.FI_BASE) return fi(instruction, data1, data2, address);
  switch (instruction) {
    case C.PRESET_SET:
    case C.PRESET_CALL:
    case C.PRESET_DELETE: {
      const action = instruction === C.PRESET_SET ? 'set' : instruction === C.PRESET_CALL ? 'call' : 'delete';
      return { kind: 'preset', action, index: data2, address };
    }
    case C.CRUISE_ADD:
      return { kind: 'cruise', action: 'add', group: data1, preset: data2, address };
    case C.CRUISE_DELETE:
      return { kind: 'cruise', action: 'delete', group: data1, preset: data2, address };
    case C.CRUISE_SPEED:
      return { kind: 'cruise', action: 'speed', group: data1, speed: speed12, address };
    case C.CRUISE_DWELL:
      return { kind: 'cruise', action: 'dwell', group: data1, seconds: speed12, address };
    case C.CRUISE_START:
      return { kind: 'cruise', action: 'start', group: data1, address };
    case C.SCAN: {
      const action = data2 === C.SCAN_START ? 'start' : data2 === C.SCAN_LEFT ? 'left' : data2 === C.SCAN_RIGHT ? 'right' : null;
      if (action === null) throw new PtzError('UNKNOWN_INSTRUCTION', `scan sub-command ${data2} is not 0, 1 or 2`);
      return { kind: 'scan', action, group: data1, address };
    }
    case C.SCAN_SPEED:
      return { kind: 'scan', action: 'speed', group: data1, speed: speed12, address };
    case C.AUX_ON:
    case C.AUX_OFF:
      return { kind: 'aux', action: instruction === C.AUX_ON ? 'on' : 'off', index: data1, address };
  }
  throw new PtzError('UNKNOWN_INSTRUCTION', `instruction ${instruction.toString(16).toUpperCase()}H is not in §A.3`);
}

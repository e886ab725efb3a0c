/**
 * PTZCmd commands of GB/T 28181-2016 §A.3 (front-end device control protocol), one variant per instruction family.
 * `address` is the 12-bit device address of bytes 3 and 7 (§A.3.1); GB/T 28181 addresses by DeviceID instead, so
 * it defaults to 1, which is what real platforms send (`A50F01…`).
 */
interface Addressed {
  address?: number;
}

/** §A.3.2 pan/tilt/zoom (instruction byte 00H–3FH). Every direction absent = stop (`A50F0100000000B5`). */
export interface PtzMove extends Addressed {
  kind?: 'ptz';
  pan?: 'left' | 'right';
  tilt?: 'up' | 'down';
  zoom?: 'in' | 'out';
  /** 0–255 (data 1). */
  panSpeed?: number;
  /** 0–255 (data 2). */
  tiltSpeed?: number;
  /** 0–15 (data 3, high nibble of byte 7). */
  zoomSpeed?: number;
}

/** §A.3.3 focus/iris (instruction byte 40H–4FH). Both absent = stop focus and iris (`40H`). */
export interface PtzFocusIris extends Addressed {
  kind: 'fi';
  focus?: 'near' | 'far';
  iris?: 'open' | 'close';
  /** 0–255 (data 1). */
  focusSpeed?: number;
  /** 0–255 (data 2). */
  irisSpeed?: number;
}

/** §A.3.4 presets: 81H set, 82H call, 83H delete; index 1–255 in data 2. */
export interface PtzPreset extends Addressed {
  kind: 'preset';
  action: 'set' | 'call' | 'delete';
  index: number;
}

/**
 * §A.3.5 cruise: 84H add point, 85H delete point (preset 0 deletes the whole cruise), 86H speed, 87H dwell
 * (seconds), 88H start. Group 0–255 in data 1; speed and dwell are 12-bit (data 2 low byte, byte 7 high nibble).
 * Cruise stops with the PTZ stop command.
 */
export type PtzCruise =
  | (Addressed & { kind: 'cruise'; action: 'add' | 'delete'; group: number; preset: number })
  | (Addressed & { kind: 'cruise'; action: 'speed'; group: number; speed: number })
  | (Addressed & { kind: 'cruise'; action: 'dwell'; group: number; seconds: number })
  | (Addressed & { kind: 'cruise'; action: 'start'; group: number });

/**
 * §A.3.6 auto scan: 89H with data 2 = 00H start / 01H left boundary / 02H right boundary, 8AH speed (12-bit).
 * Group 0–255 in data 1 (0 is a valid group). Scanning stops with the PTZ stop command.
 */
export type PtzScan =
  | (Addressed & { kind: 'scan'; action: 'start' | 'left' | 'right'; group: number })
  | (Addressed & { kind: 'scan'; action: 'speed'; group: number; speed: number });

/** §A.3.7 auxiliary switch: 8CH on, 8DH off; switch number in data 1 (1 = wiper). */
export interface PtzAux extends Addressed {
  kind: 'aux';
  action: 'on' | 'off';
  index: number;
}

export type PtzCommand = PtzMove | PtzFocusIris | PtzPreset | PtzCruise | PtzScan | PtzAux;

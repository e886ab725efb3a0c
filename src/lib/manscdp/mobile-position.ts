import { body, expectCmd } from './common.js';
import { num, str } from './tree.js';
import type { BuildOptions, ManscdpMessage } from './types.js';

/** MobilePosition NOTIFY (GB/T 28181-2016 §A.2.5). */
export interface MobilePosition {
  deviceId: string;
  time: string | null;
  longitude: number | null;
  latitude: number | null;
  /** km/h. */
  speed: number | null;
  /** Degrees from north, clockwise. */
  direction: number | null;
  /** Metres. */
  altitude: number | null;
}

export function parseMobilePosition(m: ManscdpMessage): MobilePosition {
  const b = expectCmd(m, 'MobilePosition');
  return {
    deviceId: m.deviceId,
    time: str(b, 'Time')?.trim() ?? null,
    longitude: num(b, 'Longitude'),
    latitude: num(b, 'Latitude'),
    speed: num(b, 'Speed'),
    direction: num(b, 'Direction'),
    altitude: num(b, 'Altitude'),
  };
}

export interface MobilePositionInput {
  time: string;
  longitude: number;
  latitude: number;
  speed?: number | null;
  direction?: number | null;
  altitude?: number | null;
}

export function buildMobilePositionNotify(sn: number, deviceId: string, p: MobilePositionInput, opts?: BuildOptions): Buffer {
  return body('Notify', 'MobilePosition', sn, deviceId, {
    Time: p.time,
    Longitude: p.longitude,
    Latitude: p.latitude,
    Speed: p.speed,
    Direction: p.direction,
    Altitude: p.altitude,
  }, opts);
}

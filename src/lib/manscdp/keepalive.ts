import { body, expectCmd } from './common.js';
import { asArray, child, str, textOf, tree } from './tree.js';
import type { BuildOptions, ManscdpMessage } from './types.js';

/** Keepalive NOTIFY (GB/T 28181-2016 §A.2.5): OK or ERROR, with the IDs of faulty devices in Info. */
export interface Keepalive {
  deviceId: string;
  status: string | null;
  faultDeviceIds: string[];
}

export function parseKeepalive(m: ManscdpMessage): Keepalive {
  const b = expectCmd(m, 'Keepalive');
  return {
    deviceId: m.deviceId,
    status: str(b, 'Status')?.trim() ?? null,
    faultDeviceIds: asArray(child(tree(b, 'Info'), 'DeviceID'))
      .map((v) => textOf(v)?.trim() ?? '')
      .filter((s) => s !== ''),
  };
}

export function buildKeepalive(
  sn: number,
  deviceId: string,
  opts?: BuildOptions & { status?: 'OK' | 'ERROR'; faultDeviceIds?: readonly string[] },
): Buffer {
  const faults = opts?.faultDeviceIds ?? [];
  return body('Notify', 'Keepalive', sn, deviceId, {
    Status: opts?.status ?? 'OK',
    Info: faults.length ? { DeviceID: faults } : undefined,
  }, opts);
}

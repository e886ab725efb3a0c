import { body, expectCmd } from './common.js';
import { int } from './tree.js';
import type { BuildOptions, ManscdpMessage } from './types.js';

/** NotifyType 121: the sender finished a download/playback stream (GB/T 28181-2016 §A.2.5). */
export const MEDIA_STATUS_END_OF_FILE = 121;

export interface MediaStatus {
  deviceId: string;
  notifyType: number | null;
}

export function parseMediaStatus(m: ManscdpMessage): MediaStatus {
  const b = expectCmd(m, 'MediaStatus');
  return { deviceId: m.deviceId, notifyType: int(b, 'NotifyType') };
}

export function buildMediaStatusNotify(sn: number, deviceId: string, notifyType: number = MEDIA_STATUS_END_OF_FILE, opts?: BuildOptions): Buffer {
  return body('Notify', 'MediaStatus', sn, deviceId, { NotifyType: notifyType }, opts);
}

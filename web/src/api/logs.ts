import { downloadFile, http, type Page, type Query } from './http';
import type { AlarmLog, DeviceLog, UserLog } from './types';

export type LogKind = 'user' | 'device' | 'alarm';
export interface LogRowMap {
  user: UserLog;
  device: DeviceLog;
  alarm: AlarmLog;
}

export const logsApi = {
  list: <K extends LogKind>(kind: K, q: Query) => http.get<Page<LogRowMap[K]>>(`/logs/${kind}`, q),
  exportFile: (kind: LogKind, q: Query, format: 'csv' | 'xlsx') =>
    downloadFile(`/logs/${kind}`, { ...q, page: undefined, pageSize: undefined, format }, `${kind}-log.${format}`),
  verify: () => http.get<{ ok: boolean; checked: number; brokenAt?: unknown }>('/logs/user/verify'),
};

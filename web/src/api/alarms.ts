/** The alarm console (docs/patrol.md "Alarms"): alarms of visible channels and acknowledgement. */
import { http, type Page, type Query } from './http';

export interface AlarmItem {
  id: number;
  at: string;
  deviceId: string | null;
  deviceName: string | null;
  channelId: string | null;
  channelName: string | null;
  orgId: string | null;
  alarmType: string;
  priority: number | null;
  method: string | null;
  description: string | null;
  longitude: number | null;
  latitude: number | null;
  ackedBy: string | null;
  ackedAt: string | null;
  ackComment: string | null;
}

export interface AlarmQuery extends Query {
  acked?: boolean;
  from?: string;
  to?: string;
  q?: string;
  page?: number;
  pageSize?: number;
}

export const alarmsApi = {
  list: (q: AlarmQuery) => http.get<Page<AlarmItem>>('/alarms', q),
  ack: (id: number, comment: string) => http.post<AlarmItem>(`/alarms/${id}/ack`, { comment }),
};

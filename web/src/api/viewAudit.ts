import { downloadFile, http, type Query } from './http';

/** One row of "who watched what" (GET /audit/views, docs/security.md). */
export interface ViewRow {
  channelId: string;
  channelName: string | null;
  username: string;
  live: number;
  playback: number;
  download: number;
  snapshot: number;
  connections: number;
  watchedSeconds: number;
  sensitive: number;
  refused: number;
  first: string;
  last: string;
}

export const viewAuditApi = {
  list: (q: Query) => http.get<{ items: ViewRow[]; total: number }>('/audit/views', q),
  exportFile: (q: Query, format: 'csv' | 'xlsx') => downloadFile('/audit/views', { ...q, format }, `views.${format}`),
};

/** 3725 → "1:02:05"; under an hour "m:ss". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

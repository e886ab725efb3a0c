import { http, rawRequest, request } from './http';

/** Platform recording (issue 7): plans, search, playback sessions, MP4 download, storage. */

export type PlanMode = 'always' | 'schedule' | 'alarm' | 'off';
export const PLAN_MODES: readonly PlanMode[] = ['always', 'schedule', 'alarm', 'off'];
export type RecState = 'recording' | 'holding' | 'idle' | 'starting' | 'error';
export const REC_STATES: readonly RecState[] = ['recording', 'holding', 'idle', 'starting', 'error'];
export type RecordSource = 'platform' | 'device' | 'all';
export const RECORD_SOURCES: readonly RecordSource[] = ['platform', 'device', 'all'];
export const SPEEDS = [0.125, 0.25, 0.5, 1, 2, 4, 8, 16] as const;

export interface ScheduleWindow {
  /** 1 = Monday … 7 = Sunday */
  days: number[];
  from: string;
  to: string;
}

export interface RecordPlanBody {
  mode: PlanMode;
  schedule?: ScheduleWindow[];
  preSeconds?: number;
  postSeconds?: number;
  stream?: 'main' | 'sub';
  retentionDays?: number | null;
  quotaMb?: number | null;
}

export interface RecordStatus {
  state: RecState;
  since?: string;
  error?: { code: string; message: string };
  alarmUntil?: string;
}

export interface RecordPlan extends Required<Omit<RecordPlanBody, 'schedule'>> {
  channelId: string;
  schedule: ScheduleWindow[];
  updatedAt?: string;
  updatedBy?: string | null;
  status: RecordStatus | null;
  retentionDaysEffective?: number;
}

export interface RecordSpanDto {
  start: string;
  end: string;
  startMs: number;
  endMs: number;
  source: 'platform' | 'device';
  recording?: boolean;
}

export interface RecordSearch {
  items: RecordSpanDto[];
  gaps: { start: string; end: string }[];
  damaged: { start: string; end: string; state?: string; error?: string }[];
  searchMs: number;
}

export interface PlaybackState {
  positionMs: number;
  position?: string;
  speed: number;
  paused: boolean;
  ended: boolean;
  startMs: number;
  endMs: number;
}

export interface PlaybackGrant {
  session: string;
  flv: string;
  wsFlv: string;
  hls: string;
  state: PlaybackState;
  damagedSegments?: number;
}

export type ControlBody =
  | { action: 'pause' | 'resume' }
  | { action: 'seek'; time: string }
  | { action: 'speed'; speed: number }
  | { action: 'step'; direction: 'forward' | 'backward' };

export interface DownloadJob {
  id: string;
  progress: number;
  doneBytes: number;
  totalBytes: number;
  state: 'running' | 'done' | 'failed' | 'aborted';
  bytesPerSec?: number;
}

export interface StorageInfo {
  roots: { nodeId: string; path: string; totalBytes: number; freeBytes: number; ok: boolean; error?: string }[];
  channels: { channelId: string; bytes: number; segments: number; oldest: string | null; newest: string | null; daysHeld: number; retentionDays: number }[];
}

const ch = (id: string) => `/channels/${encodeURIComponent(id)}`;
const pb = (session: string) => `/playback/${encodeURIComponent(session)}`;

export const recordsApi = {
  getPlan: (id: string) => http.get<RecordPlan>(`${ch(id)}/record-plan`),
  putPlan: (id: string, body: RecordPlanBody) => request<RecordPlan>('PUT', `${ch(id)}/record-plan`, { body }),
  search: (id: string, start: number, end: number, source: RecordSource) =>
    http.get<RecordSearch>(`${ch(id)}/records`, { start: new Date(start).toISOString(), end: new Date(end).toISOString(), source }),
  /** source 'device': the device's own recording (GB/T 28181 Playback); default the platform's */
  open: (id: string, start: number, end: number, speed: number, source?: 'device') =>
    http.post<PlaybackGrant>(`${ch(id)}/playback`, { start: new Date(start).toISOString(), end: new Date(end).toISOString(), speed, ...(source ? { source } : {}) }),
  control: (session: string, body: ControlBody) => http.post<PlaybackState>(`${pb(session)}/control`, body),
  state: (session: string) => http.get<PlaybackState>(pb(session)),
  stop: (session: string) => http.del(pb(session)),
  download: (id: string, start: number, end: number) =>
    rawRequest('GET', `${ch(id)}/download`, { query: { start: new Date(start).toISOString(), end: new Date(end).toISOString() } }),
  job: (downloadId: string) => http.get<DownloadJob>(`/downloads/${encodeURIComponent(downloadId)}`),
  storage: () => http.get<StorageInfo>('/records/storage'),
};

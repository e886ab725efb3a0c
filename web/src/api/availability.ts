import { downloadFile, http, type Page, type Query } from './http';

/** Availability (完好率, R15) and video quality diagnosis (R12); server: src/api/routes/availability.ts, quality.ts. */
export type AvailabilityLevel = 'channel' | 'device' | 'org';

export interface AvailabilityRow {
  id: string | null;
  name: string | null;
  deviceId?: string | null;
  orgId?: string | null;
  channels: number;
  observedMs: number;
  onlineMs: number;
  videoMs: number;
  onlineRate: number;
  availability: number;
  probesOk: number;
  probesFailed: number;
}

export interface OrgOverview {
  orgId: string | null;
  name: string | null;
  today: number | null;
  trend: Array<number | null>;
  belowTarget: boolean;
  worst: Array<{ id: string; name: string | null; availability: number }>;
}

export interface Overview {
  at: string;
  tz: string;
  today: string;
  days: string[];
  targetPercent: number;
  channels: { total: number; online: number; onlineRate: number };
  availability: { today: number | null; onlineToday: number | null; trend: Array<number | null>; orgs: OrgOverview[] };
  quality: { channels: number; measured: number; below1080p: number; below25fps: number; codecNotStandard: number; belowStandard: number };
  streams: { running: number; live: number; readers: number; bitrateKbps: number };
  storage: Array<{ nodeId: string; path: string; totalBytes: number; freeBytes: number; ok: boolean; error?: string }>;
  probe: { concurrency: number; intervalMin: number; active: number };
}

export const QUALITY_FLAGS = ['not-measured', 'below-1080p', 'below-25fps', 'codec-not-standard'] as const;
export const PICTURE_FLAGS = ['no-frames', 'frozen', 'black', 'blurry', 'noisy', 'too-dark'] as const;

export interface PictureCheck {
  seconds: number;
  frames: number;
  frozenRatio: number;
  blackRatio: number;
  lumaAvg: number | null;
  blur: number | null;
  noise: number | null;
  flags: string[];
}

export interface StoredCheck {
  id: number;
  channelId: string;
  at: string;
  byUser: string | null;
  ok: boolean;
  flags: string[];
  result: PictureCheck;
}

export interface QualityRow {
  channelId: string;
  name: string;
  deviceId: string;
  orgId: string | null;
  online: boolean;
  codec: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  bitrateKbps: number | null;
  gop: number | null;
  mediaAt: string | null;
  flags: string[];
  lastCheck: { id: number; at: string; byUser: string | null; ok: boolean; flags: string[] } | null;
}

export const availabilityApi = {
  list: (q: Query) => http.get<Page<AvailabilityRow> & { from: string; to: string; targetPercent: number }>('/availability', q),
  overview: (days = 30) => http.get<Overview>('/ops/overview', { days }),
  exportXlsx: (from: string, to: string) => downloadFile('/availability/export', { format: 'xlsx', from, to }, `availability-${from}-${to}.xlsx`),
  quality: (q: Query) => http.get<Page<QualityRow> & { pictureChecks: boolean }>('/quality', q),
  check: (channelId: string) => http.post<StoredCheck>(`/channels/${encodeURIComponent(channelId)}/quality-check`),
  checks: (channelId: string) => http.get<{ items: StoredCheck[] }>(`/channels/${encodeURIComponent(channelId)}/quality-checks`),
};

/** 0.953 → "95.3 %"; null → "—". */
export function percent(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined ? '—' : `${(x * 100).toFixed(digits)} %`;
}

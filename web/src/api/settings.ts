import { http } from './http';
import type { Settings } from './types';

export const settingsApi = {
  get: () => http.get<Settings>('/settings'),
  update: (body: { logRetentionDays?: number; sessionTtlMinutes?: number }) => http.patch<Settings>('/settings', body),
};

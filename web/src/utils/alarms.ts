/** Pure helpers of the alarm console: categories, the newest-first list kept from pushes, acknowledgements. */
import type { AlarmItem } from '../api/alarms';

export const ALARM_CATEGORIES = ['gb', 'offline', 'videoLoss', 'platform', 'other'] as const;
export type AlarmCategory = (typeof ALARM_CATEGORIES)[number];

/** i18n key of each category (literal keys: the i18n test checks they exist). */
export const CATEGORY_KEYS: Record<AlarmCategory, string> = {
  gb: 'alarms.category.gb',
  offline: 'alarms.category.offline',
  videoLoss: 'alarms.category.videoLoss',
  platform: 'alarms.category.platform',
  other: 'alarms.category.other',
};

/** GB/T 28181 alarms (`gb_<method>…`), device offline, video loss, the platform's own alerts, anything else. */
export function alarmCategory(a: Pick<AlarmItem, 'alarmType' | 'method'>): AlarmCategory {
  const t = a.alarmType ?? '';
  if (t.startsWith('gb_')) return 'gb';
  if (t === 'device_offline') return 'offline';
  if (t === 'video_loss') return 'videoLoss';
  if (t.startsWith('platform') || a.method === 'platform') return 'platform';
  return 'other';
}

/** Adds a pushed alarm to a newest-first list (once), keeping at most `max`. */
export function mergeAlarm(list: readonly AlarmItem[], a: AlarmItem, max = 200): AlarmItem[] {
  if (list.some((x) => x.id === a.id)) return [...list];
  const next = [a, ...list];
  next.sort((x, y) => y.id - x.id);
  return next.slice(0, max);
}

export interface AckPush {
  id: number;
  ackedBy: string | null;
  ackedAt: string | null;
  ackComment: string | null;
}

/** Applies an acknowledgement (ours or another console's) to the list. */
export function applyAck(list: readonly AlarmItem[], ack: AckPush): AlarmItem[] {
  return list.map((x) => (x.id === ack.id ? { ...x, ackedBy: ack.ackedBy, ackedAt: ack.ackedAt, ackComment: ack.ackComment } : x));
}

/** `/playback` link around an alarm: the channel and the alarm time (the page starts a little before it). */
export function recordingLink(a: Pick<AlarmItem, 'channelId' | 'at'>): { path: string; query: Record<string, string> } | null {
  if (!a.channelId) return null;
  return { path: '/playback', query: { channel: a.channelId, at: a.at } };
}

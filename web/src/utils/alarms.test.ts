import { describe, expect, it } from 'vitest';
import type { AlarmItem } from '../api/alarms';
import { alarmCategory, applyAck, mergeAlarm, recordingLink } from './alarms';

const alarm = (id: number, over: Partial<AlarmItem> = {}): AlarmItem => ({
  id, at: '2026-11-25T02:00:00.000Z', deviceId: 'd', deviceName: null, channelId: 'c', channelName: 'cam', orgId: null, alarmType: 'gb_video_2', priority: 1, method: '5',
  description: null, longitude: null, latitude: null, ackedBy: null, ackedAt: null, ackComment: null, ...over,
});

describe('alarm console helpers', () => {
  it('categories', () => {
    expect(alarmCategory(alarm(1))).toBe('gb');
    expect(alarmCategory(alarm(1, { alarmType: 'device_offline' }))).toBe('offline');
    expect(alarmCategory(alarm(1, { alarmType: 'video_loss' }))).toBe('videoLoss');
    expect(alarmCategory(alarm(1, { alarmType: 'platform_storage_low' }))).toBe('platform');
    expect(alarmCategory(alarm(1, { alarmType: 'device_record_short', method: 'platform' }))).toBe('platform');
    expect(alarmCategory(alarm(1, { alarmType: 'x', method: null }))).toBe('other');
  });
  it('merges pushes newest first, once, bounded', () => {
    let l: AlarmItem[] = [];
    for (const id of [1, 3, 2, 3]) l = mergeAlarm(l, alarm(id), 2);
    expect(l.map((a) => a.id)).toEqual([3, 2]);
  });
  it('applies an acknowledgement from any console', () => {
    const l = applyAck([alarm(1), alarm(2)], { id: 2, ackedBy: 'op', ackedAt: 'now', ackComment: 'ok' });
    expect(l[1]).toMatchObject({ ackedBy: 'op', ackComment: 'ok' });
    expect(l[0]!.ackedBy).toBeNull();
  });
  it('links to the recording around the alarm', () => {
    expect(recordingLink(alarm(1))).toEqual({ path: '/playback', query: { channel: 'c', at: '2026-11-25T02:00:00.000Z' } });
    expect(recordingLink(alarm(1, { channelId: null }))).toBeNull();
  });
});

import { parseAlarm, parseMediaStatus, parseMobilePosition, type ManscdpMessage, type MediaStatus } from '../lib/manscdp/index.js';
import type { GbDeps } from './context.js';
import type { DeviceJournal } from './device-journal.js';

/** What notify handling needs from the GB service (kept narrow to avoid an import cycle). */
export interface NotifySink {
  journal: DeviceJournal;
  answerNotify(deviceId: string, m: ManscdpMessage): Promise<void>;
  applyCatalogNotify(deviceId: string, m: ManscdpMessage): Promise<void>;
  /** MediaStatus (end of a playback/download) to the media dialog it belongs to */
  mediaStatus(deviceId: string, status: MediaStatus, callId?: string): void;
}

/** GB/T 28181-2016 Appendix A.2.6 alarm methods. */
const ALARM_METHOD: Record<string, string> = { '1': 'telephone', '2': 'device', '3': 'sms', '4': 'gps', '5': 'video', '6': 'device_fault', '7': 'other' };

/** Notify bodies from devices (MESSAGE or NOTIFY): keepalive, alarm, mobile position, catalog changes, media status. */
export async function handleNotifyBody(deps: GbDeps, gb: NotifySink, deviceId: string, m: ManscdpMessage, callId?: string): Promise<void> {
  const now = deps.clock.now().toISOString();
  switch (m.cmdType.toLowerCase()) {
    case 'keepalive':
      return;
    case 'alarm': {
      // §9.4: the alarm source is the DeviceID in the body (a channel or alarm input), the sender is the device.
      const a = parseAlarm(m);
      const source = a.deviceId || deviceId;
      const org = await deps.store.gb.channelOrg(source);
      const entry = {
        at: now,
        deviceId,
        channelId: source !== deviceId ? source : null,
        alarmType: `gb_${ALARM_METHOD[a.alarmMethod ?? ''] ?? 'other'}${a.alarmType ? `_${a.alarmType}` : ''}`,
        priority: a.alarmPriority,
        method: a.alarmMethod || null,
        description: [a.alarmDescription, a.alarmTime && `device time ${a.alarmTime}`].filter(Boolean).join('; ') || null,
        longitude: a.longitude,
        latitude: a.latitude,
      };
      await deps.store.logs.appendAlarm(entry);
      gb.journal.push('alarm', deviceId, entry, org ? { id: source, orgId: org.orgId } : undefined);
      await gb.answerNotify(deviceId, m);
      return;
    }
    case 'mobileposition': {
      const pos = parseMobilePosition(m);
      if (pos.longitude === null || pos.latitude === null) return;
      const source = pos.deviceId || deviceId;
      await deps.store.gb.setPosition(source, { longitude: pos.longitude, latitude: pos.latitude, at: now, speed: pos.speed?.toString() ?? null, direction: pos.direction?.toString() ?? null });
      const org = await deps.store.gb.channelOrg(source);
      gb.journal.push('channel.position', deviceId, { id: source, longitude: pos.longitude, latitude: pos.latitude }, org ? { id: source, orgId: org.orgId } : undefined);
      return;
    }
    case 'catalog':
      return gb.applyCatalogNotify(deviceId, m);
    case 'mediastatus': {
      // §9.8.2/§9.9.2: NotifyType 121 = end of a playback/download; the dialog's owner ends its session.
      const st = parseMediaStatus(m);
      gb.journal.push('media.status', deviceId, st);
      gb.mediaStatus(deviceId, st, callId);
      return;
    }
    default:
      gb.journal.log(deviceId, 'message.unsupported', 'info', `Notify ${m.cmdType} ignored`);
  }
}

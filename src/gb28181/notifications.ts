import type { ManscdpMessage } from '../lib/manscdp/index.js';
import type { GbDeps } from './context.js';
import type { DeviceJournal } from './device-journal.js';

/** What notify handling needs from the GB service (kept narrow to avoid an import cycle). */
export interface NotifySink {
  journal: DeviceJournal;
  answerNotify(deviceId: string, m: ManscdpMessage): Promise<void>;
  applyCatalogNotify(deviceId: string, m: ManscdpMessage): Promise<void>;
}

function text(o: unknown, ...path: string[]): string | undefined {
  let cur: unknown = o;
  for (const p of path) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return typeof cur === 'string' && cur.trim() ? cur.trim() : typeof cur === 'number' ? String(cur) : undefined;
}

function number(o: unknown, ...path: string[]): number | null {
  const t = text(o, ...path);
  const n = t === undefined ? NaN : Number(t);
  return Number.isFinite(n) ? n : null;
}

/** GB/T 28181-2016 Appendix A.2.6 alarm methods. */
const ALARM_METHOD: Record<string, string> = { '1': 'telephone', '2': 'device', '3': 'sms', '4': 'gps', '5': 'video', '6': 'device_fault', '7': 'other' };

/** Notify bodies from devices (MESSAGE or NOTIFY): keepalive, alarm, mobile position, catalog changes, media status. */
export async function handleNotifyBody(deps: GbDeps, gb: NotifySink, deviceId: string, m: ManscdpMessage): Promise<void> {
  const now = deps.clock.now().toISOString();
  switch (m.cmdType.toLowerCase()) {
    case 'keepalive':
      return;
    case 'alarm': {
      // §9.4: the alarm source is the DeviceID in the body (a channel or alarm input), the sender is the device.
      const source = m.deviceId || deviceId;
      const methodCode = text(m.body, 'AlarmMethod') ?? '';
      const org = await deps.store.gb.channelOrg(source);
      const entry = {
        at: now,
        deviceId,
        channelId: source !== deviceId ? source : null,
        alarmType: `gb_${ALARM_METHOD[methodCode] ?? 'other'}${text(m.body, 'Info', 'AlarmType') ? `_${text(m.body, 'Info', 'AlarmType')}` : ''}`,
        priority: number(m.body, 'AlarmPriority'),
        method: methodCode || null,
        description: [text(m.body, 'AlarmDescription'), text(m.body, 'AlarmTime') && `device time ${text(m.body, 'AlarmTime')}`].filter(Boolean).join('; ') || null,
        longitude: number(m.body, 'Longitude'),
        latitude: number(m.body, 'Latitude'),
      };
      await deps.store.logs.appendAlarm(entry);
      gb.journal.push('alarm', deviceId, entry, org ? { id: source, orgId: org.orgId } : undefined);
      await gb.answerNotify(deviceId, m);
      return;
    }
    case 'mobileposition': {
      const lon = number(m.body, 'Longitude');
      const lat = number(m.body, 'Latitude');
      if (lon === null || lat === null) return;
      await deps.store.gb.setPosition(m.deviceId || deviceId, { longitude: lon, latitude: lat, at: now, speed: text(m.body, 'Speed') ?? null, direction: text(m.body, 'Direction') ?? null });
      const org = await deps.store.gb.channelOrg(m.deviceId || deviceId);
      gb.journal.push('channel.position', deviceId, { id: m.deviceId || deviceId, longitude: lon, latitude: lat }, org ? { id: m.deviceId, orgId: org.orgId } : undefined);
      return;
    }
    case 'catalog':
      return gb.applyCatalogNotify(deviceId, m);
    case 'mediastatus':
      // §9.7.3: NotifyType 121 = end of a playback/download; the media layer listens for it.
      gb.journal.push('media.status', deviceId, { id: m.deviceId, notifyType: text(m.body, 'NotifyType') });
      return;
    default:
      gb.journal.log(deviceId, 'message.unsupported', 'info', `Notify ${m.cmdType} ignored`);
  }
}

import {
  buildAlarmNotify,
  buildCatalogNotify,
  buildCatalogResponses,
  buildConfigDownloadResponse,
  buildControlResponse,
  buildDeviceInfoResponse,
  buildDeviceStatusResponse,
  buildKeepalive,
  buildMobilePositionNotify,
  buildPresetResponse,
  buildRecordInfoResponses,
  buildResultResponse,
  decodeManscdp,
  parseDeviceControl,
  parseRecordInfoQuery,
  type CatalogItemInput,
  type ManscdpMessage,
  type RecordItemInput,
  type XmlObject,
} from '../lib/manscdp/index.js';
import { decodePtz } from '../lib/ptz/index.js';
import type { IdPlan } from './ids.js';
import type { Vendor } from './options.js';

export type SubscriptionKind = 'Catalog' | 'Alarm' | 'MobilePosition';

/** An alarm to raise (GB/T 28181-2016 §A.2.5.2); defaults: priority 1, method 5 (video), type 2 (motion). */
export interface AlarmSpec {
  priority?: number;
  method?: number;
  type?: number;
  description?: string;
}

/** What a device does with a MESSAGE: SIP status now, then MANSCDP bodies sent as MESSAGEs of their own. */
export interface MessageAnswer {
  status: number;
  reason?: string;
  kind: 'query' | 'control' | 'notify' | 'response' | 'other';
  after: Buffer[];
  /** TeleBoot: the device drops off and registers again. */
  reboot?: boolean;
}

export interface SubscribeAnswer {
  status: number;
  reason?: string;
  kind?: SubscriptionKind;
  sn: number;
  deviceId: string;
  /** MobilePosition: seconds between NOTIFYs. */
  intervalS?: number;
}

/** The device as the MANSCDP layer sees it. */
export interface DeviceView {
  readonly id: string;
  readonly index: number;
}

/** The simulator's MANSCDP side (bodies built and read by src/lib/manscdp). */
export interface ManscdpAnswers {
  keepalive(dev: DeviceView, sn: number): Buffer;
  message(dev: DeviceView, body: Buffer): MessageAnswer;
  subscribe(dev: DeviceView, body: Buffer, event: string): SubscribeAnswer;
  catalogNotify(dev: DeviceView, sn: number): Buffer[];
  mobilePosition(dev: DeviceView, sn: number, channel: number): Buffer;
  alarm(dev: DeviceView, sn: number, channelId: string, alarm: AlarmSpec): Buffer;
}

export interface AnswersConfig {
  plan: IdPlan;
  vendor: Vendor;
  timeZone: string;
  catalogPerMessage: number;
  recordsPerMessage: number;
  recordDays: number;
  domain: string;
}

const VENDOR_INFO: Record<Vendor, { manufacturer: string; zh: string; ipc: string; nvr: string; firmware: string }> = {
  hikvision: { manufacturer: 'Hikvision', zh: '海康威视', ipc: 'DS-2CD3T47WDV3-L', nvr: 'DS-7932N-R4', firmware: 'V5.7.15 build 230613' },
  dahua: { manufacturer: 'Dahua', zh: '大华', ipc: 'DH-IPC-HFW2433M-I1', nvr: 'DH-NVR5432-16P-I', firmware: '2.840.0000000.18.R' },
  uniview: { manufacturer: 'UNIVIEW', zh: '宇视', ipc: 'IPC2124LB-SF40KM-G', nvr: 'NVR302-32E-B', firmware: 'IPC_G6103-B0028P61D2203' },
};

const ROADS = ['湖滨南路', '厦禾路', '嘉禾路', '莲前东路', '仙岳路', '环岛南路', '鹭江道', '思明南路', '禾祥西路', '金尚路'];
const DIRS = ['东向西', '西向东', '南向北', '北向南'];
const HOUR = 3_600_000;

/** Deterministic 32-bit mix of two integers (stable fake data across runs). */
function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

/** `2026-11-24T09:40:00` of a "local epoch" (UTC ms shifted by the zone offset). */
function fmtLocal(localMs: number): string {
  return new Date(localMs).toISOString().slice(0, 19);
}

/** Local `YYYY-MM-DDTHH:mm:ss` (or with a space) → local epoch ms, or NaN. */
function parseLocal(s: string | null): number {
  const m = s && /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})/.exec(s.trim());
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

interface DeviceState {
  guard: boolean;
  recording: boolean;
  alarming: Set<string>;
  presets: Map<number, Map<number, string>>;
}

/** Builds the MANSCDP behaviour of every device of one simulator. */
export function createAnswers(cfg: AnswersConfig): ManscdpAnswers {
  const { plan } = cfg;
  const v = VENDOR_INFO[cfg.vendor];
  const nvr = plan.channelsPerDevice > 1;
  const zone = new Intl.DateTimeFormat('en-US', { timeZone: cfg.timeZone, timeZoneName: 'longOffset' });
  const states = new Map<number, DeviceState>();

  /** Zone offset in ms at `ms` (GMT+08:00 → 8 h). */
  const offsetAt = (ms: number): number => {
    const name = zone.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
    return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) * 60_000 : 0;
  };
  const nowLocal = () => {
    const now = Date.now();
    return now + offsetAt(now);
  };
  const state = (index: number): DeviceState => {
    let s = states.get(index);
    if (!s) {
      s = { guard: false, recording: true, alarming: new Set(), presets: new Map() };
      states.set(index, s);
    }
    return s;
  };

  const serialOf = (id: string) => Number(id.slice(14));
  /** OSD texts set by DeviceConfig/OSDConfig (GB/T 28181-2022 A.2.1.12): the camera's name from then on */
  const osdNames = new Map<string, string>();
  const channelName = (id: string) => {
    const set = osdNames.get(id);
    if (set) return set;
    const n = serialOf(id);
    const h = mix(n, 7);
    return `${ROADS[h % ROADS.length]}与${ROADS[(h >>> 8) % ROADS.length]}交叉口${DIRS[(h >>> 16) % DIRS.length]}`;
  };
  const position = (id: string, drift = 0) => {
    const h = mix(serialOf(id), 11);
    return {
      longitude: Math.round((118.06 + (h % 14000) / 100000 + drift) * 1e6) / 1e6,
      latitude: Math.round((24.44 + ((h >>> 14) % 12000) / 100000 + drift / 2) * 1e6) / 1e6,
    };
  };
  const deviceName = (dev: DeviceView) => `${v.zh}${nvr ? 'NVR' : 'IPC'}-${dev.id.slice(14)}`;
  const ipOf = (index: number) => `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${(index & 255) || 1}`;

  const catalogItems = (dev: DeviceView): CatalogItemInput[] => {
    const out: CatalogItemInput[] = [];
    for (let j = 0; j < plan.channelsPerDevice; j++) {
      const id = plan.channelId(dev.index, j);
      const h = mix(serialOf(id), 3);
      const ptzType = h % 4 === 0 ? 1 : 3; // every fourth camera a dome
      out.push({
        deviceId: id,
        name: channelName(id),
        manufacturer: v.manufacturer,
        model: v.ipc,
        owner: 'Owner',
        civilCode: id.slice(0, 6),
        address: `${ROADS[h % ROADS.length]}${(h % 300) + 1}号`,
        parental: 0,
        parentId: dev.id,
        safetyWay: 0,
        registerWay: 1,
        secrecy: 0,
        ipAddress: ipOf(dev.index),
        port: 5060,
        status: 'ON',
        ...position(id),
        ptzType,
        streamNumberList: [0, 1],
      });
    }
    return out;
  };

  /** Channel index of an ID on this device (the device's own ID means its first channel for an IPC). */
  const channelOf = (dev: DeviceView, id: string): number => {
    if (id === dev.id) return nvr ? -1 : 0;
    return plan.channelIndexOf(dev.index, id);
  };

  const records = (dev: DeviceView, m: ManscdpMessage): { name: string; items: RecordItemInput[] } => {
    const q = parseRecordInfoQuery(m);
    const j = channelOf(dev, q.deviceId);
    if (j < 0) return { name: '', items: [] };
    const chId = plan.channelId(dev.index, j);
    const name = channelName(chId);
    const now = nowLocal();
    const from = Math.max(parseLocal(q.startTime), now - cfg.recordDays * 24 * HOUR);
    const to = Math.min(parseLocal(q.endTime), now);
    const items: RecordItemInput[] = [];
    if (!(from < to)) return { name, items };
    const type = q.type.toLowerCase();
    const serial = serialOf(chId);
    for (let slot = Math.floor(from / HOUR) * HOUR; slot < to && items.length < 10_000; slot += HOUR) {
      const h = mix(serial, slot / HOUR);
      // a missing hour now and then (disk swap, power cut), but never the hour being recorded now (a camera that is
      // answering is recording; tests expect the newest file to end at "now", and the gap is fixed per hour)
      if (h % 100 < 3 && slot + HOUR <= now) continue;
      const recType = h % 25 === 0 ? 'alarm' : 'time';
      if (type !== 'all' && type !== recType) continue;
      const s = Math.max(slot, from);
      const e = Math.min(slot + HOUR, to);
      items.push({
        deviceId: chId,
        name,
        filePath: `/mnt/hd${(j % 4) + 1}/ch${String(j + 1).padStart(2, '0')}/${fmtLocal(slot).replace(/[-:T]/g, '').slice(0, 10)}.mp4`,
        address: name,
        startTime: fmtLocal(s),
        endTime: fmtLocal(e),
        secrecy: 0,
        type: recType,
        recorderId: dev.id,
        fileSize: Math.round(((e - s) / 1000) * (240_000 + (h % 20_000))),
      });
    }
    return { name, items };
  };

  const presets = (dev: DeviceView, j: number) => {
    const own = state(dev.index).presets.get(j);
    if (own) return [...own.entries()].sort((a, b) => a[0] - b[0]).map(([presetId, presetName]) => ({ presetId, presetName }));
    return [1, 2, 3].map((n) => ({ presetId: n, presetName: `预置点${n}` }));
  };

  const query = (dev: DeviceView, m: ManscdpMessage): Buffer[] => {
    const id = m.deviceId || dev.id;
    switch (m.cmdType.toLowerCase()) {
      case 'catalog':
        return buildCatalogResponses(m.sn, id, id === dev.id ? catalogItems(dev) : [], cfg.catalogPerMessage);
      case 'deviceinfo':
        return [
          buildDeviceInfoResponse(m.sn, id, {
            deviceName: id === dev.id ? deviceName(dev) : channelName(id),
            manufacturer: v.manufacturer,
            model: nvr && id === dev.id ? v.nvr : v.ipc,
            firmware: v.firmware,
            channel: id === dev.id ? plan.channelsPerDevice : 1,
          }),
        ];
      case 'devicestatus': {
        const s = state(dev.index);
        const chans = id === dev.id ? Array.from({ length: plan.channelsPerDevice }, (_, j) => plan.channelId(dev.index, j)) : [id];
        return [
          buildDeviceStatusResponse(m.sn, id, {
            online: true,
            status: 'OK',
            encode: true,
            record: s.recording,
            deviceTime: fmtLocal(nowLocal()),
            alarmStatus: chans.map((c) => ({ deviceId: c, dutyStatus: s.alarming.has(c) ? 'ALARM' : s.guard ? 'ONDUTY' : 'OFFDUTY' })),
          }),
        ];
      }
      case 'recordinfo': {
        const r = records(dev, m);
        return buildRecordInfoResponses(m.sn, id, r.name, r.items, cfg.recordsPerMessage);
      }
      case 'presetquery': {
        const j = channelOf(dev, id);
        return [buildPresetResponse(m.sn, id, j < 0 ? [] : presets(dev, j))];
      }
      case 'configdownload': {
        const types = String((m.body.ConfigType as string | undefined) ?? 'BasicParam').split('/').map((t) => t.trim());
        const configs: Record<string, XmlObject> = {};
        for (const t of types) {
          if (t === 'BasicParam') configs.BasicParam = { Name: deviceName(dev), Expiration: 3600, HeartBeatInterval: 60, HeartBeatCount: 3, PositionCapability: 0 };
          else if (t === 'VideoParamOpt') configs.VideoParamOpt = { DownloadSpeed: '1/2/4/8', Resolution: '5/6' };
        }
        return [buildConfigDownloadResponse(m.sn, id, configs, Object.keys(configs).length ? 'OK' : 'ERROR')];
      }
      case 'mobileposition': {
        const j = Math.max(0, channelOf(dev, id));
        return [mobilePosition(dev, m.sn, j)];
      }
      default:
        return [];
    }
  };

  const control = (dev: DeviceView, m: ManscdpMessage): MessageAnswer => {
    const id = m.deviceId || dev.id;
    if (m.cmdType.toLowerCase() !== 'devicecontrol') {
      // DeviceConfig and the like: accepted; an OSDConfig text line becomes the channel's name (catalog, DeviceInfo)
      const osd = m.cmdType.toLowerCase() === 'deviceconfig' ? (m.body.OSDConfig as { Item?: { Text?: unknown }[] } | undefined) : undefined;
      const text = osd?.Item?.[0]?.Text;
      if (typeof text === 'string' && text.trim()) osdNames.set(id === dev.id && !nvr ? plan.channelId(dev.index, 0) : id, text.trim().slice(0, 32));
      return { status: 200, kind: 'control', after: [buildResultResponse(m.cmdType, m.sn, id, 'OK')] };
    }
    const s = state(dev.index);
    let respond = false;
    let ok = true;
    let reboot = false;
    for (const c of parseDeviceControl(m)) {
      switch (c.type) {
        case 'PTZCmd':
          try {
            const p = decodePtz(c.value);
            const j = channelOf(dev, id);
            if (p.kind === 'preset' && j >= 0) {
              let map = s.presets.get(j);
              if (!map) {
                map = new Map(presets(dev, j).map((x) => [x.presetId, x.presetName]));
                s.presets.set(j, map);
              }
              if (p.action === 'set') map.set(p.index, map.get(p.index) ?? `预置点${p.index}`);
              else if (p.action === 'delete') map.delete(p.index);
            }
          } catch {
            /* a real camera ignores a PTZCmd it cannot read */
          }
          break;
        case 'TeleBoot':
          reboot = true;
          break;
        case 'RecordCmd':
          s.recording = c.value === 'Record';
          respond = true;
          break;
        case 'GuardCmd':
          s.guard = c.value === 'SetGuard';
          respond = true;
          break;
        case 'AlarmCmd':
          if (id === dev.id) s.alarming.clear();
          else s.alarming.delete(id);
          respond = true;
          break;
        case 'HomePosition':
          respond = true;
          break;
        case 'IFameCmd':
        case 'DragZoomIn':
        case 'DragZoomOut':
          break;
        default:
          ok = false;
          respond = true;
      }
    }
    return { status: 200, kind: 'control', reboot, after: respond ? [buildControlResponse(m.sn, id, ok ? 'OK' : 'ERROR')] : [] };
  };

  const mobilePosition = (dev: DeviceView, sn: number, j: number): Buffer => {
    const id = plan.channelId(dev.index, j);
    const t = Date.now();
    const drift = Math.sin(t / 60_000 + dev.index) * 0.001;
    return buildMobilePositionNotify(sn, id, { time: fmtLocal(t + offsetAt(t)), ...position(id, drift), speed: 0, direction: 0, altitude: 10 });
  };

  return {
    keepalive: (dev, sn) => buildKeepalive(sn, dev.id, { status: 'OK' }),

    message(dev, body) {
      let m: ManscdpMessage;
      try {
        m = decodeManscdp(body);
      } catch {
        return { status: 400, reason: 'Bad Request (MANSCDP body)', kind: 'other', after: [] };
      }
      try {
        switch (m.root) {
          case 'Query':
            return { status: 200, kind: 'query', after: query(dev, m) };
          case 'Control':
            return control(dev, m);
          case 'Notify':
            return { status: 200, kind: 'notify', after: [] };
          case 'Response':
            return { status: 200, kind: 'response', after: [] };
        }
      } catch {
        return { status: 400, reason: 'Bad Request (MANSCDP content)', kind: 'other', after: [] };
      }
      return { status: 200, kind: 'other', after: [] };
    },

    subscribe(dev, body, event) {
      let m: ManscdpMessage | undefined;
      try {
        m = body.length ? decodeManscdp(body) : undefined;
      } catch {
        return { status: 400, reason: 'Bad Request (MANSCDP body)', sn: 0, deviceId: dev.id };
      }
      const what = (m?.cmdType ?? event.split(';')[0]).trim().toLowerCase();
      const sn = m?.sn ?? 0;
      const deviceId = m?.deviceId || dev.id;
      if (what === 'catalog') return { status: 200, kind: 'Catalog', sn, deviceId };
      if (what === 'alarm') return { status: 200, kind: 'Alarm', sn, deviceId };
      if (what === 'mobileposition') {
        const iv = Number(String(m?.body.Interval ?? '5').trim());
        return { status: 200, kind: 'MobilePosition', sn, deviceId, intervalS: Number.isFinite(iv) && iv >= 1 ? Math.min(iv, 3600) : 5 };
      }
      return { status: 489, reason: 'Bad Event', sn, deviceId };
    },

    catalogNotify(dev, sn) {
      const items = catalogItems(dev);
      const out: Buffer[] = [];
      for (let i = 0; i < items.length; i += cfg.catalogPerMessage) out.push(buildCatalogNotify(sn, dev.id, 'ADD', items.slice(i, i + cfg.catalogPerMessage)));
      return out;
    },

    mobilePosition,

    alarm(dev, sn, channelId, a) {
      state(dev.index).alarming.add(channelId);
      const t = Date.now();
      return buildAlarmNotify(sn, channelId, {
        alarmPriority: a.priority ?? 1,
        alarmMethod: a.method ?? 5,
        alarmTime: fmtLocal(t + offsetAt(t)),
        alarmDescription: a.description ?? '移动侦测报警',
        ...position(channelId),
        alarmType: a.type ?? 2,
      });
    },
  };
}

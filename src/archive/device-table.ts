import { parseGbId } from '../core/gbid.js';
import type { Cell, Table } from '../lib/table/spreadsheet.js';
import { CAPABILITY_KEYS, CAPABILITY_ZH, SITE_CATEGORIES, SITE_CATEGORY_ZH, type Capabilities, type SiteCategory } from '../store/repos/archive-fields.js';
import type { Device, DeviceInput } from '../store/repos/devices.js';

/** One column of the archive sheet: Chinese header (what operators read), English key (also accepted on import). */
interface Column {
  key: string;
  zh: string;
  get: (d: Device) => Cell;
  /** absent: export-only column */
  set?: (v: string, out: DeviceInput) => string | undefined;
}

const text = (k: keyof DeviceInput, max = 200) => (v: string, out: DeviceInput) => {
  if (v.length > max) return `longer than ${max} characters`;
  (out as Record<string, unknown>)[k] = v;
  return undefined;
};
const number = (k: 'longitude' | 'latitude' | 'port', min: number, max: number, integer = false) => (v: string, out: DeviceInput) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) return `expected ${integer ? 'an integer' : 'a number'} in ${min}..${max}, got "${v}"`;
  out[k] = n;
  return undefined;
};
const YES = /^(是|有|y|yes|true|1|√)$/i;
const NO = /^(否|无|n|no|false|0|×)$/i;

const CATEGORY_BY_ZH = new Map<string, SiteCategory>(SITE_CATEGORIES.map((c) => [SITE_CATEGORY_ZH[c], c]));

export const DEVICE_COLUMNS: Column[] = [
  { key: 'id', zh: '设备编码', get: (d) => d.id },
  { key: 'name', zh: '设备名称', get: (d) => d.name, set: text('name', 100) },
  { key: 'typeName', zh: '设备类型', get: (d) => d.typeName },
  { key: 'manufacturer', zh: '厂商', get: (d) => d.manufacturer, set: text('manufacturer') },
  { key: 'model', zh: '型号', get: (d) => d.model, set: text('model') },
  { key: 'firmware', zh: '固件版本', get: (d) => d.firmware, set: text('firmware') },
  {
    key: 'ip',
    zh: 'IP地址',
    get: (d) => d.ip,
    set: (v, o) => {
      if (!/^[0-9a-fA-F:.]{3,45}$/.test(v)) return `not an IP address: "${v}"`;
      o.ip = v;
      return undefined;
    },
  },
  { key: 'port', zh: '端口', get: (d) => d.port, set: number('port', 1, 65535, true) },
  {
    key: 'transport',
    zh: '传输协议',
    get: (d) => d.transport.toUpperCase(),
    set: (v, o) => {
      const t = v.toLowerCase();
      if (t !== 'udp' && t !== 'tcp') return `expected UDP or TCP, got "${v}"`;
      o.transport = t;
      return undefined;
    },
  },
  { key: 'online', zh: '在线状态', get: (d) => (d.online ? '在线' : '离线') },
  { key: 'channelCount', zh: '通道数', get: (d) => d.channelCount },
  { key: 'installAddress', zh: '安装地址', get: (d) => d.installAddress, set: text('installAddress') },
  { key: 'longitude', zh: '经度', get: (d) => d.longitude, set: number('longitude', -180, 180) },
  { key: 'latitude', zh: '纬度', get: (d) => d.latitude, set: number('latitude', -90, 90) },
  { key: 'orgId', zh: '所属组织编码', get: (d) => d.orgId, set: text('orgId', 20) },
  {
    key: 'siteCategory',
    zh: '场所类别',
    get: (d) => (d.siteCategory ? (SITE_CATEGORY_ZH[d.siteCategory as SiteCategory] ?? d.siteCategory) : null),
    set: (v, o) => {
      const c = CATEGORY_BY_ZH.get(v) ?? (SITE_CATEGORIES as readonly string[]).find((x) => x === v.toLowerCase());
      if (!c) return `unknown site category "${v}" (one of ${SITE_CATEGORIES.map((x) => SITE_CATEGORY_ZH[x]).join('、')})`;
      o.siteCategory = c;
      return undefined;
    },
  },
  { key: 'ownerUnit', zh: '产权单位', get: (d) => d.ownerUnit, set: text('ownerUnit') },
  { key: 'contactPerson', zh: '联系人', get: (d) => d.contactPerson, set: text('contactPerson', 50) },
  { key: 'contactPhone', zh: '联系电话', get: (d) => d.contactPhone, set: text('contactPhone', 50) },
  {
    key: 'installDate',
    zh: '安装日期',
    get: (d) => d.installDate,
    set: (v, o) => {
      const m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(v);
      const iso = m ? `${m[1]}-${m[2].padStart(2, '0')}-${m[3].padStart(2, '0')}` : '';
      if (!m || Number.isNaN(Date.parse(iso))) return `expected a date like 2026-01-31, got "${v}"`;
      o.installDate = iso;
      return undefined;
    },
  },
  ...CAPABILITY_KEYS.map(
    (k): Column => ({
      key: k,
      zh: CAPABILITY_ZH[k],
      get: (d) => (d.capabilities[k] ? '是' : '否'),
      set: (v, o) => {
        if (!YES.test(v) && !NO.test(v)) return `expected 是 or 否, got "${v}"`;
        o.capabilities = { ...(o.capabilities ?? {}), [k]: YES.test(v) } as Partial<Capabilities>;
        return undefined;
      },
    }),
  ),
  { key: 'remark', zh: '备注', get: (d) => d.remark, set: text('remark', 500) },
];

export function devicesToTable(devices: Device[]): Table {
  return { headers: DEVICE_COLUMNS.map((c) => c.zh), rows: devices.map((d) => DEVICE_COLUMNS.map((c) => c.get(d))) };
}

export interface RowError {
  row: number;
  column: string;
  message: string;
}
export interface ParsedRow {
  row: number;
  id: string;
  input: DeviceInput;
}

/**
 * Sheet → device inputs, every bad cell reported with its row (1 = header, as the operator sees it in Excel)
 * and column. Read-only columns (type, state, channel count) are ignored.
 */
export function tableToDevices(t: Table): { rows: ParsedRow[]; errors: RowError[] } {
  const errors: RowError[] = [];
  const index = new Map<string, Column>();
  for (const c of DEVICE_COLUMNS) {
    index.set(c.zh, c);
    index.set(c.key.toLowerCase(), c);
  }
  const cols = t.headers.map((h) => index.get(h) ?? index.get(h.toLowerCase()));
  if (!cols.some((c) => c?.key === 'id')) {
    return { rows: [], errors: [{ row: 1, column: '设备编码', message: 'header row must contain a 设备编码 (id) column' }] };
  }
  t.headers.forEach((h, i) => {
    if (!cols[i] && h) errors.push({ row: 1, column: h, message: `unknown column "${h}"` });
  });
  const rows: ParsedRow[] = [];
  const seen = new Map<string, number>();
  t.rows.forEach((cells, r) => {
    const rowNo = r + 2;
    if (cells.every((c) => c === null || String(c).trim() === '')) return;
    const input: DeviceInput = {};
    let id = '';
    cols.forEach((c, i) => {
      if (!c) return;
      const raw = cells[i];
      const v = raw === null || raw === undefined ? '' : String(raw).trim();
      if (c.key === 'id') {
        id = v;
        if (!parseGbId(v)) errors.push({ row: rowNo, column: c.zh, message: `"${v}" is not a 20-digit GB/T 28181 code` });
        return;
      }
      if (!c.set || v === '') return;
      const err = c.set(v, input);
      if (err) errors.push({ row: rowNo, column: c.zh, message: err });
    });
    if (id) {
      const first = seen.get(id);
      if (first !== undefined) errors.push({ row: rowNo, column: '设备编码', message: `duplicate of row ${first}` });
      else seen.set(id, rowNo);
    }
    rows.push({ row: rowNo, id, input });
  });
  if (!rows.length && !errors.length) errors.push({ row: 2, column: '', message: 'the sheet has no data rows' });
  return { rows, errors };
}

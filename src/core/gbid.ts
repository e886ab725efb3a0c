/**
 * GB/T 28181-2016 Appendix D: 20-digit codes = centre code (8: province 2, city 2, district 2, grass-roots unit 2)
 * + industry (2) + type (3) + network (1) + serial (6).
 */
export const GB_TYPES: Readonly<Record<string, { zh: string; en: string; kind: 'device' | 'peripheral' | 'platform' | 'org' | 'user' }>> = {
  '111': { zh: 'DVR', en: 'DVR', kind: 'device' },
  '112': { zh: '视频服务器', en: 'Video server', kind: 'device' },
  '113': { zh: '编码器', en: 'Encoder', kind: 'device' },
  '114': { zh: '解码器', en: 'Decoder', kind: 'device' },
  '115': { zh: '视频切换矩阵', en: 'Video matrix', kind: 'device' },
  '116': { zh: '音频切换矩阵', en: 'Audio matrix', kind: 'device' },
  '117': { zh: '报警控制器', en: 'Alarm controller', kind: 'device' },
  '118': { zh: '网络视频录像机(NVR)', en: 'NVR', kind: 'device' },
  '131': { zh: '摄像机', en: 'Camera', kind: 'peripheral' },
  '132': { zh: '网络摄像机(IPC)', en: 'IP camera', kind: 'peripheral' },
  '133': { zh: '显示器', en: 'Display', kind: 'peripheral' },
  '134': { zh: '报警输入设备', en: 'Alarm input', kind: 'peripheral' },
  '135': { zh: '报警输出设备', en: 'Alarm output', kind: 'peripheral' },
  '136': { zh: '语音输入设备', en: 'Audio input', kind: 'peripheral' },
  '137': { zh: '语音输出设备', en: 'Audio output', kind: 'peripheral' },
  '138': { zh: '移动传输设备', en: 'Mobile transmission device', kind: 'peripheral' },
  '139': { zh: '其他外围设备', en: 'Other peripheral', kind: 'peripheral' },
  '200': { zh: '中心信令控制服务器', en: 'Central SIP server', kind: 'platform' },
  '215': { zh: '业务分组', en: 'Business group', kind: 'org' },
  '216': { zh: '虚拟组织', en: 'Virtual organisation', kind: 'org' },
  '300': { zh: '中心用户', en: 'Central user', kind: 'user' },
  '400': { zh: '终端用户', en: 'End user', kind: 'user' },
};

export interface GbId {
  id: string;
  centre: string;
  industry: string;
  typeCode: string;
  network: string;
  serial: string;
  /** Known type from the table; unknown types (119–130 extensions, vendor codes) are accepted with known=false. */
  known: boolean;
}

const GB_ID_RE = /^\d{20}$/;

export function isGbId(s: unknown): s is string {
  return typeof s === 'string' && GB_ID_RE.test(s);
}

export function parseGbId(id: string): GbId | null {
  if (!isGbId(id)) return null;
  const typeCode = id.slice(10, 13);
  const n = Number(typeCode);
  const known = typeCode in GB_TYPES || (n >= 201 && n <= 211) || (n >= 119 && n <= 130) || (n >= 140 && n <= 199);
  return {
    id,
    centre: id.slice(0, 8),
    industry: id.slice(8, 10),
    typeCode,
    network: id.slice(13, 14),
    serial: id.slice(14),
    known,
  };
}

export function gbTypeName(typeCode: string, lang: 'zh' | 'en' = 'zh'): string {
  const t = GB_TYPES[typeCode];
  if (t) return t[lang];
  const n = Number(typeCode);
  if (n >= 201 && n <= 211) return lang === 'zh' ? '平台服务器' : 'Platform server';
  if (n >= 119 && n <= 130) return lang === 'zh' ? '扩展设备' : 'Extension device';
  return lang === 'zh' ? '未知类型' : 'Unknown type';
}

/** Administrative (civil) code prefixes: 2 (province), 4 (city), 6 (district), 8 (grass-roots unit) digits. */
export function isCivilCode(s: string): boolean {
  return /^\d{2}(\d{2}){0,3}$/.test(s);
}

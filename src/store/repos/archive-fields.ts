/** Archive (一机一档) values shared by devices and channels (R7). */
export const SITE_CATEGORIES = [
  'shop',
  'residential',
  'parking',
  'hotel',
  'entertainment',
  'scenic',
  'enterprise',
  'school',
  'hospital',
  'other',
] as const;
export type SiteCategory = (typeof SITE_CATEGORIES)[number];

export const SITE_CATEGORY_ZH: Record<SiteCategory, string> = {
  shop: '沿街商铺',
  residential: '住宅小区',
  parking: '停车场',
  hotel: '宾馆酒店',
  entertainment: '娱乐场所',
  scenic: '旅游景区',
  enterprise: '企事业单位',
  school: '学校',
  hospital: '医院',
  other: '其他',
};

export interface Capabilities {
  ir: boolean;
  lowLight: boolean;
  wdr: boolean;
  gps: boolean;
  ptz: boolean;
  faceCapture: boolean;
}

export const CAPABILITY_KEYS: (keyof Capabilities)[] = ['ir', 'lowLight', 'wdr', 'gps', 'ptz', 'faceCapture'];

export const CAPABILITY_ZH: Record<keyof Capabilities, string> = {
  ir: '红外',
  lowLight: '低照度',
  wdr: '宽动态/强光抑制',
  gps: 'GPS/北斗',
  ptz: '云台',
  faceCapture: '人脸抓拍',
};

export function normaliseCapabilities(v: Partial<Capabilities> | null | undefined): Capabilities {
  const out = {} as Capabilities;
  for (const k of CAPABILITY_KEYS) out[k] = Boolean(v?.[k]);
  return out;
}

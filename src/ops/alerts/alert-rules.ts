import { AppError } from '../../core/errors.js';

/**
 * Alert rule kinds (issue 14 §4, R17) and what their threshold means. Validated here once, at save: a rule with a
 * value outside its kind's range is refused with ALERT_RULE_INVALID and never reaches the evaluator.
 */
export const ALERT_KINDS = {
  /** a device has been offline longer than `threshold` minutes */
  device_offline: { unit: 'minutes', min: 1, max: 10_080, zh: '设备离线', en: 'Device offline' },
  /** availability (完好率 = video_ms / observed_ms of today, platform or org) below `threshold` percent */
  availability_below: { unit: 'percent', min: 1, max: 100, zh: '完好率低于目标', en: 'Availability below target' },
  /** a recording root has fewer than `threshold` days of headroom at the last day's write rate */
  storage_headroom: { unit: 'days', min: 0.1, max: 3650, zh: '存储余量不足', en: 'Storage headroom low' },
  /** a channel with an `always` record plan has written nothing for more than `threshold` seconds */
  recording_gap: { unit: 'seconds', min: 30, max: 86_400, zh: '录像中断', en: 'Recording gap' },
  /** a media node stopped reporting (no threshold: 0) */
  media_node_down: { unit: 'none', min: 0, max: 0, zh: '媒体节点离线', en: 'Media node down' },
  /** an enabled upper platform is not registered (no threshold: 0) */
  upper_platform_unregistered: { unit: 'none', min: 0, max: 0, zh: '上级平台未注册', en: 'Upper platform unregistered' },
  /** the oldest image waiting for the bureau is older than `threshold` seconds */
  image_forward_lag: { unit: 'seconds', min: 10, max: 604_800, zh: '图片转发滞后', en: 'Image forwarding lag' },
} as const;

export type AlertKind = keyof typeof ALERT_KINDS;
export const ALERT_KIND_NAMES = Object.keys(ALERT_KINDS) as AlertKind[];
/** kinds whose subjects belong to an org (device, channel, availability); the others are platform-wide */
export const ORG_SCOPED_KINDS: readonly AlertKind[] = ['device_offline', 'availability_below', 'recording_gap'];

export interface AlertRuleInput {
  name: string;
  kind: string;
  threshold?: number;
  forMinutes?: number;
  enabled?: boolean;
  orgId?: string | null;
  webhooks?: string[];
}

export interface AlertRule {
  id: string;
  name: string;
  kind: AlertKind;
  threshold: number;
  forMinutes: number;
  enabled: boolean;
  orgId: string | null;
  webhooks: string[];
  createdAt: string;
  updatedAt: string;
  updatedBy: string | null;
}

export const MAX_WEBHOOKS = 5;
export const MAX_FOR_MINUTES = 1440;

function invalid(field: string, why: string): never {
  throw new AppError('ALERT_RULE_INVALID', `${field}: ${why} (告警规则无效)`, { field });
}

/** Checks a rule as saved (create or full update) and returns it normalised. */
export function validateRule(i: AlertRuleInput): Omit<AlertRule, 'id' | 'createdAt' | 'updatedAt' | 'updatedBy'> {
  const name = typeof i.name === 'string' ? i.name.trim() : '';
  if (!name || name.length > 100) invalid('name', 'required, at most 100 characters');
  if (!(i.kind in ALERT_KINDS)) invalid('kind', `unknown kind "${i.kind}" (expected ${ALERT_KIND_NAMES.join('|')})`);
  const kind = i.kind as AlertKind;
  const spec = ALERT_KINDS[kind];
  const threshold = i.threshold ?? 0;
  if (typeof threshold !== 'number' || !Number.isFinite(threshold)) invalid('threshold', 'must be a finite number');
  if (spec.unit === 'none') {
    if (threshold !== 0) invalid('threshold', `${kind} takes no threshold (0)`);
  } else if (threshold < spec.min || threshold > spec.max) {
    invalid('threshold', `${kind} needs ${spec.min}–${spec.max} ${spec.unit}, got ${threshold}`);
  }
  const forMinutes = i.forMinutes ?? 0;
  if (!Number.isInteger(forMinutes) || forMinutes < 0 || forMinutes > MAX_FOR_MINUTES) invalid('forMinutes', `an integer 0–${MAX_FOR_MINUTES}, got ${forMinutes}`);
  const orgId = i.orgId ?? null;
  if (orgId !== null && !ORG_SCOPED_KINDS.includes(kind)) invalid('orgId', `${kind} is platform-wide and takes no org`);
  const webhooks = i.webhooks ?? [];
  if (!Array.isArray(webhooks) || webhooks.length > MAX_WEBHOOKS) invalid('webhooks', `at most ${MAX_WEBHOOKS} URLs`);
  for (const w of webhooks) {
    let u: URL;
    try {
      u = new URL(w);
    } catch {
      invalid('webhooks', `"${w}" is not a URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') invalid('webhooks', `"${w}" must be http(s)`);
    if (w.length > 500) invalid('webhooks', 'URL longer than 500 characters');
  }
  if (new Set(webhooks).size !== webhooks.length) invalid('webhooks', 'duplicate URL');
  return { name, kind, threshold, forMinutes, enabled: i.enabled ?? true, orgId, webhooks };
}

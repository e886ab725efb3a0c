import { sql, type Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { zonedParts } from '../../core/time.js';
import type { MediaNode } from '../../media/node.js';
import type { NodeDirectory } from '../../cluster/node-status.js';
import type { CascadeService } from '../../cascade/cascade-service.js';
import type { ImagesService } from '../../images/images-service.js';
import { expandOrgIds } from '../../store/repos/orgs.js';
import type { Store } from '../../store/index.js';
import type { DB } from '../../store/schema.js';
import type { AlertKind, AlertRule } from './alert-rules.js';

/** One subject for which a rule's condition holds right now. */
export interface Violation {
  /** unique within the rule: device ID, channel ID, storage root, node ID, upper ID, target ID, `platform`/org ID */
  subject: string;
  subjectName?: string | null;
  deviceId?: string | null;
  channelId?: string | null;
  value: number;
  message: string;
}

/** What conditions read: services as the platform built them (absent ones simply yield no subjects). */
export interface ConditionSources {
  store: Store;
  clock: Clock;
  tz: string;
  media?: MediaNode;
  nodes?: NodeDirectory;
  cascade?: CascadeService;
  images?: ImagesService;
}

/** at most this many subjects per rule and pass: a mass outage is one storm of alerts, not an unbounded one */
export const MAX_SUBJECTS = 500;
const DAY_MS = 86_400_000;

async function orgIdsOf(s: ConditionSources, orgId: string | null): Promise<string[] | null> {
  if (!orgId) return null;
  return expandOrgIds(await s.store.orgs.all(), [orgId]);
}

/** the local day (SHARPEYE_TZ) of a time, `YYYY-MM-DD` */
export function localDay(d: Date, tz: string): string {
  const p = zonedParts(d, tz);
  return `${p.y}-${p.mo}-${p.da}`;
}

const minutes = (ms: number) => Math.round(ms / 60_000);

type Check = (rule: AlertRule, s: ConditionSources) => Promise<Violation[]>;

/** device_offline: registered once, offline now, last heard longer than `threshold` minutes ago (GB/T 28181 §9.6). */
const deviceOffline: Check = async (rule, s) => {
  const db = s.store.database.db;
  const cutoff = new Date(s.clock.now().getTime() - rule.threshold * 60_000).toISOString();
  const orgs = await orgIdsOf(s, rule.orgId);
  let q = db
    .selectFrom('devices')
    .select(['id', 'name', 'last_keepalive_at', 'registered_at'])
    .where('online', '=', 0)
    .where((eb) => eb.or([eb('last_keepalive_at', 'is not', null), eb('registered_at', 'is not', null)]))
    .where((eb) => eb(eb.fn.coalesce('last_keepalive_at', 'registered_at'), '<', cutoff));
  if (orgs) q = q.where('org_id', 'in', orgs.length ? orgs : ['\u0000']);
  const rows = await q.orderBy('id').limit(MAX_SUBJECTS).execute();
  const now = s.clock.now().getTime();
  return rows.map((r) => {
    const last = r.last_keepalive_at ?? r.registered_at!;
    const offMin = minutes(now - Date.parse(last));
    return { subject: r.id, subjectName: r.name, deviceId: r.id, value: offMin, message: `设备 ${r.name} (${r.id}) 离线 ${offMin} 分钟, 最后心跳 ${last} (device offline ${offMin} min)` };
  });
};

/** availability_below: today's 完好率 (video_ms / observed_ms over every channel, or the rule's org) under the target. */
const availabilityBelow: Check = async (rule, s) => {
  const db = s.store.database.db as unknown as Kysely<any>;
  const day = localDay(s.clock.now(), s.tz);
  const orgs = await orgIdsOf(s, rule.orgId);
  let q = db.selectFrom('channel_availability').select([sql<string>`sum(video_ms)`.as('video'), sql<string>`sum(observed_ms)`.as('observed'), sql<string>`count(*)`.as('channels')]).where('day', '=', day);
  if (orgs) q = q.where('org_id', 'in', orgs.length ? orgs : ['\u0000']);
  const r = await q.executeTakeFirst();
  const observed = Number(r?.observed ?? 0);
  if (!observed) return [];
  const pct = (Number(r?.video ?? 0) / observed) * 100;
  if (pct >= rule.threshold) return [];
  const value = Math.round(pct * 100) / 100;
  const scope = rule.orgId ? `组织 ${rule.orgId}` : '全平台';
  return [{ subject: rule.orgId ?? 'platform', subjectName: scope, value, message: `${scope} ${day} 完好率 ${value}% 低于目标 ${rule.threshold}% (${Number(r?.channels ?? 0)} 路通道; availability below target)` }];
};

/** storage_headroom: days of recording left on each root = free bytes / bytes written in the last 24 h. */
const storageHeadroom: Check = async (rule, s) => {
  if (!s.media) return [];
  const out: Violation[] = [];
  const since = Date.now() - DAY_MS; // recordings are stamped by the media node's wall clock
  for (const st of await s.media.storage()) {
    const subject = `${st.nodeId}:${st.path}`;
    if (!st.ok) {
      out.push({ subject, subjectName: st.path, value: 0, message: `录像存储 ${st.path} 不可用: ${st.error ?? '?'} (storage unavailable)` });
      continue;
    }
    const prefix = st.path.endsWith('/') ? st.path : `${st.path}/`;
    const r = await s.store.database.db
      .selectFrom('record_segments')
      .select(sql<string>`coalesce(sum(size), 0)`.as('bytes'))
      .where('node_id', '=', st.nodeId)
      .where('end_ms', '>=', since)
      .where('path', 'like', `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
      .executeTakeFirst();
    const perDay = Number(r?.bytes ?? 0);
    if (perDay <= 0) continue;
    const days = st.freeBytes / perDay;
    if (days >= rule.threshold) continue;
    const value = Math.round(days * 100) / 100;
    out.push({ subject, subjectName: st.path, value, message: `录像存储 ${st.path} 剩余 ${(st.freeBytes / 2 ** 30).toFixed(1)} GiB, 按近 24 小时写入 ${(perDay / 2 ** 30).toFixed(2)} GiB/天 仅够 ${value} 天 (< ${rule.threshold}; storage headroom)` });
  }
  return out;
};

/** recording_gap: channels with an `always` plan whose newest segment ended more than `threshold` seconds ago. */
const recordingGap: Check = async (rule, s) => {
  const db = s.store.database.db;
  const orgs = await orgIdsOf(s, rule.orgId);
  let q = db
    .selectFrom('record_plans as p')
    .innerJoin('channels as c', 'c.id', 'p.channel_id')
    .leftJoin('record_segments as g', 'g.channel_id', 'p.channel_id')
    .select(['p.channel_id', 'p.updated_at', 'c.name', 'c.device_id', sql<string | null>`max(g.end_ms)`.as('last_end')])
    .where('p.mode', '=', 'always')
    .groupBy(['p.channel_id', 'p.updated_at', 'c.name', 'c.device_id']);
  if (orgs) q = q.where('c.org_id', 'in', orgs.length ? orgs : ['\u0000']);
  const rows = await q.orderBy('p.channel_id').execute();
  const now = Date.now(); // segment times are the media node's wall clock
  const out: Violation[] = [];
  for (const r of rows) {
    const lastEnd = r.last_end === null ? null : Number(r.last_end);
    // a plan that has never recorded counts from when it was set
    const from = lastEnd ?? Date.parse(r.updated_at);
    const gapS = Math.round((now - from) / 1000);
    if (gapS <= rule.threshold) continue;
    out.push({
      subject: r.channel_id,
      subjectName: r.name,
      channelId: r.channel_id,
      deviceId: r.device_id,
      value: gapS,
      message: lastEnd === null ? `通道 ${r.name} (${r.channel_id}) 全天录像计划自 ${r.updated_at} 起没有录像 (recording gap ${gapS}s)` : `通道 ${r.name} (${r.channel_id}) 录像中断 ${gapS} 秒, 最后录像结束于 ${new Date(lastEnd).toISOString()} (recording gap)`,
    });
    if (out.length >= MAX_SUBJECTS) break;
  }
  return out;
};

/** media_node_down: nodes the directory marks offline (they stopped reporting). */
const mediaNodeDown: Check = async (_rule, s) => {
  if (!s.nodes) return [];
  return (await s.nodes.list())
    .filter((n) => !n.online && n.role !== 'control')
    .map((n) => ({ subject: n.id, subjectName: n.id, value: 1, message: `媒体节点 ${n.id} 离线, 最后上报 ${n.lastSeen}${n.warning ? ` (${n.warning})` : ''} (media node down)` }));
};

/** upper_platform_unregistered: enabled upper platforms whose registration is not in force. */
const upperUnregistered: Check = async (_rule, s) => {
  if (!s.cascade) return [];
  const out: Violation[] = [];
  for (const u of await s.store.uppers.list()) {
    if (!u.enabled) continue;
    const st = s.cascade.status(u.id);
    if (st?.state === 'registered') continue;
    out.push({ subject: u.id, subjectName: u.name, value: st?.failures ?? 0, message: `上级平台 ${u.name} 未注册: ${st?.state ?? 'unknown'}${st?.error ? `, ${st.error}` : ''} (upper platform unregistered)` });
  }
  return out;
};

/** image_forward_lag: enabled bureau targets whose oldest waiting image is older than `threshold` seconds. */
const imageForwardLag: Check = async (rule, s) => {
  if (!s.images) return [];
  return (await s.images.forwarding.status())
    .filter((t) => t.enabled && t.queue.pending > 0 && t.queue.lagSeconds > rule.threshold)
    .map((t) => ({ subject: t.id, subjectName: t.name, value: t.queue.lagSeconds, message: `图片转发目标 ${t.name} 积压 ${t.queue.pending} 条, 最早 ${t.queue.lagSeconds} 秒未送达 (image forwarding lag)` }));
};

export const CONDITIONS: Record<AlertKind, Check> = {
  device_offline: deviceOffline,
  availability_below: availabilityBelow,
  storage_headroom: storageHeadroom,
  recording_gap: recordingGap,
  media_node_down: mediaNodeDown,
  upper_platform_unregistered: upperUnregistered,
  image_forward_lag: imageForwardLag,
};

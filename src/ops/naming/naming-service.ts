/**
 * Channel naming (issue 14 §3, docs/naming.md): the GA/T 751-2008 check over the channels a user sees, the report
 * with suggested fixes, the bulk fix (suggested or given names, previewable), the rule set, and the OSD push.
 */
import type { DeviceArchive } from '../../archive/device-archive.js';
import { AppError } from '../../core/errors.js';
import { Limiter } from '../../core/limiter.js';
import type { Logger } from '../../core/logger.js';
import type { GbService } from '../../gb28181/service.js';
import type { Table } from '../../lib/table/spreadsheet.js';
import type { ChannelScope } from '../../store/scope.js';
import { checkChannels, NameChecker, RULE_CODES, type NameCheck, type RuleCode, type Violation } from './checker.js';
import { NamingStore, type NamingChannel } from './naming-store.js';
import { OsdPusher, type OsdPushResult } from './osd-push.js';
import { ruleProblems, type NamingRules } from './rules.js';

export interface ReportFilter {
  page?: number;
  pageSize?: number;
  rule?: RuleCode;
  orgId?: string;
  q?: string;
}

export interface ReportItem {
  channelId: string;
  deviceId: string;
  orgId: string | null;
  name: string;
  online: boolean;
  sourceType: string | null;
  violations: Violation[];
  suggestion: string | null;
  lossy: boolean;
}

export interface Report {
  items: ReportItem[];
  total: number;
  page: number;
  pageSize: number;
  summary: { checked: number; violating: number; fixable: number; byRule: Partial<Record<RuleCode, number>>; rules: NamingRules; ms: number };
}

export type FixMode = 'suggested' | 'manual';

export interface FixItem {
  channelId: string;
  from: string;
  to: string | null;
  /** rename: will be / was renamed; unchanged: nothing to do; skipped: no suggestion (a person must name it); invalid: the given name breaks a rule */
  status: 'rename' | 'unchanged' | 'skipped' | 'invalid';
  violations: Violation[];
  osd?: { ok: boolean; code?: string; message?: string };
}

export interface FixResult {
  dryRun: boolean;
  renamed: number;
  items: FixItem[];
}

export interface NamingDeps {
  store: { database: { db: ConstructorParameters<typeof NamingStore>[0] } };
  archive: DeviceArchive;
  gb?: GbService;
  log: Logger;
  /** how long a device has to answer OSDConfig */
  osdTimeoutMs?: number;
}

export class NamingService {
  readonly repo: NamingStore;
  readonly osd: OsdPusher;
  private readonly log: Logger;
  /** OSD pushes of one bulk request: a few at once, so a thousand channels do not flood the devices */
  private readonly osdLimiter = new Limiter(8);

  constructor(private readonly deps: NamingDeps) {
    this.repo = new NamingStore(deps.store.database.db);
    this.log = deps.log.child({ component: 'naming' });
    this.osd = new OsdPusher(deps.gb, this.log, { timeoutMs: deps.osdTimeoutMs ?? 5000, textCorner: 'bottom-right' });
  }

  rules(): Promise<NamingRules> {
    return this.repo.rules();
  }

  async setRules(patch: Partial<NamingRules>): Promise<NamingRules> {
    const next = { ...(await this.repo.rules()), ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as NamingRules;
    const problems = ruleProblems(next);
    if (problems.length) throw new AppError('VALIDATION_FAILED', `Naming rules invalid: ${problems.join('; ')} (命名规则无效)`, problems);
    await this.repo.saveRules(next);
    return next;
  }

  /** Every visible channel checked; the page holds violating channels only (filtered by rule, org, text). */
  async report(scope: ChannelScope, f: ReportFilter = {}): Promise<Report> {
    const { all, summary } = await this.evaluate(scope, f);
    const page = Math.max(1, Math.floor(f.page ?? 1));
    const pageSize = Math.min(1000, Math.max(1, Math.floor(f.pageSize ?? 20)));
    return { items: all.slice((page - 1) * pageSize, page * pageSize), total: all.length, page, pageSize, summary };
  }

  /** The whole report (every violating channel, filters applied) as a table for CSV/XLSX. */
  async reportTable(scope: ChannelScope, f: ReportFilter = {}): Promise<{ table: Table; count: number }> {
    const { all } = await this.evaluate(scope, f);
    const table: Table = {
      headers: ['通道编码', '设备编码', '所属组织', '当前名称', '问题代码', '问题说明', '建议名称', '建议说明'],
      rows: all.map((i) => [i.channelId, i.deviceId, i.orgId, i.name, i.violations.map((v) => v.code).join(' '), i.violations.map((v) => v.message).join('; '), i.suggestion, i.suggestion ? (i.lossy ? '地点已截短，请核对' : '') : '需人工命名']),
    };
    return { table, count: all.length };
  }

  private async evaluate(scope: ChannelScope, f: ReportFilter): Promise<{ all: ReportItem[]; summary: Report['summary'] }> {
    const started = performance.now();
    const rules = await this.repo.rules();
    const channels = await this.repo.channels(scope);
    const checks = checkChannels(channels, rules);
    const byRule: Partial<Record<RuleCode, number>> = {};
    let violating = 0;
    let fixable = 0;
    const all: ReportItem[] = [];
    const q = f.q?.trim().toLowerCase();
    for (const c of channels) {
      const r = checks.get(c.id)!;
      if (!r.violations.length) continue;
      violating++;
      if (r.suggestion) fixable++;
      for (const v of r.violations) byRule[v.code] = (byRule[v.code] ?? 0) + 1;
      if (f.rule && !r.violations.some((v) => v.code === f.rule)) continue;
      if (f.orgId && c.orgId !== f.orgId) continue;
      if (q && !c.name.toLowerCase().includes(q) && !c.id.includes(q)) continue;
      all.push(item(c, r));
    }
    all.sort((a, b) => (a.channelId < b.channelId ? -1 : a.channelId > b.channelId ? 1 : 0));
    return { all, summary: { checked: channels.length, violating, fixable, byRule, rules, ms: Math.round(performance.now() - started) } };
  }

  /**
   * The bulk fix. `suggested`: each channel takes its suggestion (none → skipped). `manual`: `names[i]` for
   * `channelIds[i]`, each checked against every rule and against the other names of its organisation after the
   * change. `dryRun` only plans. Invalid manual names reject the whole request (nothing is written).
   */
  async fix(scope: ChannelScope, req: { channelIds: string[]; mode: FixMode; names?: string[]; dryRun?: boolean }): Promise<FixResult> {
    const ids = req.channelIds;
    if (new Set(ids).size !== ids.length) throw new AppError('VALIDATION_FAILED', 'channelIds holds the same channel twice');
    if (req.mode === 'manual' && (!req.names || req.names.length !== ids.length)) throw new AppError('VALIDATION_FAILED', 'manual mode needs names[i] for every channelIds[i]');
    const rules = await this.repo.rules();
    const channels = await this.repo.channels(scope);
    const byId = new Map(channels.map((c) => [c.id, c]));
    for (const id of ids) if (!byId.has(id)) throw new AppError('NOT_FOUND', `Channel ${id} not found (通道不存在或无权限)`);
    const checker = new NameChecker(rules);
    const checks = checkChannels(channels, rules, checker);
    const items: FixItem[] = ids.map((id, i) => {
      const c = byId.get(id)!;
      const r = checks.get(id)!;
      if (req.mode === 'manual') {
        const to = req.names![i].trim();
        if (to === c.name) return { channelId: id, from: c.name, to, status: 'unchanged', violations: r.violations };
        const v = checker.check(to, c.ptzType, c.id);
        return { channelId: id, from: c.name, to, status: v.length ? 'invalid' : 'rename', violations: v };
      }
      if (!r.violations.length) return { channelId: id, from: c.name, to: c.name, status: 'unchanged', violations: [] };
      if (!r.suggestion) return { channelId: id, from: c.name, to: null, status: 'skipped', violations: r.violations };
      return { channelId: id, from: c.name, to: r.suggestion, status: 'rename', violations: r.violations };
    });
    if (rules.uniqueInOrg) markDuplicates(channels, items);
    const invalid = items.filter((i) => i.status === 'invalid');
    if (invalid.length && !req.dryRun) {
      throw new AppError('VALIDATION_FAILED', `${invalid.length} name(s) break the naming rules; nothing was renamed (名称不符合规则，未做任何修改)`, invalid);
    }
    let renamed = 0;
    if (!req.dryRun) {
      for (const it of items) {
        if (it.status !== 'rename' || !it.to) continue;
        const c = byId.get(it.channelId)!;
        await this.deps.archive.updateChannel(c.id, { name: it.to }, c.orgId);
        renamed++;
      }
      this.log.info({ renamed, mode: req.mode }, 'channel names fixed');
    }
    return { dryRun: !!req.dryRun, renamed, items };
  }

  /** Pushes each channel's current name (or `text` for a single channel) to its camera's OSD. */
  async pushOsd(scope: ChannelScope, channelIds: string[], text?: string): Promise<{ channelId: string; ok: boolean; code?: string; message?: string; ms?: number }[]> {
    if (text !== undefined && channelIds.length !== 1) throw new AppError('VALIDATION_FAILED', 'text can be given for a single channel only');
    const channels = await this.repo.channels(scope);
    const byId = new Map(channels.map((c) => [c.id, c]));
    for (const id of channelIds) if (!byId.has(id)) throw new AppError('NOT_FOUND', `Channel ${id} not found (通道不存在或无权限)`);
    return Promise.all(
      channelIds.map((id) =>
        this.osdLimiter.run(async () => {
          const c = byId.get(id)!;
          try {
            const r: OsdPushResult = await this.osd.push(c, text ?? c.name);
            return { channelId: id, ok: true, ms: r.ms };
          } catch (e) {
            if (!(e instanceof AppError)) throw e;
            return { channelId: id, ok: false, code: e.code, message: e.message };
          }
        }),
      ),
    );
  }
}

function item(c: NamingChannel, r: NameCheck): ReportItem {
  return { channelId: c.id, deviceId: c.deviceId, orgId: c.orgId, name: c.name, online: c.online, sourceType: c.sourceType, violations: r.violations, suggestion: r.suggestion, lossy: r.lossy };
}

/** A planned name equal to another channel's name after the change (same organisation, or same device without one). */
function markDuplicates(channels: NamingChannel[], items: FixItem[]): void {
  const planned = new Map(items.filter((i) => i.status === 'rename' && i.to).map((i) => [i.channelId, i.to!]));
  const count = new Map<string, number>();
  const key = (c: NamingChannel, name: string) => `${c.orgId ? `org:${c.orgId}` : `dev:${c.deviceId}`}\u0000${name}`;
  for (const c of channels) {
    const k = key(c, planned.get(c.id) ?? c.name.trim());
    count.set(k, (count.get(k) ?? 0) + 1);
  }
  const byId = new Map(channels.map((c) => [c.id, c]));
  for (const it of items) {
    if (it.status !== 'rename' || !it.to) continue;
    if ((count.get(key(byId.get(it.channelId)!, it.to)) ?? 0) > 1) {
      it.status = 'invalid';
      it.violations = [...it.violations, { code: 'DUPLICATE', message: `Another channel of this organisation is (or will be) named "${it.to}" (同一组织内名称重复)` }];
    }
  }
}

export { RULE_CODES };

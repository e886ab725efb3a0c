import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { EventBus } from '../../core/events.js';
import type { Logger } from '../../core/logger.js';
import type { Store } from '../../store/index.js';
import type { FaultTickets } from '../tickets/fault-tickets.js';
import { AlertRepo, type Alert } from './alert-repo.js';
import { ALERT_KINDS, ORG_SCOPED_KINDS, validateRule, type AlertRule, type AlertRuleInput } from './alert-rules.js';
import { CONDITIONS, type ConditionSources, type Violation } from './conditions.js';
import { WebhookSender, type WebhookSettings } from './webhooks.js';

export interface AlertEngineSettings {
  /** evaluation period (issue 14: every 15–30 s) */
  intervalMs: number;
  webhook?: Partial<WebhookSettings>;
}

export const DEFAULT_ALERT_SETTINGS: AlertEngineSettings = { intervalMs: 20_000 };

export interface RuleStatus {
  ruleId: string;
  at: string;
  /** subjects for which the condition held at the last pass */
  holding: number;
  error?: string;
}

/**
 * The alert evaluator (issue 14 §4, R17). Every `intervalMs` each enabled rule's condition is read from the services
 * (`conditions.ts`); a subject for which it holds becomes a `pending` alert, `firing` once it has held `forMinutes`
 * (on the injected clock), and `cleared` when it stops holding. Each fire and clear is written to the alarm log (the
 * alarm feed pushes it to consoles), pushed on the bus as `alert.fired` / `alert.cleared`, and POSTed to the rule's
 * webhooks (retried with back-off, off the loop); a firing alert opens a fault ticket, its clearing recovers it.
 * Alert state is in the database, so a restart neither loses nor repeats a fired alert.
 */
export class AlertEngine {
  readonly repo: AlertRepo;
  readonly webhooks: WebhookSender;
  readonly settings: AlertEngineSettings;
  private readonly status = new Map<string, RuleStatus>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly d: { store: Store; bus: EventBus; clock: Clock; log: Logger; sources: ConditionSources; tickets: FaultTickets; settings?: Partial<AlertEngineSettings> },
  ) {
    this.settings = { ...DEFAULT_ALERT_SETTINGS, ...d.settings };
    this.repo = new AlertRepo(d.store.database.db);
    this.webhooks = new WebhookSender(d.log.child({ part: 'webhook' }), this.settings.webhook);
  }

  start(): void {
    this.timer = setInterval(() => void this.evaluate().catch((e) => this.d.log.error({ err: e }, 'alert evaluation failed')), this.settings.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
    this.webhooks.stop();
  }

  // rules -------------------------------------------------------------------------------------------------------------

  private async checked(i: AlertRuleInput) {
    const v = validateRule(i);
    if (v.orgId && !(await this.d.store.orgs.get(v.orgId))) throw new AppError('ALERT_RULE_INVALID', `orgId: no organisation "${v.orgId}" (组织不存在)`, { field: 'orgId' });
    return v;
  }

  async createRule(i: AlertRuleInput, by: string | null): Promise<AlertRule> {
    const v = await this.checked(i);
    const at = this.d.clock.now().toISOString();
    const rule: AlertRule = { id: randomUUID(), ...v, createdAt: at, updatedAt: at, updatedBy: by };
    await this.repo.insertRule(rule);
    return rule;
  }

  async updateRule(id: string, i: Partial<AlertRuleInput>, by: string | null): Promise<AlertRule> {
    const cur = await this.rule(id);
    const v = await this.checked({ name: cur.name, kind: cur.kind, threshold: cur.threshold, forMinutes: cur.forMinutes, enabled: cur.enabled, orgId: cur.orgId, webhooks: cur.webhooks, ...i });
    const rule: AlertRule = { ...cur, ...v, updatedAt: this.d.clock.now().toISOString(), updatedBy: by };
    await this.repo.updateRule(rule);
    return rule;
  }

  async deleteRule(id: string): Promise<void> {
    const rule = await this.rule(id);
    // firing alerts of a deleted rule are cleared (their tickets recovered), so nothing stays open forever
    for (const a of (await this.repo.open()).filter((x) => x.ruleId === id && x.state === 'firing')) await this.clear(a, rule, 'rule deleted (规则已删除)');
    await this.repo.deleteRule(id);
  }

  async rule(id: string): Promise<AlertRule> {
    const r = await this.repo.rule(id);
    if (!r) throw new AppError('NOT_FOUND', `alert rule ${id} not found (告警规则不存在)`);
    return r;
  }

  async rules(): Promise<Array<AlertRule & { status?: RuleStatus }>> {
    return (await this.repo.rules()).map((r) => ({ ...r, status: this.status.get(r.id) }));
  }

  // evaluation --------------------------------------------------------------------------------------------------------

  /** One pass over every rule; concurrent calls share the pass in progress. */
  evaluate(): Promise<void> {
    if (!this.running) this.running = this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    const rules = await this.repo.rules();
    const open = await this.repo.open();
    const byRule = new Map<string, Alert[]>();
    for (const a of open) byRule.set(a.ruleId, [...(byRule.get(a.ruleId) ?? []), a]);
    for (const rule of rules) {
      const mine = byRule.get(rule.id) ?? [];
      byRule.delete(rule.id);
      if (!rule.enabled) {
        for (const a of mine) await this.end(a, rule, 'rule disabled (规则已停用)');
        this.status.delete(rule.id);
        continue;
      }
      let holding: Violation[];
      try {
        holding = await CONDITIONS[rule.kind](rule, this.d.sources);
      } catch (e) {
        // a condition that cannot be read (a table missing, a service down) keeps the rule's alerts as they are
        this.status.set(rule.id, { ruleId: rule.id, at: this.d.clock.now().toISOString(), holding: 0, error: (e as Error).message });
        this.d.log.warn({ rule: rule.id, kind: rule.kind, err: (e as Error).message }, 'alert condition could not be evaluated');
        continue;
      }
      this.status.set(rule.id, { ruleId: rule.id, at: this.d.clock.now().toISOString(), holding: holding.length });
      await this.apply(rule, holding, mine);
    }
    // alerts of rules that no longer exist
    for (const list of byRule.values()) for (const a of list) await this.end(a, undefined, 'rule deleted (规则已删除)');
  }

  private async apply(rule: AlertRule, holding: Violation[], mine: Alert[]): Promise<void> {
    const now = this.d.clock.now();
    const bySubject = new Map(mine.map((a) => [a.subject, a]));
    const seen = new Set<string>();
    for (const v of holding) {
      seen.add(v.subject);
      let a = bySubject.get(v.subject);
      if (!a) {
        a = await this.repo.insert({ ruleId: rule.id, kind: rule.kind, subject: v.subject, subjectName: v.subjectName ?? null, deviceId: v.deviceId ?? null, channelId: v.channelId ?? null, message: v.message, value: v.value, state: 'pending', since: now.toISOString(), firedAt: null, clearedAt: null, ticketId: null });
      } else if (a.message !== v.message || a.value !== v.value) {
        await this.repo.update(a.id, { message: v.message, value: v.value });
        a = { ...a, message: v.message, value: v.value };
      }
      if (a.state === 'pending' && now.getTime() - Date.parse(a.since) >= rule.forMinutes * 60_000) await this.fire(a, rule);
    }
    for (const a of mine) if (!seen.has(a.subject)) await this.end(a, rule, 'condition no longer holds (条件已恢复)');
  }

  /** pending → removed; firing → cleared */
  private async end(a: Alert, rule: AlertRule | undefined, why: string): Promise<void> {
    if (a.state === 'pending') await this.repo.remove(a.id);
    else if (a.state === 'firing') await this.clear(a, rule, why);
  }

  private ruleInfo(rule: AlertRule | undefined, a: Alert) {
    return rule ? { id: rule.id, name: rule.name, kind: rule.kind, threshold: rule.threshold, forMinutes: rule.forMinutes } : { id: a.ruleId, name: null, kind: a.kind, threshold: null, forMinutes: null };
  }

  private async fire(a: Alert, rule: AlertRule): Promise<void> {
    const at = this.d.clock.now().toISOString();
    const spec = ALERT_KINDS[rule.kind];
    const ticket = await this.d.tickets.open({ title: `[${spec.zh}] ${a.subjectName ?? a.subject}`, description: `${rule.name}: ${a.message}`, source: 'alert', alertId: a.id, kind: rule.kind, by: 'system', at });
    await this.repo.update(a.id, { state: 'firing', fired_at: at, ticket_id: ticket.id });
    const fired: Alert = { ...a, state: 'firing', firedAt: at, ticketId: ticket.id };
    this.d.log.warn({ rule: rule.id, kind: rule.kind, subject: a.subject, ticket: ticket.id }, `alert fired: ${a.message}`);
    await this.announce('alert.fired', fired, rule, `[告警] ${rule.name}: ${a.message}`);
  }

  private async clear(a: Alert, rule: AlertRule | undefined, why: string): Promise<void> {
    const at = this.d.clock.now().toISOString();
    await this.repo.update(a.id, { state: 'cleared', cleared_at: at });
    const cleared: Alert = { ...a, state: 'cleared', clearedAt: at };
    if (a.ticketId !== null) {
      await this.d.tickets.recover(a.ticketId, 'system', `告警恢复: ${why}`, at).catch((e: AppError) => {
        if (e.code !== 'TICKET_STATE') throw e; // closed by hand already
      });
    }
    this.d.log.info({ rule: a.ruleId, kind: a.kind, subject: a.subject }, `alert cleared: ${why}`);
    await this.announce('alert.cleared', cleared, rule, `[恢复] ${rule?.name ?? a.kind}: ${a.subjectName ?? a.subject} — ${why}`);
  }

  /** the three deliveries: alarm log (→ alarm feed → consoles), bus event (→ /api/v1/events), webhooks */
  private async announce(type: 'alert.fired' | 'alert.cleared', a: Alert, rule: AlertRule | undefined, description: string): Promise<void> {
    const at = type === 'alert.fired' ? a.firedAt! : a.clearedAt!;
    try {
      await this.d.store.logs.appendAlarm({ at, deviceId: a.deviceId ?? 'platform', channelId: a.channelId, alarmType: type === 'alert.fired' ? `alert_${a.kind}` : `alert_${a.kind}_cleared`, priority: type === 'alert.fired' ? 1 : 4, method: 'platform', description });
    } catch (e) {
      this.d.log.error({ err: e }, 'alert could not be written to the alarm log');
    }
    const data = { alert: a, rule: this.ruleInfo(rule, a) };
    this.d.bus.emit('event', { type, at, permission: 'system.config', data });
    for (const url of rule?.webhooks ?? []) this.webhooks.send(url, { event: type, at, ...data, platform: 'sharpeye' });
  }

  // reading -----------------------------------------------------------------------------------------------------------

  async active(): Promise<Alert[]> {
    return (await this.repo.open()).filter((a) => a.state === 'firing');
  }

  /** kinds that may be scoped to an org (for the console form) */
  static orgScoped = ORG_SCOPED_KINDS;
}

import type { Kysely } from 'kysely';
import { pageBounds, parseJson, toCount, type Page, type PageQuery } from '../../store/paging.js';
import type { DB } from '../../store/schema.js';
import type { AlertRulesTable, AlertsTable } from './alert-tables.js';
import type { AlertKind, AlertRule } from './alert-rules.js';
import './alert-tables.js';

export type AlertState = 'pending' | 'firing' | 'cleared';

export interface Alert {
  id: number;
  ruleId: string;
  kind: AlertKind;
  subject: string;
  subjectName: string | null;
  deviceId: string | null;
  channelId: string | null;
  message: string;
  value: number | null;
  state: AlertState;
  since: string;
  firedAt: string | null;
  clearedAt: string | null;
  ticketId: number | null;
}

function toRule(r: AlertRulesTable): AlertRule {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as AlertKind,
    threshold: Number(r.threshold),
    forMinutes: Number(r.for_minutes),
    enabled: Number(r.enabled) === 1,
    orgId: r.org_id,
    webhooks: parseJson<string[]>(r.webhooks, []),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    updatedBy: r.updated_by,
  };
}

function toAlert(r: AlertsTable & { id: number }): Alert {
  return {
    id: Number(r.id),
    ruleId: r.rule_id,
    kind: r.kind as AlertKind,
    subject: r.subject,
    subjectName: r.subject_name,
    deviceId: r.device_id,
    channelId: r.channel_id,
    message: r.message,
    value: r.value === null ? null : Number(r.value),
    state: r.state as AlertState,
    since: r.since,
    firedAt: r.fired_at,
    clearedAt: r.cleared_at,
    ticketId: r.ticket_id === null ? null : Number(r.ticket_id),
  };
}

/** Alert rules and alert episodes (migration 011_alerts). */
export class AlertRepo {
  constructor(private readonly db: Kysely<DB>) {}

  async rules(): Promise<AlertRule[]> {
    return (await this.db.selectFrom('alert_rules').selectAll().orderBy('created_at').orderBy('id').execute()).map(toRule);
  }

  async rule(id: string): Promise<AlertRule | undefined> {
    const r = await this.db.selectFrom('alert_rules').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toRule(r) : undefined;
  }

  async insertRule(r: AlertRule): Promise<void> {
    await this.db
      .insertInto('alert_rules')
      .values({ id: r.id, name: r.name, kind: r.kind, threshold: r.threshold, for_minutes: r.forMinutes, enabled: r.enabled ? 1 : 0, org_id: r.orgId, webhooks: JSON.stringify(r.webhooks), created_at: r.createdAt, updated_at: r.updatedAt, updated_by: r.updatedBy })
      .execute();
  }

  async updateRule(r: AlertRule): Promise<boolean> {
    const res = await this.db
      .updateTable('alert_rules')
      .set({ name: r.name, kind: r.kind, threshold: r.threshold, for_minutes: r.forMinutes, enabled: r.enabled ? 1 : 0, org_id: r.orgId, webhooks: JSON.stringify(r.webhooks), updated_at: r.updatedAt, updated_by: r.updatedBy })
      .where('id', '=', r.id)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async deleteRule(id: string): Promise<boolean> {
    const res = await this.db.deleteFrom('alert_rules').where('id', '=', id).executeTakeFirst();
    await this.db.deleteFrom('alerts').where('rule_id', '=', id).where('state', '=', 'pending').execute();
    return Number(res.numDeletedRows) > 0;
  }

  /** pending and firing alerts (the evaluator's working set) */
  async open(): Promise<Alert[]> {
    return (await this.db.selectFrom('alerts').selectAll().where('state', 'in', ['pending', 'firing']).orderBy('id').execute()).map((r) => toAlert(r as any));
  }

  async get(id: number): Promise<Alert | undefined> {
    const r = await this.db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toAlert(r as any) : undefined;
  }

  async insert(a: Omit<Alert, 'id'>): Promise<Alert> {
    const row = {
      rule_id: a.ruleId,
      kind: a.kind,
      subject: a.subject,
      subject_name: a.subjectName,
      device_id: a.deviceId,
      channel_id: a.channelId,
      message: a.message,
      value: a.value,
      state: a.state,
      since: a.since,
      fired_at: a.firedAt,
      cleared_at: a.clearedAt,
      ticket_id: a.ticketId,
    };
    const r = await this.db.insertInto('alerts').values(row).returning('id').executeTakeFirstOrThrow();
    return { ...a, id: Number(r.id) };
  }

  async update(id: number, set: Partial<Pick<AlertsTable, 'state' | 'fired_at' | 'cleared_at' | 'message' | 'value' | 'ticket_id' | 'subject_name'>>): Promise<void> {
    await this.db.updateTable('alerts').set(set).where('id', '=', id).execute();
  }

  async remove(id: number): Promise<void> {
    await this.db.deleteFrom('alerts').where('id', '=', id).execute();
  }

  /** firing and cleared alerts, newest first (pending ones are not alerts yet) */
  async list(q: PageQuery & { state?: 'firing' | 'cleared'; ruleId?: string }): Promise<Page<Alert>> {
    const { page, pageSize, offset } = pageBounds(q);
    let base = this.db.selectFrom('alerts').where('state', 'in', q.state ? [q.state] : ['firing', 'cleared']);
    if (q.ruleId) base = base.where('rule_id', '=', q.ruleId);
    const total = toCount((await base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst())?.n);
    const rows = await base.selectAll().orderBy('fired_at', 'desc').orderBy('id', 'desc').limit(pageSize).offset(offset).execute();
    return { items: rows.map((r) => toAlert(r as any)), total, page, pageSize };
  }
}

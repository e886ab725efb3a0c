import type { Kysely } from 'kysely';
import { pageBounds, toCount, type Page, type PageQuery } from '../../store/paging.js';
import type { DB } from '../../store/schema.js';
import type { FaultTicketsTable } from '../alerts/alert-tables.js';
import '../alerts/alert-tables.js';

export type TicketState = 'open' | 'responded' | 'recovered';

/** A fault ticket row (times ISO 8601 UTC). */
export interface TicketRow {
  id: number;
  title: string;
  description: string | null;
  source: 'alert' | 'manual';
  alertId: number | null;
  kind: string | null;
  state: TicketState;
  openedAt: string;
  openedBy: string | null;
  respondedAt: string | null;
  respondedBy: string | null;
  responseNote: string | null;
  recoveredAt: string | null;
  recoveredBy: string | null;
  recoveryNote: string | null;
}

function toRow(r: FaultTicketsTable & { id: number }): TicketRow {
  return {
    id: Number(r.id),
    title: r.title,
    description: r.description,
    source: r.source as 'alert' | 'manual',
    alertId: r.alert_id === null ? null : Number(r.alert_id),
    kind: r.kind,
    state: r.state as TicketState,
    openedAt: r.opened_at,
    openedBy: r.opened_by,
    respondedAt: r.responded_at,
    respondedBy: r.responded_by,
    responseNote: r.response_note,
    recoveredAt: r.recovered_at,
    recoveredBy: r.recovered_by,
    recoveryNote: r.recovery_note,
  };
}

export interface TicketFilter extends PageQuery {
  state?: TicketState | 'unresolved';
  from?: string;
  to?: string;
}

/** Fault tickets (migration 011_alerts). */
export class TicketRepo {
  constructor(private readonly db: Kysely<DB>) {}

  async insert(t: { title: string; description: string | null; source: 'alert' | 'manual'; alertId: number | null; kind: string | null; openedAt: string; openedBy: string | null }): Promise<TicketRow> {
    const r = await this.db
      .insertInto('fault_tickets')
      .values({ title: t.title, description: t.description, source: t.source, alert_id: t.alertId, kind: t.kind, state: 'open', opened_at: t.openedAt, opened_by: t.openedBy, responded_at: null, responded_by: null, response_note: null, recovered_at: null, recovered_by: null, recovery_note: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    return (await this.get(Number(r.id)))!;
  }

  async get(id: number): Promise<TicketRow | undefined> {
    const r = await this.db.selectFrom('fault_tickets').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toRow(r as any) : undefined;
  }

  async byAlert(alertId: number): Promise<TicketRow | undefined> {
    const r = await this.db.selectFrom('fault_tickets').selectAll().where('alert_id', '=', alertId).executeTakeFirst();
    return r ? toRow(r as any) : undefined;
  }

  /** sets the response; false when the ticket was already responded to or recovered (checked in the UPDATE itself) */
  async respond(id: number, at: string, by: string, note: string | null): Promise<boolean> {
    const res = await this.db.updateTable('fault_tickets').set({ state: 'responded', responded_at: at, responded_by: by, response_note: note }).where('id', '=', id).where('state', '=', 'open').executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** sets the recovery (and the response when there was none); false when already recovered */
  async recover(id: number, at: string, by: string, note: string | null): Promise<boolean> {
    const t = await this.get(id);
    if (!t || t.state === 'recovered') return false;
    const res = await this.db
      .updateTable('fault_tickets')
      .set({ state: 'recovered', recovered_at: at, recovered_by: by, recovery_note: note, ...(t.respondedAt ? {} : { responded_at: at, responded_by: by }) })
      .where('id', '=', id)
      .where('state', '!=', 'recovered')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async list(f: TicketFilter): Promise<Page<TicketRow>> {
    const { page, pageSize, offset } = pageBounds(f);
    let q = this.db.selectFrom('fault_tickets');
    if (f.state === 'unresolved') q = q.where('state', '!=', 'recovered');
    else if (f.state) q = q.where('state', '=', f.state);
    if (f.from) q = q.where('opened_at', '>=', f.from);
    if (f.to) q = q.where('opened_at', '<', f.to);
    const total = toCount((await q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst())?.n);
    const rows = await q.selectAll().orderBy('opened_at', 'desc').orderBy('id', 'desc').limit(pageSize).offset(offset).execute();
    return { items: rows.map((r) => toRow(r as any)), total, page, pageSize };
  }

  /** every ticket opened in [from, to) — a month is a few hundred rows at most */
  async openedBetween(from: string, to: string): Promise<TicketRow[]> {
    return (await this.db.selectFrom('fault_tickets').selectAll().where('opened_at', '>=', from).where('opened_at', '<', to).orderBy('opened_at').orderBy('id').execute()).map((r) => toRow(r as any));
  }
}

import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { EventBus } from '../../core/events.js';
import { parseLocalTime } from '../../core/time.js';
import type { Page } from '../../store/paging.js';
import type { Store } from '../../store/index.js';
import { TicketRepo, type TicketFilter, type TicketRow } from './ticket-repo.js';

/** The service promise (issue 14 §4): respond to a fault within 2 hours, recover within 24 hours. */
export const RESPONSE_LIMIT_MS = 2 * 3600_000;
export const RECOVERY_LIMIT_MS = 24 * 3600_000;

export interface Ticket extends TicketRow {
  responseDueAt: string;
  recoveryDueAt: string;
  /** minutes from opening to response / recovery (null while not yet done) */
  responseMinutes: number | null;
  recoveryMinutes: number | null;
  /** responded later than 2 h, or still unanswered after 2 h */
  responseBreached: boolean;
  /** recovered later than 24 h, or still not recovered after 24 h */
  recoveryBreached: boolean;
}

export interface DurationStats {
  count: number;
  medianMinutes: number | null;
  maxMinutes: number | null;
  breaches: number;
}

export interface MonthlyReport {
  month: string;
  tz: string;
  from: string;
  to: string;
  opened: number;
  bySource: { alert: number; manual: number };
  byKind: Record<string, number>;
  stillOpen: number;
  response: DurationStats;
  recovery: DurationStats;
  limits: { responseMinutes: number; recoveryMinutes: number };
  tickets: Ticket[];
}

const mins = (ms: number) => Math.round(ms / 600) / 100;

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : Math.round(((s[m - 1] + s[m]) / 2) * 100) / 100;
}

/**
 * Fault tickets (故障工单): opened by a firing alert (one per alert) or by an operator; an operator's acknowledgement
 * is the response, the alert clearing (or an operator closing it) the recovery. Each is measured against the 2 h
 * response / 24 h recovery promise; the monthly report sums them up.
 */
export class FaultTickets {
  readonly repo: TicketRepo;

  constructor(private readonly d: { store: Store; clock: Clock; bus: EventBus; tz: string }) {
    this.repo = new TicketRepo(d.store.database.db);
  }

  /** adds the due times, durations and breach flags, judged at `now` for what is not done yet */
  judge(t: TicketRow, now = this.d.clock.now().getTime()): Ticket {
    const opened = Date.parse(t.openedAt);
    const responded = t.respondedAt ? Date.parse(t.respondedAt) : null;
    const recovered = t.recoveredAt ? Date.parse(t.recoveredAt) : null;
    return {
      ...t,
      responseDueAt: new Date(opened + RESPONSE_LIMIT_MS).toISOString(),
      recoveryDueAt: new Date(opened + RECOVERY_LIMIT_MS).toISOString(),
      responseMinutes: responded === null ? null : mins(responded - opened),
      recoveryMinutes: recovered === null ? null : mins(recovered - opened),
      responseBreached: (responded ?? now) - opened > RESPONSE_LIMIT_MS,
      recoveryBreached: (recovered ?? now) - opened > RECOVERY_LIMIT_MS,
    };
  }

  private push(type: string, t: Ticket): void {
    this.d.bus.emit('event', { type, at: this.d.clock.now().toISOString(), permission: 'system.config', data: t });
  }

  async open(i: { title: string; description?: string | null; source: 'alert' | 'manual'; alertId?: number | null; kind?: string | null; by: string | null; at?: string }): Promise<Ticket> {
    const title = i.title.trim();
    if (!title) throw new AppError('VALIDATION_FAILED', 'title is required (工单标题必填)');
    const row = await this.repo.insert({ title: title.slice(0, 200), description: i.description?.trim() || null, source: i.source, alertId: i.alertId ?? null, kind: i.kind ?? null, openedAt: i.at ?? this.d.clock.now().toISOString(), openedBy: i.by });
    const t = this.judge(row);
    this.push('ticket.opened', t);
    return t;
  }

  async get(id: number): Promise<Ticket> {
    const t = await this.repo.get(id);
    if (!t) throw new AppError('NOT_FOUND', `fault ticket ${id} not found (工单不存在)`);
    return this.judge(t);
  }

  async list(f: TicketFilter): Promise<Page<Ticket>> {
    const p = await this.repo.list(f);
    const now = this.d.clock.now().getTime();
    return { ...p, items: p.items.map((t) => this.judge(t, now)) };
  }

  /** the operator's acknowledgement: the response time stops here */
  async respond(id: number, by: string, note: string | null): Promise<Ticket> {
    const before = await this.get(id);
    if (!(await this.repo.respond(id, this.d.clock.now().toISOString(), by, note))) {
      throw new AppError('TICKET_STATE', `ticket ${id} was already ${before.state === 'recovered' ? 'closed' : `acknowledged by ${before.respondedBy ?? '?'}`} (工单已响应或已关闭)`, { state: before.state });
    }
    const t = await this.get(id);
    this.push('ticket.updated', t);
    return t;
  }

  /** recovery: closed by hand, or by the alert clearing (`by` = `system`) */
  async recover(id: number, by: string, note: string | null, at?: string): Promise<Ticket> {
    await this.get(id);
    if (!(await this.repo.recover(id, at ?? this.d.clock.now().toISOString(), by, note))) throw new AppError('TICKET_STATE', `ticket ${id} is already closed (工单已关闭)`, { state: 'recovered' });
    const t = await this.get(id);
    this.push('ticket.updated', t);
    return t;
  }

  /** [from, to) of a local month `YYYY-MM` in the platform's zone, as UTC ISO */
  monthRange(month: string): { from: string; to: string } {
    const m = /^(\d{4})-(\d{2})$/.exec(month);
    if (!m || +m[2] < 1 || +m[2] > 12) throw new AppError('VALIDATION_FAILED', `month must be YYYY-MM, got "${month}"`);
    const y = +m[1];
    const mo = +m[2];
    const next = mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
    return { from: new Date(parseLocalTime(`${month}-01T00:00:00`, this.d.tz)).toISOString(), to: new Date(parseLocalTime(`${next}-01T00:00:00`, this.d.tz)).toISOString() };
  }

  /** counts, median/max response and recovery, breaches of the tickets opened in a local month */
  async monthly(month: string): Promise<MonthlyReport> {
    const { from, to } = this.monthRange(month);
    const now = this.d.clock.now().getTime();
    const tickets = (await this.repo.openedBetween(from, to)).map((t) => this.judge(t, now));
    const byKind: Record<string, number> = {};
    for (const t of tickets) byKind[t.kind ?? 'manual'] = (byKind[t.kind ?? 'manual'] ?? 0) + 1;
    const stats = (xs: Array<number | null>, breached: (t: Ticket) => boolean): DurationStats => {
      const done = xs.filter((x): x is number => x !== null);
      return { count: done.length, medianMinutes: median(done), maxMinutes: done.length ? Math.max(...done) : null, breaches: tickets.filter(breached).length };
    };
    return {
      month,
      tz: this.d.tz,
      from,
      to,
      opened: tickets.length,
      bySource: { alert: tickets.filter((t) => t.source === 'alert').length, manual: tickets.filter((t) => t.source === 'manual').length },
      byKind,
      stillOpen: tickets.filter((t) => t.state !== 'recovered').length,
      response: stats(tickets.map((t) => t.responseMinutes), (t) => t.responseBreached),
      recovery: stats(tickets.map((t) => t.recoveryMinutes), (t) => t.recoveryBreached),
      limits: { responseMinutes: RESPONSE_LIMIT_MS / 60_000, recoveryMinutes: RECOVERY_LIMIT_MS / 60_000 },
      tickets,
    };
  }
}

import type { PlanMode, RecordPlan, RecordPlanBody, ScheduleWindow } from '../api/records';

/** Record-plan dialog form ↔ API body, and the weekly schedule checks the server makes (shown before saving). */

export interface PlanForm {
  mode: PlanMode;
  schedule: ScheduleWindow[];
  preSeconds: number;
  postSeconds: number;
  stream: 'main' | 'sub';
  /** null: inherit (org or platform default) */
  retentionDays: number | null;
  quotaMb: number | null;
}

export const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;
const HHMM = /^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/;

export function defaultWindow(): ScheduleWindow {
  return { days: [1, 2, 3, 4, 5], from: '08:00', to: '18:00' };
}

export function planToForm(p: Partial<RecordPlan> | null | undefined): PlanForm {
  return {
    mode: p?.mode ?? 'off',
    schedule: (p?.schedule ?? []).map((w) => ({ days: [...w.days].sort(), from: w.from, to: w.to })),
    preSeconds: p?.preSeconds ?? 0,
    postSeconds: p?.postSeconds ?? 30,
    stream: p?.stream ?? 'main',
    retentionDays: p?.retentionDays ?? null,
    quotaMb: p?.quotaMb ?? null,
  };
}

/** The body for PUT record-plan: the schedule only for schedule plans, pre/post only for alarm plans. */
export function formToBody(f: PlanForm): RecordPlanBody {
  const body: RecordPlanBody = { mode: f.mode, stream: f.stream, retentionDays: f.retentionDays || null, quotaMb: f.quotaMb || null };
  if (f.mode === 'schedule') body.schedule = f.schedule.map((w) => ({ days: [...new Set(w.days)].sort(), from: w.from, to: w.to }));
  if (f.mode === 'alarm') {
    body.preSeconds = f.preSeconds;
    body.postSeconds = f.postSeconds;
  }
  return body;
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export type WindowProblem = 'noDays' | 'badTime' | 'order';

/** Problems per schedule row (index → problem); a schedule plan needs at least one row (-1 → 'empty'). */
export function scheduleProblems(f: Pick<PlanForm, 'mode' | 'schedule'>): Map<number, WindowProblem | 'empty'> {
  const out = new Map<number, WindowProblem | 'empty'>();
  if (f.mode !== 'schedule') return out;
  if (!f.schedule.length) out.set(-1, 'empty');
  f.schedule.forEach((w, i) => {
    if (!w.days.length) out.set(i, 'noDays');
    else if (!HHMM.test(w.from) || !HHMM.test(w.to)) out.set(i, 'badTime');
    else if (minutes(w.from) >= minutes(w.to)) out.set(i, 'order');
  });
  return out;
}

/** Time options for the schedule editor: every 30 minutes, 00:00 … 24:00. */
export function halfHours(): string[] {
  const out: string[] = [];
  for (let m = 0; m <= 24 * 60; m += 30) out.push(`${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
  return out;
}

/** Pure helpers of the patrol page: countdown, plan-window checks (as the server makes them), task items. */
import type { PatrolItem, PatrolState, PatrolWindow } from '../api/patrol';

const HHMM = /^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/;
const minutes = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));

/** Milliseconds left on the page now, from the state and when it was received (performance.now()). */
export function remainingNow(s: Pick<PatrolState, 'running' | 'paused' | 'remainingMs'> | null, receivedAt: number, now: number): number | null {
  if (!s || !s.running || s.remainingMs === null) return null;
  if (s.paused) return s.remainingMs;
  return Math.max(0, s.remainingMs - (now - receivedAt));
}

export type WindowProblem = 'empty' | 'badTime' | 'order' | 'badDate';

/** The first problem of a plan's windows (i18n key `patrol.problem.<x>`), or null. */
export function windowProblem(windows: readonly PatrolWindow[]): { index: number; problem: WindowProblem } | null {
  if (!windows.length) return { index: -1, problem: 'empty' };
  for (const [index, w] of windows.entries()) {
    if (!HHMM.test(w.from) || !HHMM.test(w.to)) return { index, problem: 'badTime' };
    if (minutes(w.from) >= minutes(w.to)) return { index, problem: 'order' };
    if ((w.dates ?? []).some((d) => !/^\d{4}-\d{2}-\d{2}$/.test(d))) return { index, problem: 'badDate' };
  }
  return null;
}

/** Problem keys (literal, so the i18n test sees them). */
export const WINDOW_PROBLEM_KEYS: Record<WindowProblem, string> = {
  empty: 'patrol.problem.empty',
  badTime: 'patrol.problem.badTime',
  order: 'patrol.problem.order',
  badDate: 'patrol.problem.badDate',
};

/** Task items after the channel picker changed: existing items keep their dwell, new ones are appended in pick order. */
export function syncItems(items: readonly PatrolItem[], ids: readonly string[]): PatrolItem[] {
  const byId = new Map(items.map((i) => [i.channelId, i]));
  const kept = items.filter((i) => ids.includes(i.channelId));
  const added = ids.filter((id) => !kept.some((i) => i.channelId === id)).map((id) => byId.get(id) ?? { channelId: id });
  return [...kept, ...added];
}

/** Moves item `i` by `delta` places (order is the patrol order). */
export function moveItem<T>(list: readonly T[], i: number, delta: number): T[] {
  const j = i + delta;
  if (j < 0 || j >= list.length) return [...list];
  const out = [...list];
  [out[i], out[j]] = [out[j]!, out[i]!];
  return out;
}

/** Pages a task makes (what the server shows before scope filtering). */
export function pageCount(items: number, layout: number): number {
  return layout > 0 ? Math.ceil(items / layout) : 0;
}

import { parseLocalTime, zonedParts } from '../core/time.js';
import type { PatrolWindow } from '../store/repos/patrol.js';

/**
 * Time windows of patrol plans, in the platform zone (SHARPEYE_TZ), never the host's. A window is `from`–`to`
 * (HH:MM, `to` may be 24:00, `from` < `to`: a night shift is two windows) on the ISO weekdays `days` (1 = Monday) and
 * on the dates `dates` (YYYY-MM-DD); with neither it applies every day.
 */
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** Shape errors of a plan's windows (messages name the window), or an empty list. */
export function windowErrors(windows: PatrolWindow[]): string[] {
  const out: string[] = [];
  if (!windows.length) out.push('a plan needs at least one time window');
  for (const [i, w] of windows.entries()) {
    if (!HHMM.test(w.from) || !HHMM.test(w.to)) out.push(`windows[${i}]: times must be HH:MM (00:00 … 24:00)`);
    else if (minutesOf(w.from) >= minutesOf(w.to)) out.push(`windows[${i}]: from ${w.from} must be before to ${w.to} (split a window over midnight in two)`);
    if (w.days?.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) out.push(`windows[${i}].days must be ISO weekdays 1 (Mon) … 7 (Sun)`);
    for (const d of w.dates ?? []) {
      const m = DATE.exec(d);
      const ok = m && !Number.isNaN(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!)) && new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!)).getUTCDate() === +m[3]!;
      if (!ok) out.push(`windows[${i}].dates: ${d} is not a date (YYYY-MM-DD)`);
    }
  }
  return out;
}

/** ISO weekday (1 = Monday) of a calendar date `YYYY-MM-DD`. */
export function weekdayOf(date: string): number {
  const m = DATE.exec(date)!;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!)).getUTCDay() || 7;
}

const everyDay = (w: PatrolWindow) => !w.days?.length && !w.dates?.length;

function appliesOn(w: PatrolWindow, date: string): boolean {
  if (everyDay(w)) return true;
  return (w.dates ?? []).includes(date) || (w.days ?? []).includes(weekdayOf(date));
}

/** Local calendar date and minute-of-day of an instant in the zone. */
function localOf(at: Date, timeZone: string): { date: string; minute: number; second: number } {
  const p = zonedParts(at, timeZone);
  return { date: `${p.y}-${p.mo}-${p.da}`, minute: Number(p.h) * 60 + Number(p.mi), second: Number(p.s) };
}

/** The instant a local `date` + minute-of-day names in the zone (24:00 = the next midnight). */
function instant(date: string, minute: number, timeZone: string): number {
  const midnight = parseLocalTime(`${date}T00:00:00`, timeZone);
  // local midnight + minutes is exact without DST (China); zones with DST are off by the jump for that one day
  return midnight + minute * 60_000;
}

/** The end (Unix ms) of the window containing `at`, or null when `at` is outside every window. */
export function windowEndAt(windows: PatrolWindow[], at: Date, timeZone: string): number | null {
  const l = localOf(at, timeZone);
  let end: number | null = null;
  for (const w of windows) {
    if (!appliesOn(w, l.date)) continue;
    if (l.minute >= minutesOf(w.from) && l.minute < minutesOf(w.to)) {
      const e = instant(l.date, minutesOf(w.to), timeZone);
      end = Math.max(end ?? 0, e);
    }
  }
  return end;
}

/** The next start (Unix ms) of any window after `at`, looking up to `days` days ahead; null when none. */
export function nextWindowStart(windows: PatrolWindow[], at: Date, timeZone: string, days = 400): number | null {
  const t0 = at.getTime();
  const start = localOf(at, timeZone).date;
  const base = parseLocalTime(`${start}T12:00:00`, timeZone);
  let best: number | null = null;
  for (let k = 0; k <= days && best === null; k++) {
    const date = localOf(new Date(base + k * 86_400_000), timeZone).date;
    for (const w of windows) {
      if (!appliesOn(w, date)) continue;
      const s = instant(date, minutesOf(w.from), timeZone);
      if (s > t0 && (best === null || s < best)) best = s;
    }
  }
  return best;
}

/** Two windows share a day: both every day, a weekday in common, a date in common, or a date on the other's weekday. */
function shareDay(a: PatrolWindow, b: PatrolWindow): boolean {
  if (everyDay(a) || everyDay(b)) return true;
  const aDays = new Set(a.days ?? []);
  const bDays = new Set(b.days ?? []);
  if ([...aDays].some((d) => bDays.has(d))) return true;
  const bDates = new Set(b.dates ?? []);
  for (const d of a.dates ?? []) if (bDates.has(d) || bDays.has(weekdayOf(d))) return true;
  for (const d of b.dates ?? []) if (aDays.has(weekdayOf(d))) return true;
  return false;
}

/** The first pair of overlapping windows of two plans (same day and intersecting times), or null. */
export function overlap(a: PatrolWindow[], b: PatrolWindow[]): { a: number; b: number } | null {
  for (const [i, wa] of a.entries()) {
    for (const [j, wb] of b.entries()) {
      const times = minutesOf(wa.from) < minutesOf(wb.to) && minutesOf(wb.from) < minutesOf(wa.to);
      if (times && shareDay(wa, wb)) return { a: i, b: j };
    }
  }
  return null;
}

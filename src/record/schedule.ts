import { zonedParts } from '../core/time.js';
import type { RecordWindow } from '../store/repos/record-plans.js';

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;

/** Checks a weekly schedule's shape; returns an error message or undefined. */
export function scheduleError(windows: RecordWindow[]): string | undefined {
  for (const [i, w] of windows.entries()) {
    if (!Array.isArray(w.days) || !w.days.length || w.days.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) return `schedule[${i}].days must be ISO weekdays 1 (Mon) … 7 (Sun)`;
    if (!HHMM.test(w.from) || !HHMM.test(w.to)) return `schedule[${i}] times must be HH:MM (00:00 … 24:00)`;
    if (minutes(w.from) >= minutes(w.to)) return `schedule[${i}]: from ${w.from} must be before to ${w.to} (split a window over midnight in two)`;
  }
  return undefined;
}

function minutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** True when the local time (platform zone, SHARPEYE_TZ) falls inside one of the weekly windows. */
export function inSchedule(windows: RecordWindow[], at: Date, timeZone: string): boolean {
  const p = zonedParts(at, timeZone);
  // weekday of the local calendar date (UTC arithmetic on the local y-m-d avoids the host's zone)
  const dow = new Date(Date.UTC(Number(p.y), Number(p.mo) - 1, Number(p.da))).getUTCDay() || 7;
  const m = Number(p.h) * 60 + Number(p.mi);
  return windows.some((w) => w.days.includes(dow) && m >= minutes(w.from) && m < minutes(w.to));
}

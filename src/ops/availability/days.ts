import { parseLocalTime, zonedParts } from '../../core/time.js';

/** `YYYY-MM-DD` of an instant in a zone (the day a moment of availability is booked to). */
export function localDay(ms: number, tz: string): string {
  const p = zonedParts(new Date(ms), tz);
  return `${p.y}-${p.mo}-${p.da}`;
}

/** The instant a local day starts (00:00 in `tz`). */
export function dayStart(day: string, tz: string): number {
  return parseLocalTime(`${day}T00:00:00`, tz);
}

/** The day after `YYYY-MM-DD` (calendar arithmetic, zone-free). */
export function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** `YYYY-MM-DD` n days before (negative: after). */
export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Every day from `from` to `to` inclusive. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to && out.length < 3700; d = nextDay(d)) out.push(d);
  return out;
}

/** Splits [a, b) at local midnights: the milliseconds booked to each day. */
export function splitByDay(a: number, b: number, tz: string): Array<{ day: string; ms: number }> {
  const out: Array<{ day: string; ms: number }> = [];
  let t = a;
  while (t < b) {
    const day = localDay(t, tz);
    const end = Math.min(b, dayStart(nextDay(day), tz));
    // a zone's midnight can only move forward; guard against a malformed zone answer looping forever
    if (!(end > t)) {
      out.push({ day, ms: b - t });
      break;
    }
    out.push({ day, ms: end - t });
    t = end;
  }
  return out;
}

export const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Local wall-clock times in a configured zone (GB/T 28181 `Date` header, MANSCDP times, seed interfaces are
 * China local time without an offset). Never uses the machine's zone.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

/** Building an Intl formatter costs ~0.1 ms; the SIP path formats a time per REGISTER, so keep one per zone. */
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function zonedParts(d: Date, timeZone: string): { y: string; mo: string; da: string; h: string; mi: string; s: string } {
  const p = Object.fromEntries(formatterFor(timeZone).formatToParts(d).map((x) => [x.type, x.value]));
  return { y: p.year, mo: p.month, da: p.day, h: p.hour, mi: p.minute, s: p.second };
}

/** `2026-11-24T09:40:00.000` (GB/T 28181-2016 §9.1.2.1 Date header format). */
export function formatLocalIso(d: Date, timeZone: string): string {
  const p = zonedParts(d, timeZone);
  const ms = String(d.getUTCMilliseconds()).padStart(3, '0');
  return `${p.y}-${p.mo}-${p.da}T${p.h}:${p.mi}:${p.s}.${ms}`;
}

/** `2026-11-24 09:40:00` (seed interfaces, report exports). */
export function formatLocalDateTime(d: Date, timeZone: string): string {
  const p = zonedParts(d, timeZone);
  return `${p.y}-${p.mo}-${p.da} ${p.h}:${p.mi}:${p.s}`;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** `2026-11-24T09:40:00` (MANSCDP times: RecordInfo StartTime/EndTime, GB/T 28181-2016 §A.2.4), seconds precision. */
export function formatLocalTime(d: Date, timeZone: string): string {
  const p = zonedParts(d, timeZone);
  return `${p.y}-${p.mo}-${p.da}T${p.h}:${p.mi}:${p.s}`;
}

/** Offset of a zone from UTC at an instant, ms (UTC+8 → 28 800 000). */
export function zoneOffsetMs(at: number, timeZone: string): number {
  const p = zonedParts(new Date(at), timeZone);
  const asUtc = Date.UTC(+p.y, +p.mo - 1, +p.da, +p.h === 24 ? 0 : +p.h, +p.mi, +p.s);
  return asUtc - Math.floor(at / 1000) * 1000;
}

/**
 * A local wall-clock time without offset (`2026-11-24T09:40:00`, `2026-11-24 09:40:00`, optional `.sss`) in `timeZone`
 * → Unix ms; NaN when it is not such a time. Times that carry an offset or `Z` are taken as written. In a DST jump the
 * later mapping wins (China has no DST; other zones are handled for completeness).
 */
export function parseLocalTime(s: string | null | undefined, timeZone: string): number {
  const m = s && /^\s*(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$/.exec(s);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  const naive = Date.UTC(+y, +mo - 1, +d, +h, +mi, +(sec ?? 0), frac ? Number(frac.padEnd(3, '0')) : 0);
  if (!Number.isFinite(naive) || +mo > 12 || +d > 31 || +h > 23 || +mi > 59 || +(sec ?? 0) > 60) return NaN;
  if (zone) {
    if (zone === 'Z') return naive;
    const z = /([+-])(\d{2}):?(\d{2})/.exec(zone)!;
    return naive - (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3])) * 60_000;
  }
  // guess with the offset at the naive instant, then correct once with the offset at the guess
  let t = naive - zoneOffsetMs(naive, timeZone);
  t = naive - zoneOffsetMs(t, timeZone);
  return t;
}

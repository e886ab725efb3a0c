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

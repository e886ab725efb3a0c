import { RtspParseError } from './errors.js';

/**
 * Range header (RFC 2326 §12.29) with npt (§3.6) or clock (§3.7, UTC absolute) times; smpte (§3.5) kept raw.
 * npt values are seconds ("now" for live); clock values are milliseconds since the Unix epoch.
 */
export type RtspRange =
  | { unit: 'npt'; start?: number | 'now'; end?: number; time?: string }
  | { unit: 'clock'; start?: number; end?: number; time?: string }
  | { unit: 'smpte'; start?: string; end?: string; time?: string };

/** npt-time: "now", seconds ("12.5") or h:mm:ss(.frac) ("1:02:03.5"). */
function npt(v: string): number | 'now' | undefined {
  const t = v.trim();
  if (!t) return undefined;
  if (t.toLowerCase() === 'now') return 'now';
  if (/^\d+(\.\d*)?$/.test(t)) return Number(t);
  const m = /^(\d+):(\d{1,2}):(\d{1,2}(?:\.\d*)?)$/.exec(t);
  if (m) return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  throw new RtspParseError(`bad npt time "${v}"`, 'RANGE', 457);
}

/** utc-time: 19961108T142300Z or 19961108T142300.25Z */
function clock(v: string): number | undefined {
  const t = v.trim();
  if (!t) return undefined;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/.exec(t);
  if (!m) throw new RtspParseError(`bad clock time "${v}"`, 'RANGE', 457);
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) + Math.round(Number(m[7] ?? 0) * 1000);
}

export function parseRange(value: string): RtspRange {
  const [spec, ...rest] = value.split(';').map((s) => s.trim());
  const time = rest.find((r) => r.toLowerCase().startsWith('time='))?.slice(5);
  const eq = spec.indexOf('=');
  if (eq < 0) throw new RtspParseError(`bad Range "${value}"`, 'RANGE', 457);
  const unit = spec.slice(0, eq).trim().toLowerCase();
  const span = spec.slice(eq + 1);
  const dash = span.indexOf('-');
  if (dash < 0) throw new RtspParseError(`bad Range "${value}"`, 'RANGE', 457);
  const a = span.slice(0, dash);
  const b = span.slice(dash + 1);
  const withTime = <T extends object>(r: T) => (time ? { ...r, time } : r);
  if (unit === 'npt') {
    const start = npt(a);
    const end = npt(b);
    if (end === 'now') throw new RtspParseError(`bad Range "${value}"`, 'RANGE', 457);
    return withTime({ unit: 'npt' as const, ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}) });
  }
  if (unit === 'clock') {
    const start = clock(a);
    const end = clock(b);
    return withTime({ unit: 'clock' as const, ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}) });
  }
  if (unit.startsWith('smpte')) {
    return withTime({ unit: 'smpte' as const, ...(a.trim() ? { start: a.trim() } : {}), ...(b.trim() ? { end: b.trim() } : {}) });
  }
  throw new RtspParseError(`unsupported Range unit "${unit}"`, 'RANGE', 457);
}

function fmtNpt(v: number | 'now'): string {
  if (v === 'now') return 'now';
  return Number.isInteger(v) ? String(v) : v.toFixed(3).replace(/0+$/, '');
}

function fmtClock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const frac = d.getUTCMilliseconds() ? `.${p(d.getUTCMilliseconds(), 3).replace(/0+$/, '')}` : '';
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}T${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}${frac}Z`;
}

export function formatRange(r: RtspRange): string {
  let s: string;
  if (r.unit === 'npt') s = `npt=${r.start !== undefined ? fmtNpt(r.start) : ''}-${r.end !== undefined ? fmtNpt(r.end) : ''}`;
  else if (r.unit === 'clock') s = `clock=${r.start !== undefined ? fmtClock(r.start) : ''}-${r.end !== undefined ? fmtClock(r.end) : ''}`;
  else s = `smpte=${r.start ?? ''}-${r.end ?? ''}`;
  return r.time ? `${s};time=${r.time}` : s;
}

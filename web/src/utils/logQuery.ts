import type { Query } from '../api/http';
import type { LogKind } from '../api/logs';

export interface LogFilters {
  range: [Date, Date] | null;
  /** user log: username; device/alarm logs: device id */
  who: string;
  /** user log: action; device log: event; alarm log: alarm type */
  what: string;
  q: string;
}

/** Maps the page's generic filters to each log endpoint's query parameters. */
export function logQuery(kind: LogKind, f: LogFilters): Query {
  const q: Query = {
    from: f.range?.[0] ? new Date(f.range[0]).toISOString() : undefined,
    to: f.range?.[1] ? new Date(f.range[1]).toISOString() : undefined,
    q: f.q.trim() || undefined,
  };
  const who = f.who.trim() || undefined;
  const what = f.what.trim() || undefined;
  if (kind === 'user') {
    q.username = who;
    q.action = what;
  } else if (kind === 'device') {
    q.deviceId = who;
    q.event = what;
  } else {
    q.deviceId = who;
    q.type = what;
  }
  return q;
}

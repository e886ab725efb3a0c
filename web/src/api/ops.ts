/** Operations (docs/operations.md): alert rules and alerts, fault tickets with the 2 h / 24 h promise, status page. */
import { downloadFile, http, type Page, type Query } from './http';

export interface AlertKindInfo {
  kind: string;
  unit: 'minutes' | 'percent' | 'days' | 'seconds' | 'none';
  min: number;
  max: number;
  zh: string;
  en: string;
}

export interface AlertRule {
  id: string;
  name: string;
  kind: string;
  threshold: number;
  forMinutes: number;
  enabled: boolean;
  orgId: string | null;
  webhooks: string[];
  updatedAt: string;
  updatedBy: string | null;
  status?: { at: string; holding: number; error?: string };
}

export type AlertRuleInput = Pick<AlertRule, 'name' | 'kind' | 'threshold' | 'forMinutes' | 'enabled' | 'orgId' | 'webhooks'>;

export interface Alert {
  id: number;
  ruleId: string;
  kind: string;
  subject: string;
  subjectName: string | null;
  deviceId: string | null;
  channelId: string | null;
  message: string;
  value: number | null;
  state: 'pending' | 'firing' | 'cleared';
  since: string;
  firedAt: string | null;
  clearedAt: string | null;
  ticketId: number | null;
}

export interface Ticket {
  id: number;
  title: string;
  description: string | null;
  source: 'alert' | 'manual';
  alertId: number | null;
  kind: string | null;
  state: 'open' | 'responded' | 'recovered';
  openedAt: string;
  openedBy: string | null;
  respondedAt: string | null;
  respondedBy: string | null;
  recoveredAt: string | null;
  recoveredBy: string | null;
  responseDueAt: string;
  recoveryDueAt: string;
  responseMinutes: number | null;
  recoveryMinutes: number | null;
  responseBreached: boolean;
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
  opened: number;
  bySource: { alert: number; manual: number };
  byKind: Record<string, number>;
  stillOpen: number;
  response: DurationStats;
  recovery: DurationStats;
  limits: { responseMinutes: number; recoveryMinutes: number };
}

export interface Component {
  id: string;
  group: string;
  name: string;
  state: 'ok' | 'degraded' | 'down';
  message: string;
}

export interface NodeLoad {
  at: string;
  streams: number;
  viewers: number;
  ingressKbps: number;
  egressKbps: number;
  cpu: number;
  cores: number;
  memRssMb: number;
  rtpPortsFree: number;
  rtpPortsTotal: number;
  disks: Array<{ path: string; freeBytes: number; totalBytes: number }>;
}

export interface NodeRow {
  id: string;
  role: string;
  online: boolean;
  lastSeen: string;
  load?: NodeLoad;
  warning?: string;
}

export interface StatusReport {
  at: string;
  overall: 'ok' | 'degraded' | 'down';
  role: string;
  nodeId: string;
  components: Component[];
  nodes: NodeRow[];
}

export const opsApi = {
  kinds: () => http.get<{ items: AlertKindInfo[] }>('/alerts/kinds'),
  rules: () => http.get<{ items: AlertRule[] }>('/alerts/rules'),
  createRule: (r: AlertRuleInput) => http.post<AlertRule>('/alerts/rules', r),
  updateRule: (id: string, r: Partial<AlertRuleInput>) => http.patch<AlertRule>(`/alerts/rules/${id}`, r),
  deleteRule: (id: string) => http.del(`/alerts/rules/${id}`),
  alerts: (q: Query) => http.get<Page<Alert>>('/alerts', q),
  evaluate: () => http.post<{ items: Alert[] }>('/alerts/evaluate'),
  tickets: (q: Query) => http.get<Page<Ticket>>('/tickets', q),
  openTicket: (title: string, description?: string) => http.post<Ticket>('/tickets', { title, description }),
  respond: (id: number, note?: string) => http.post<Ticket>(`/tickets/${id}/respond`, { note }),
  close: (id: number, note?: string) => http.post<Ticket>(`/tickets/${id}/close`, { note }),
  report: (month: string) => http.get<MonthlyReport>('/tickets/report', { month }),
  reportXlsx: (month: string) => downloadFile('/tickets/report', { month, format: 'xlsx' }, `tickets-${month}.xlsx`),
  status: () => http.get<StatusReport>('/status'),
};

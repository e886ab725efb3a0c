import { downloadFile, http, request, type Query } from './http';

/** GA/T 751-2008 channel naming (server: src/api/routes/naming.ts, docs/naming.md). */
export const RULE_CODES = ['EMPTY', 'DEFAULT_NAME', 'WHITESPACE', 'CHARSET', 'PUNCT_RUN', 'TOO_LONG', 'NO_LOCATION', 'DIRECTION_NOT_LAST', 'DIRECTION_MISSING', 'PATTERN', 'DUPLICATE'] as const;
export type RuleCode = (typeof RULE_CODES)[number];

export interface NamingRules {
  maxLength: number;
  minLocationChars: number;
  separators: string;
  directions: string[];
  directionLinks: string[];
  requireDirection: boolean;
  exemptPtzDomes: boolean;
  uniqueInOrg: boolean;
  pattern: string;
  redundantPrefixes: string[];
}

export interface Violation {
  code: RuleCode;
  message: string;
}

export interface ReportItem {
  channelId: string;
  deviceId: string;
  orgId: string | null;
  name: string;
  online: boolean;
  sourceType: string | null;
  violations: Violation[];
  suggestion: string | null;
  lossy: boolean;
}

export interface NamingReport {
  items: ReportItem[];
  total: number;
  page: number;
  pageSize: number;
  summary: { checked: number; violating: number; fixable: number; byRule: Partial<Record<RuleCode, number>>; rules: NamingRules; ms: number };
}

export interface FixItem {
  channelId: string;
  from: string;
  to: string | null;
  status: 'rename' | 'unchanged' | 'skipped' | 'invalid';
  violations: Violation[];
  osd?: { ok: boolean; code?: string; message?: string };
}

export interface FixResult {
  dryRun: boolean;
  renamed: number;
  items: FixItem[];
}

export interface OsdResult {
  channelId: string;
  ok: boolean;
  code?: string;
  message?: string;
}

export interface FixRequest {
  channelIds: string[];
  mode: 'suggested' | 'manual';
  names?: string[];
  dryRun?: boolean;
  pushOsd?: boolean;
}

export const namingApi = {
  report: (q: Query) => http.get<NamingReport>('/naming/report', q),
  exportFile: (q: Query, format: 'csv' | 'xlsx') => downloadFile('/naming/report/export', { ...q, format }, `naming-report.${format}`),
  rules: () => http.get<NamingRules>('/naming/rules'),
  saveRules: (r: Partial<NamingRules>) => request<NamingRules>('PUT', '/naming/rules', { body: r }),
  fix: (body: FixRequest) => http.post<FixResult>('/naming/fix', body),
  pushOsd: (channelIds: string[]) => http.post<{ ok: number; failed: number; items: OsdResult[] }>('/naming/osd', { channelIds }),
};

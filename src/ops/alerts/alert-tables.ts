import type { Generated } from 'kysely';

/**
 * Tables of alert rules, alerts and fault tickets (issue 14 §4, migration 011_alerts), merged into the shared `DB`
 * interface so this feature keeps its store in its own files. Times ISO 8601 UTC text, booleans 0/1, JSON as text.
 */
export interface AlertRulesTable {
  id: string;
  name: string;
  kind: string;
  threshold: number;
  for_minutes: number;
  enabled: number;
  org_id: string | null;
  /** JSON string[] of webhook URLs */
  webhooks: string;
  created_at: string;
  updated_at: string;
  updated_by: string | null;
}

export interface AlertsTable {
  id: Generated<number>;
  rule_id: string;
  kind: string;
  /** what the alert is about, unique within the rule: a device ID, a channel ID, a storage root, a node … */
  subject: string;
  subject_name: string | null;
  device_id: string | null;
  channel_id: string | null;
  message: string;
  value: number | null;
  /** pending | firing | cleared */
  state: string;
  /** when the condition was first seen holding */
  since: string;
  fired_at: string | null;
  cleared_at: string | null;
  ticket_id: number | string | null;
}

export interface FaultTicketsTable {
  id: Generated<number>;
  title: string;
  description: string | null;
  /** alert | manual */
  source: string;
  alert_id: number | string | null;
  /** the alert kind, for the monthly report */
  kind: string | null;
  /** open | responded | recovered */
  state: string;
  opened_at: string;
  opened_by: string | null;
  responded_at: string | null;
  responded_by: string | null;
  response_note: string | null;
  recovered_at: string | null;
  recovered_by: string | null;
  recovery_note: string | null;
}

declare module '../../store/schema.js' {
  interface DB {
    alert_rules: AlertRulesTable;
    alerts: AlertsTable;
    fault_tickets: FaultTicketsTable;
  }
}

import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';

export type RecordMode = 'always' | 'schedule' | 'alarm' | 'off';

/** A weekly window: ISO weekdays 1 (Mon) … 7 (Sun), local times HH:MM (to may be 24:00). */
export interface RecordWindow {
  days: number[];
  from: string;
  to: string;
}

export interface RecordPlan {
  channelId: string;
  mode: RecordMode;
  schedule: RecordWindow[];
  /** on alarm: seconds kept before the alarm (the stream is held while the plan is active) and recorded after it */
  preSeconds: number;
  postSeconds: number;
  stream: 'main' | 'sub';
  /** null: the org's, else the platform default (30 days) */
  retentionDays: number | null;
  /** per-channel space limit; the oldest segments go first when exceeded */
  quotaMb: number | null;
  updatedAt: string;
  updatedBy: string | null;
}

export class RecordPlanRepo {
  constructor(private readonly db: Kysely<DB>) {}

  async get(channelId: string): Promise<RecordPlan | undefined> {
    const r = await this.db.selectFrom('record_plans').selectAll().where('channel_id', '=', channelId).executeTakeFirst();
    return r ? toPlan(r) : undefined;
  }

  /** Plans that may record at some time (mode not off). */
  async active(): Promise<RecordPlan[]> {
    const rows = await this.db.selectFrom('record_plans').selectAll().where('mode', '!=', 'off').execute();
    return rows.map(toPlan);
  }

  async all(): Promise<RecordPlan[]> {
    return (await this.db.selectFrom('record_plans').selectAll().execute()).map(toPlan);
  }

  async put(p: RecordPlan): Promise<void> {
    const row = {
      channel_id: p.channelId,
      mode: p.mode,
      schedule: JSON.stringify(p.schedule),
      pre_seconds: p.preSeconds,
      post_seconds: p.postSeconds,
      stream: p.stream,
      retention_days: p.retentionDays,
      quota_mb: p.quotaMb,
      updated_at: p.updatedAt,
      updated_by: p.updatedBy,
    };
    await this.db
      .insertInto('record_plans')
      .values(row)
      .onConflict((oc) => oc.column('channel_id').doUpdateSet({ ...row, channel_id: undefined } as never))
      .execute();
  }

  async delete(channelId: string): Promise<void> {
    await this.db.deleteFrom('record_plans').where('channel_id', '=', channelId).execute();
  }

  /** Retention per org (null = inherit from the parent org, then the platform default). */
  async orgRetention(): Promise<Map<string, { parentId: string | null; days: number | null }>> {
    const rows = await this.db.selectFrom('orgs').select(['id', 'parent_id', 'record_retention_days']).execute();
    return new Map(rows.map((r) => [r.id, { parentId: r.parent_id, days: r.record_retention_days ?? null }]));
  }

  async setOrgRetention(orgId: string, days: number | null): Promise<boolean> {
    const r = await this.db.updateTable('orgs').set({ record_retention_days: days }).where('id', '=', orgId).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}

function toPlan(r: DB['record_plans'] extends infer T ? T : never): RecordPlan {
  let schedule: RecordWindow[] = [];
  try {
    schedule = r.schedule ? (JSON.parse(r.schedule) as RecordWindow[]) : [];
  } catch {
    schedule = [];
  }
  return {
    channelId: r.channel_id,
    mode: r.mode as RecordMode,
    schedule,
    preSeconds: Number(r.pre_seconds),
    postSeconds: Number(r.post_seconds),
    stream: r.stream === 'sub' ? 'sub' : 'main',
    retentionDays: r.retention_days === null ? null : Number(r.retention_days),
    quotaMb: r.quota_mb === null ? null : Number(r.quota_mb),
    updatedAt: r.updated_at,
    updatedBy: r.updated_by,
  };
}

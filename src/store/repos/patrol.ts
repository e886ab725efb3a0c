import type { Kysely, Selectable } from 'kysely';
import { parseJson } from '../paging.js';
import type { DB, PatrolPlansTable, PatrolRunsTable, PatrolTasksTable } from '../schema.js';

/** One step of a patrol task: a channel and, optionally, its own dwell time (else the task's). */
export interface PatrolItem {
  channelId: string;
  dwellSeconds?: number;
}

export interface PatrolTask {
  id: string;
  name: string;
  /** panes per page (a live-wall layout: 1, 4, 6, 8, 9, 16, 25, 36) */
  layout: number;
  /** default dwell of an item, seconds */
  dwellSeconds: number;
  /** `channels`: the ordered `items`; `org`: every channel under `orgId` (by name), resolved at each page turn */
  source: 'channels' | 'org';
  orgId: string | null;
  includeChildren: boolean;
  items: PatrolItem[];
  /** INVITE the next page's streams a few seconds before the page turns */
  preload: boolean;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A time window in SHARPEYE_TZ local time: on the ISO weekdays `days` and/or the dates `dates` (none = every day). */
export interface PatrolWindow {
  days?: number[];
  dates?: string[];
  from: string;
  to: string;
}

export interface PatrolPlan {
  id: string;
  name: string;
  taskId: string;
  /** the display the plan drives; two enabled plans on one wall may not have overlapping windows */
  wall: string;
  windows: PatrolWindow[];
  enabled: boolean;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What the scheduler keeps of a run (a started task or a plan) so it survives a restart. */
export interface PatrolRunRow {
  key: string;
  kind: 'task' | 'plan';
  refId: string;
  running: boolean;
  paused: boolean;
  /** 0-based index of the page shown */
  page: number;
  pageStartedAt: string | null;
  /** time left on the page while paused */
  remainingMs: number | null;
  /** started by hand: a plan run started by hand is not stopped by the end of a window */
  manual: boolean;
  /** a plan stopped by hand stays stopped until this time (the end of the window it was stopped in) */
  suppressedUntil: string | null;
  /** user whose channel scope builds the pages */
  runAs: string | null;
  cycle: number;
  startedAt: string | null;
  updatedAt: string;
}

export interface ChannelRef {
  id: string;
  orgId: string | null;
  name: string;
}

const toTask = (r: Selectable<PatrolTasksTable>): PatrolTask => ({
  id: r.id,
  name: r.name,
  layout: Number(r.layout),
  dwellSeconds: Number(r.dwell_seconds),
  source: r.source === 'org' ? 'org' : 'channels',
  orgId: r.org_id,
  includeChildren: Boolean(r.include_children),
  items: parseJson<PatrolItem[]>(r.items, []),
  preload: Boolean(r.preload),
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toPlan = (r: Selectable<PatrolPlansTable>): PatrolPlan => ({
  id: r.id,
  name: r.name,
  taskId: r.task_id,
  wall: r.wall,
  windows: parseJson<PatrolWindow[]>(r.windows, []),
  enabled: Boolean(r.enabled),
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toRun = (r: Selectable<PatrolRunsTable>): PatrolRunRow => ({
  key: r.key,
  kind: r.kind === 'plan' ? 'plan' : 'task',
  refId: r.ref_id,
  running: Boolean(r.running),
  paused: Boolean(r.paused),
  page: Number(r.page),
  pageStartedAt: r.page_started_at,
  remainingMs: r.remaining_ms === null ? null : Number(r.remaining_ms),
  manual: Boolean(r.manual),
  suppressedUntil: r.suppressed_until,
  runAs: r.run_as,
  cycle: Number(r.cycle),
  startedAt: r.started_at,
  updatedAt: r.updated_at,
});

export type TaskInput = Omit<PatrolTask, 'createdAt' | 'updatedAt'>;
export type PlanInput = Omit<PatrolPlan, 'createdAt' | 'updatedAt'>;

const taskColumns = (t: Partial<TaskInput>): Partial<PatrolTasksTable> => {
  const c: Partial<PatrolTasksTable> = {};
  if (t.name !== undefined) c.name = t.name;
  if (t.layout !== undefined) c.layout = t.layout;
  if (t.dwellSeconds !== undefined) c.dwell_seconds = t.dwellSeconds;
  if (t.source !== undefined) c.source = t.source;
  if (t.orgId !== undefined) c.org_id = t.orgId;
  if (t.includeChildren !== undefined) c.include_children = t.includeChildren ? 1 : 0;
  if (t.items !== undefined) c.items = JSON.stringify(t.items);
  if (t.preload !== undefined) c.preload = t.preload ? 1 : 0;
  return c;
};

const planColumns = (p: Partial<PlanInput>): Partial<PatrolPlansTable> => {
  const c: Partial<PatrolPlansTable> = {};
  if (p.name !== undefined) c.name = p.name;
  if (p.taskId !== undefined) c.task_id = p.taskId;
  if (p.wall !== undefined) c.wall = p.wall;
  if (p.windows !== undefined) c.windows = JSON.stringify(p.windows);
  if (p.enabled !== undefined) c.enabled = p.enabled ? 1 : 0;
  return c;
};

/** Patrol tasks, plans and run state (issue 10). */
export class PatrolRepo {
  constructor(private readonly db: Kysely<DB>) {}

  async tasks(): Promise<PatrolTask[]> {
    return (await this.db.selectFrom('patrol_tasks').selectAll().orderBy('name').orderBy('id').execute()).map(toTask);
  }

  async task(id: string): Promise<PatrolTask | undefined> {
    const r = await this.db.selectFrom('patrol_tasks').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toTask(r) : undefined;
  }

  async createTask(t: TaskInput, now: string): Promise<void> {
    await this.db
      .insertInto('patrol_tasks')
      .values({ id: t.id, created_by: t.createdBy, created_at: now, updated_at: now, ...taskColumns(t) } as PatrolTasksTable)
      .execute();
  }

  async updateTask(id: string, t: Partial<TaskInput>, now: string): Promise<boolean> {
    const r = await this.db.updateTable('patrol_tasks').set({ ...taskColumns(t), updated_at: now }).where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async deleteTask(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('patrol_tasks').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async plans(): Promise<PatrolPlan[]> {
    return (await this.db.selectFrom('patrol_plans').selectAll().orderBy('name').orderBy('id').execute()).map(toPlan);
  }

  async plan(id: string): Promise<PatrolPlan | undefined> {
    const r = await this.db.selectFrom('patrol_plans').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toPlan(r) : undefined;
  }

  async createPlan(p: PlanInput, now: string): Promise<void> {
    await this.db
      .insertInto('patrol_plans')
      .values({ id: p.id, created_by: p.createdBy, created_at: now, updated_at: now, ...planColumns(p) } as PatrolPlansTable)
      .execute();
  }

  async updatePlan(id: string, p: Partial<PlanInput>, now: string): Promise<boolean> {
    const r = await this.db.updateTable('patrol_plans').set({ ...planColumns(p), updated_at: now }).where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async deletePlan(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('patrol_plans').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async runs(): Promise<PatrolRunRow[]> {
    return (await this.db.selectFrom('patrol_runs').selectAll().execute()).map(toRun);
  }

  async saveRun(r: PatrolRunRow): Promise<void> {
    const row: PatrolRunsTable = {
      key: r.key,
      kind: r.kind,
      ref_id: r.refId,
      running: r.running ? 1 : 0,
      paused: r.paused ? 1 : 0,
      page: r.page,
      page_started_at: r.pageStartedAt,
      remaining_ms: r.remainingMs === null ? null : Math.round(r.remainingMs),
      manual: r.manual ? 1 : 0,
      suppressed_until: r.suppressedUntil,
      run_as: r.runAs,
      cycle: r.cycle,
      started_at: r.startedAt,
      updated_at: r.updatedAt,
    };
    const { key: _k, ...set } = row;
    await this.db
      .insertInto('patrol_runs')
      .values(row)
      .onConflict((oc) => oc.column('key').doUpdateSet(set))
      .execute();
  }

  async deleteRun(key: string): Promise<void> {
    await this.db.deleteFrom('patrol_runs').where('key', '=', key).execute();
  }

  /** The channels among `ids` that still exist (deleted ones are absent), with their org for visibility checks. */
  async channelRefs(ids: string[]): Promise<Map<string, ChannelRef>> {
    const out = new Map<string, ChannelRef>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 500) {
      const rows = await this.db
        .selectFrom('channels')
        .select(['id', 'org_id', 'name'])
        .where('id', 'in', unique.slice(i, i + 500))
        .execute();
      for (const r of rows) out.set(r.id, { id: r.id, orgId: r.org_id, name: r.name });
    }
    return out;
  }

  /** Every channel directly in one of the orgs, by name then id (the order of an org patrol). */
  async channelsInOrgs(orgIds: string[]): Promise<ChannelRef[]> {
    if (!orgIds.length) return [];
    const rows = await this.db.selectFrom('channels').select(['id', 'org_id', 'name']).where('org_id', 'in', orgIds).orderBy('name').orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, orgId: r.org_id, name: r.name }));
  }
}

import { randomUUID } from 'node:crypto';
import { channelVisible, type Principal } from '../auth/access.js';
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { Store } from '../store/index.js';
import type { PatrolItem, PatrolPlan, PatrolTask, PatrolWindow } from '../store/repos/patrol.js';
import { MAX_DWELL_S, MIN_DWELL_S, PATROL_LAYOUTS } from './pages.js';
import type { PatrolService } from './patrol-service.js';
import { overlap, windowErrors } from './windows.js';

export interface TaskBody {
  name: string;
  layout: number;
  dwellSeconds: number;
  source?: 'channels' | 'org';
  items?: PatrolItem[];
  orgId?: string | null;
  includeChildren?: boolean;
  preload?: boolean;
}

export interface PlanBody {
  name: string;
  taskId: string;
  wall?: string;
  windows: PatrolWindow[];
  enabled?: boolean;
}

/** A task as one user sees it: items outside their scope are left out and counted; deleted channels are listed. */
export interface TaskView extends PatrolTask {
  hiddenItems: number;
  missingChannelIds: string[];
  running: boolean;
}

export interface PlanView extends PatrolPlan {
  taskName: string | null;
  running: boolean;
}

const invalid = (message: string, details?: unknown) => new AppError('VALIDATION_FAILED', message, details);

/**
 * Patrol tasks and plans (CRUD and their rules): layouts, dwell 5 s … 24 h, channels that exist and that the author
 * may see, windows that are well formed, and no two enabled plans on one wall with overlapping windows (rejected
 * with PATROL_PLAN_OVERLAP naming the other plan — there is no silent priority).
 */
export class PatrolCatalog {
  constructor(private readonly d: { store: Store; clock: Clock; bus: EventBus; engine: PatrolService }) {}

  private nowIso(): string {
    return this.d.clock.now().toISOString();
  }

  private changed(kind: 'task' | 'plan', id: string, what: 'created' | 'updated' | 'deleted'): void {
    this.d.bus.emit('event', { type: 'patrol.changed', at: this.nowIso(), permission: 'patrol.manage', data: { kind, id, what } });
  }

  // ---------------------------------------------------------------- tasks

  private async view(t: PatrolTask, p: Principal): Promise<TaskView> {
    const refs = await this.d.store.patrol.channelRefs(t.items.map((i) => i.channelId));
    const items = t.items.filter((i) => {
      const r = refs.get(i.channelId);
      return !r || channelVisible(p, r);
    });
    const missing = [...new Set(t.items.filter((i) => !refs.has(i.channelId)).map((i) => i.channelId))];
    return { ...t, items: items.filter((i) => refs.has(i.channelId)), hiddenItems: t.items.length - items.length, missingChannelIds: missing, running: this.d.engine.isRunning('task', t.id) };
  }

  async listTasks(p: Principal): Promise<TaskView[]> {
    return Promise.all((await this.d.store.patrol.tasks()).map((t) => this.view(t, p)));
  }

  async task(id: string, p: Principal): Promise<TaskView> {
    const t = await this.d.store.patrol.task(id);
    if (!t) throw new AppError('NOT_FOUND', `no patrol task ${id} (巡逻任务不存在)`);
    return this.view(t, p);
  }

  private dwellCheck(s: number, what: string): void {
    if (!Number.isInteger(s) || s < MIN_DWELL_S || s > MAX_DWELL_S) throw invalid(`${what} must be ${MIN_DWELL_S} … ${MAX_DWELL_S} seconds (停留时间 5 秒至 24 小时)`, { field: what, value: s });
  }

  /** Name, layout and dwell times. */
  private checkShape(b: TaskBody): void {
    if (!b.name?.trim()) throw invalid('name required');
    if (!(PATROL_LAYOUTS as readonly number[]).includes(b.layout)) throw invalid(`layout must be one of ${PATROL_LAYOUTS.join(', ')}`, { field: 'layout', value: b.layout });
    this.dwellCheck(b.dwellSeconds, 'dwellSeconds');
    for (const [k, i] of (b.items ?? []).entries()) if (i.dwellSeconds !== undefined) this.dwellCheck(i.dwellSeconds, `items[${k}].dwellSeconds`);
  }

  /** What the task shows: an org the author may see, or channels that exist and the author may see. */
  private async checkSource(b: TaskBody, p: Principal): Promise<void> {
    if ((b.source ?? 'channels') === 'org') {
      if (!b.orgId || !(await this.d.store.orgs.get(b.orgId))) throw invalid(`orgId ${b.orgId ?? '(none)'} is not an organisation`, { field: 'orgId' });
      if (!p.scope.all && !p.scope.orgIds.includes(b.orgId)) throw new AppError('FORBIDDEN', `organisation ${b.orgId} is outside your scope (无权限)`);
      return;
    }
    const items = b.items ?? [];
    if (!items.length) throw invalid('a task needs at least one channel (items), or source "org" with an orgId');
    const refs = await this.d.store.patrol.channelRefs(items.map((i) => i.channelId));
    // unknown and hidden channels are reported alike (no existence leak)
    const bad = [...new Set(items.map((i) => i.channelId).filter((id) => !refs.has(id) || !channelVisible(p, refs.get(id)!)))];
    if (bad.length) throw invalid(`unknown channels: ${bad.slice(0, 20).join(', ')}${bad.length > 20 ? ' …' : ''} (通道不存在或无权限)`, { channelIds: bad });
  }

  /** A user may change a task only when they can see every channel still in it. */
  private async assertEditable(t: PatrolTask, p: Principal): Promise<void> {
    if (p.scope.all) return;
    const v = await this.view(t, p);
    if (v.hiddenItems > 0) throw new AppError('FORBIDDEN', 'this task contains channels outside your scope (任务包含无权限通道)');
  }

  async createTask(b: TaskBody, p: Principal): Promise<TaskView> {
    this.checkShape(b);
    await this.checkSource(b, p);
    const id = randomUUID();
    const source = b.source ?? 'channels';
    await this.d.store.patrol.createTask(
      { id, name: b.name.trim(), layout: b.layout, dwellSeconds: b.dwellSeconds, source, orgId: source === 'org' ? (b.orgId ?? null) : null, includeChildren: b.includeChildren ?? true, items: source === 'org' ? [] : (b.items ?? []), preload: b.preload ?? true, createdBy: p.userId },
      this.nowIso(),
    );
    this.changed('task', id, 'created');
    return this.task(id, p);
  }

  async updateTask(id: string, patch: Partial<TaskBody>, p: Principal): Promise<TaskView> {
    const cur = await this.d.store.patrol.task(id);
    if (!cur) throw new AppError('NOT_FOUND', `no patrol task ${id} (巡逻任务不存在)`);
    await this.assertEditable(cur, p);
    const merged: TaskBody = { name: cur.name, layout: cur.layout, dwellSeconds: cur.dwellSeconds, source: cur.source, items: cur.items, orgId: cur.orgId, includeChildren: cur.includeChildren, preload: cur.preload, ...patch };
    this.checkShape(merged);
    // a patch that keeps the channel list does not re-check it: channels deleted since are skipped when shown
    if (patch.items !== undefined || patch.source !== undefined || patch.orgId !== undefined) await this.checkSource(merged, p);
    const source = merged.source ?? 'channels';
    await this.d.store.patrol.updateTask(
      id,
      { name: merged.name.trim(), layout: merged.layout, dwellSeconds: merged.dwellSeconds, source, orgId: source === 'org' ? (merged.orgId ?? null) : null, includeChildren: merged.includeChildren ?? true, items: source === 'org' ? [] : (merged.items ?? []), preload: merged.preload ?? true },
      this.nowIso(),
    );
    await this.d.engine.taskChanged(id);
    this.changed('task', id, 'updated');
    return this.task(id, p);
  }

  async deleteTask(id: string, p: Principal): Promise<void> {
    const cur = await this.d.store.patrol.task(id);
    if (!cur) throw new AppError('NOT_FOUND', `no patrol task ${id} (巡逻任务不存在)`);
    await this.assertEditable(cur, p);
    const users = (await this.d.store.patrol.plans()).filter((pl) => pl.taskId === id);
    if (users.length) throw new AppError('PATROL_IN_USE', `task "${cur.name}" is used by plan(s) ${users.map((u) => `"${u.name}"`).join(', ')} (任务被巡逻计划使用)`, { planIds: users.map((u) => u.id) });
    await this.d.engine.taskDeleted(id);
    await this.d.store.patrol.deleteTask(id);
    this.changed('task', id, 'deleted');
  }

  // ---------------------------------------------------------------- plans

  private async planView(pl: PatrolPlan): Promise<PlanView> {
    const t = await this.d.store.patrol.task(pl.taskId);
    return { ...pl, taskName: t?.name ?? null, running: this.d.engine.isRunning('plan', pl.id) };
  }

  async listPlans(): Promise<PlanView[]> {
    return Promise.all((await this.d.store.patrol.plans()).map((pl) => this.planView(pl)));
  }

  async plan(id: string): Promise<PlanView> {
    const pl = await this.d.store.patrol.plan(id);
    if (!pl) throw new AppError('NOT_FOUND', `no patrol plan ${id} (巡逻计划不存在)`);
    return this.planView(pl);
  }

  private async checkPlan(b: Required<PlanBody>, selfId: string | null): Promise<void> {
    if (!b.name?.trim()) throw invalid('name required');
    if (!(await this.d.store.patrol.task(b.taskId))) throw invalid(`taskId ${b.taskId} is not a patrol task`, { field: 'taskId' });
    const errs = windowErrors(b.windows);
    if (errs.length) throw invalid(errs.join('; '), { windows: errs });
    if (!b.enabled) return;
    for (const other of await this.d.store.patrol.plans()) {
      if (other.id === selfId || !other.enabled || other.wall !== b.wall) continue;
      const o = overlap(b.windows, other.windows);
      if (o) {
        const w = other.windows[o.b]!;
        throw new AppError('PATROL_PLAN_OVERLAP', `windows[${o.a}] overlaps plan "${other.name}" (${w.from}–${w.to}) on wall "${b.wall}" (同一显示墙的巡逻计划时间重叠)`, { planId: other.id, planName: other.name, window: o.a, otherWindow: o.b });
      }
    }
  }

  async createPlan(b: PlanBody, p: Principal): Promise<PlanView> {
    const full: Required<PlanBody> = { wall: 'default', enabled: true, ...b, name: b.name?.trim() };
    await this.checkPlan(full, null);
    const id = randomUUID();
    await this.d.store.patrol.createPlan({ id, name: full.name, taskId: full.taskId, wall: full.wall, windows: full.windows, enabled: full.enabled, createdBy: p.userId }, this.nowIso());
    await this.d.engine.planChanged(id);
    this.changed('plan', id, 'created');
    return this.plan(id);
  }

  async updatePlan(id: string, patch: Partial<PlanBody>): Promise<PlanView> {
    const cur = await this.d.store.patrol.plan(id);
    if (!cur) throw new AppError('NOT_FOUND', `no patrol plan ${id} (巡逻计划不存在)`);
    const full: Required<PlanBody> = { name: cur.name, taskId: cur.taskId, wall: cur.wall, windows: cur.windows, enabled: cur.enabled, ...patch };
    full.name = full.name?.trim();
    await this.checkPlan(full, id);
    await this.d.store.patrol.updatePlan(id, full, this.nowIso());
    await this.d.engine.planChanged(id);
    this.changed('plan', id, 'updated');
    return this.plan(id);
  }

  async deletePlan(id: string): Promise<void> {
    if (!(await this.d.store.patrol.plan(id))) throw new AppError('NOT_FOUND', `no patrol plan ${id} (巡逻计划不存在)`);
    await this.d.engine.planDeleted(id);
    await this.d.store.patrol.deletePlan(id);
    this.changed('plan', id, 'deleted');
  }
}

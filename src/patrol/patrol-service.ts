import { channelVisible, type AccessService, type Principal } from '../auth/access.js';
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../store/index.js';
import { expandOrgIds } from '../store/repos/orgs.js';
import type { Channel } from '../store/repos/channels.js';
import type { ChannelRef, PatrolPlan, PatrolRunRow, PatrolTask } from '../store/repos/patrol.js';
import { ALL_CHANNELS } from '../store/scope.js';
import { buildPages, stepPage, type PageItem } from './pages.js';
import { shapeState, type PatrolAction, type PatrolKind, type PatrolState, type Run } from './patrol-state.js';
import { windowEndAt } from './windows.js';

/** The part of LiveService the scheduler uses: start (or join) a channel's stream with nobody watching yet. */
export interface StreamOpener {
  openStream(channel: Channel, want: 'main' | 'sub'): Promise<unknown>;
}

export interface PatrolSettings {
  /** how often the scheduler looks at the clock */
  tickMs: number;
  /** the next page's streams are INVITEd this long before the page turns (at most half the dwell) */
  preloadMs: number;
  /** a running patrol with nothing to show looks again this often */
  emptyRecheckMs: number;
  /** plans are re-read from the database this often (another control node may have changed them) */
  planReloadMs: number;
}

export const DEFAULT_PATROL_SETTINGS: PatrolSettings = { tickMs: 250, preloadMs: 3000, emptyRecheckMs: 10_000, planReloadMs: 30_000 };

export interface PatrolDeps {
  store: Store;
  access: AccessService;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  /** SHARPEYE_TZ: the zone of plan windows */
  tz: string;
  live?: StreamOpener;
  settings?: Partial<PatrolSettings>;
}

const keyOf = (kind: PatrolKind, id: string) => `${kind}:${id}`;

/**
 * Electronic patrol (R4): runs tasks and plans on the server. Each run (a started task, or a plan in or started
 * outside its windows) keeps its page, pause and timing in `patrol_runs`, so it goes on with no browser open and
 * after a restart; every change is pushed as `patrol.state` so every console watching shows the same page. Pages are
 * built with the channel scope of the user who started the run (a plan's owner when its window starts it); each
 * receiver sees only the channels of that page it may see. The next page's streams are INVITEd a few seconds before
 * the page turns so it opens without black panes.
 */
export class PatrolService {
  readonly settings: PatrolSettings;
  private readonly runs = new Map<string, Run>();
  private plans = new Map<string, PatrolPlan>();
  private chains = new Map<string, Promise<unknown>>();
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private plansLoadedAt = 0;
  private offBus?: () => void;
  private seq = 0;
  /** pre-INVITEs sent (channel ids), for metrics and tests */
  readonly preinvited: { at: number; runKey: string; channelId: string }[] = [];

  constructor(private readonly d: PatrolDeps) {
    this.settings = { ...DEFAULT_PATROL_SETTINGS, ...d.settings };
  }

  private now(): number {
    return this.d.clock.now().getTime();
  }

  /** Restores the runs that were going when the platform stopped and starts the scheduler. */
  async start(): Promise<void> {
    await this.reloadPlans();
    for (const row of await this.d.store.patrol.runs()) {
      const run = await this.restore(row).catch((e) => {
        this.d.log.warn({ run: row.key, err: (e as Error).message }, 'patrol run not restored');
        return undefined;
      });
      if (run) this.runs.set(row.key, run);
    }
    const restored = [...this.runs.values()].filter((r) => r.row.running);
    if (restored.length) this.d.log.info({ runs: restored.map((r) => `${r.row.key} page ${r.row.page + 1}/${r.pages.length}${r.row.paused ? ' paused' : ''}`) }, 'patrol runs restored');
    this.offBus = this.d.bus.on('event', (e) => {
      // a channel (or a whole device) went away: pages that showed it close up at once
      if (e.type === 'channel.deleted' || e.type === 'device.deleted') for (const r of this.runs.values()) if (r.row.running) void this.serial(r.row.key, () => this.rebuild(r, 0));
    });
    this.timer = setInterval(() => {
      if (!this.ticking) void this.tick();
    }, this.settings.tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.offBus?.();
    await this.ticking;
    await Promise.allSettled([...this.chains.values()]);
  }

  /** Operations on one run happen one after the other (scheduler turns and operators' clicks race otherwise). */
  private serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(key) ?? Promise.resolve();
    const p = prev.then(fn, fn);
    const tail = p.catch(() => undefined);
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return p;
  }

  async reloadPlans(): Promise<void> {
    this.plans = new Map((await this.d.store.patrol.plans()).map((p) => [p.id, p]));
    this.plansLoadedAt = this.now();
  }

  // ---------------------------------------------------------------- pages

  /** The items of a task in order: its channel list, or every channel under its org node. */
  private async items(task: PatrolTask): Promise<PageItem[]> {
    if (task.source === 'org' && task.orgId) {
      const orgIds = task.includeChildren ? expandOrgIds(await this.d.store.orgs.all(), [task.orgId]) : [task.orgId];
      const chans = await this.d.store.patrol.channelsInOrgs(orgIds);
      return chans.map((c) => ({ channel: c, dwellSeconds: task.dwellSeconds }));
    }
    const refs = await this.d.store.patrol.channelRefs(task.items.map((i) => i.channelId));
    return task.items.map((i) => ({ channel: refs.get(i.channelId), dwellSeconds: i.dwellSeconds ?? task.dwellSeconds }));
  }

  private async runVisibility(runAs: string | null): Promise<(ch: ChannelRef) => boolean> {
    if (!runAs) return () => true;
    const user = await this.d.store.users.get(runAs, this.d.clock.now().toISOString()).catch(() => undefined);
    if (!user || !user.enabled) return () => false;
    const p = await this.d.access.principalForUser(runAs, user.username);
    return (ch) => channelVisible(p, ch);
  }

  /** Recomputes the pages of a run; `delta` moves the page (0 keeps it, clamped); resets the page timer when it moves. */
  private async rebuild(run: Run, delta: number, opts: { resetTimer?: boolean } = {}): Promise<void> {
    const now = this.now();
    const { row } = run;
    if (!row.running) return;
    if (row.kind === 'plan') run.plan = (await this.d.store.patrol.plan(row.refId)) ?? run.plan;
    const taskId = row.kind === 'plan' ? run.plan?.taskId : row.refId;
    run.task = taskId ? await this.d.store.patrol.task(taskId) : undefined;
    if (!run.task) {
      run.pages = [];
      run.reason = 'task-missing';
    } else {
      run.pages = buildPages(await this.items(run.task), run.task.layout, await this.runVisibility(row.runAs));
      run.reason = run.pages.length ? null : 'no-visible-channels';
    }
    run.lastBuild = now;
    let moved = delta !== 0 || !!opts.resetTimer;
    if (!run.pages.length) {
      row.page = 0;
      run.deadline = null;
      row.pageStartedAt = null;
    } else {
      if (row.page >= run.pages.length) {
        row.page = 0;
        moved = true;
      }
      if (delta !== 0) {
        const s = stepPage(row.page, delta, run.pages.length);
        if (s.wrapped) row.cycle++;
        row.page = s.page;
      }
      // a patrol that had nothing to show (or lost its page timer) starts the page it now has afresh
      if (!moved && !row.paused && !row.pageStartedAt) moved = true;
      const dwell = run.pages[row.page]!.dwellMs;
      if (moved) {
        run.preloaded = false;
        row.pageStartedAt = new Date(now).toISOString();
        if (row.paused) {
          row.remainingMs = dwell;
          run.deadline = null;
        } else run.deadline = now + dwell;
      } else if (!row.paused && row.pageStartedAt) {
        run.deadline = Date.parse(row.pageStartedAt) + dwell;
      }
    }
    await this.persist(run);
  }

  private async persist(run: Run): Promise<void> {
    run.row.updatedAt = this.d.clock.now().toISOString();
    run.seq = ++this.seq;
    if (run.row.kind === 'task' && !run.row.running) await this.d.store.patrol.deleteRun(run.row.key);
    else await this.d.store.patrol.saveRun(run.row);
    this.push(run);
  }

  /** `patrol.state` to every console allowed to patrol, each seeing only the channels of the page it may see. */
  private push(run: Run): void {
    const now = this.now();
    const snapshot: Run = { ...run, row: { ...run.row }, pages: run.pages };
    const full = shapeState(snapshot, now, () => true);
    this.d.bus.emit('event', {
      type: 'patrol.state',
      at: new Date(now).toISOString(),
      permission: 'patrol.manage',
      data: { ...full, channelIds: [], channels: [], hidden: full.channelIds.length },
      view: (visible) => shapeState(snapshot, now, visible),
    });
  }

  private async restore(row: PatrolRunRow): Promise<Run | undefined> {
    const plan = row.kind === 'plan' ? this.plans.get(row.refId) : undefined;
    if (row.kind === 'plan' && !plan) {
      await this.d.store.patrol.deleteRun(row.key);
      return undefined;
    }
    const run: Run = { row, task: undefined, plan, pages: [], deadline: null, preloaded: false, reason: null, lastBuild: 0, seq: 0 };
    if (!row.running) return run;
    await this.rebuild(run, 0);
    return run;
  }

  private blankRun(kind: PatrolKind, id: string): Run {
    const row: PatrolRunRow = {
      key: keyOf(kind, id),
      kind,
      refId: id,
      running: false,
      paused: false,
      page: 0,
      pageStartedAt: null,
      remainingMs: null,
      manual: false,
      suppressedUntil: null,
      runAs: null,
      cycle: 0,
      startedAt: null,
      updatedAt: this.d.clock.now().toISOString(),
    };
    return { row, task: undefined, plan: kind === 'plan' ? this.plans.get(id) : undefined, pages: [], deadline: null, preloaded: false, reason: null, lastBuild: 0, seq: 0 };
  }

  // ---------------------------------------------------------------- scheduler

  /** One look at the clock: plan windows opening and closing, pages turning, next pages pre-invited. */
  async tick(): Promise<void> {
    // a caller (a test, a change of plans) gets a complete look at the current time, after any look in progress
    while (this.ticking) await this.ticking;
    this.ticking = this.look().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async look(): Promise<void> {
    try {
      const now = this.now();
      if (now - this.plansLoadedAt >= this.settings.planReloadMs) await this.reloadPlans();
      for (const plan of this.plans.values()) {
        const key = keyOf('plan', plan.id);
        const run = this.runs.get(key);
        const end = plan.enabled ? windowEndAt(plan.windows, new Date(now), this.d.tz) : null;
        if (end !== null) {
          const suppressed = run?.row.suppressedUntil && Date.parse(run.row.suppressedUntil) > now;
          if (!run?.row.running && !suppressed) await this.serial(key, () => this.begin('plan', plan.id, plan.createdBy, false, true));
        } else if (run?.row.running && !run.row.manual) {
          await this.serial(key, () => this.end(run, plan.enabled ? 'window ended' : 'plan disabled'));
        }
      }
      for (const run of this.runs.values()) {
        const { row } = run;
        if (!row.running || row.paused) continue;
        if (!run.pages.length) {
          if (now - run.lastBuild >= this.settings.emptyRecheckMs) await this.serial(row.key, () => this.rebuild(run, 0, { resetTimer: true }));
          continue;
        }
        if (run.deadline !== null && now >= run.deadline) {
          await this.serial(row.key, () => this.rebuild(run, 1));
        } else if (run.deadline !== null && !run.preloaded && run.task?.preload && run.pages.length > 1) {
          const lead = Math.min(this.settings.preloadMs, run.pages[row.page]!.dwellMs / 2);
          if (run.deadline - now <= lead) this.preload(run);
        }
      }
    } catch (e) {
      this.d.log.error({ err: e }, 'patrol tick failed');
    }
  }

  /** INVITEs the next page's streams (the variant the wall plays) so they are live when the page turns. */
  private preload(run: Run): void {
    run.preloaded = true;
    const live = this.d.live;
    if (!live) return;
    const next = run.pages[stepPage(run.row.page, 1, run.pages.length).page];
    for (const ref of next?.channels ?? []) {
      this.preinvited.push({ at: this.now(), runKey: run.row.key, channelId: ref.id });
      if (this.preinvited.length > 1000) this.preinvited.splice(0, 500);
      void (async () => {
        const ch = await this.d.store.channels.get(ref.id, ALL_CHANNELS);
        if (!ch || !ch.online) return;
        // the console plays a one-pane page on the main stream and a grid on sub-streams (as the live wall does)
        await live.openStream(ch, run.task?.layout === 1 ? 'main' : 'sub');
      })().catch((e) => this.d.log.debug({ channel: ref.id, err: (e as Error).message }, 'patrol pre-invite failed'));
    }
  }

  private async begin(kind: PatrolKind, id: string, runAs: string | null, manual: boolean, auto = false): Promise<Run> {
    const key = keyOf(kind, id);
    const run = this.runs.get(key) ?? this.blankRun(kind, id);
    this.runs.set(key, run);
    const now = this.d.clock.now().toISOString();
    Object.assign(run.row, { running: true, paused: false, page: 0, cycle: 0, remainingMs: null, manual, suppressedUntil: null, runAs, startedAt: now, pageStartedAt: now });
    run.pages = [];
    await this.rebuild(run, 0, { resetTimer: true });
    if (auto) await this.auditAuto(run, 'start', 'window started');
    return run;
  }

  private async end(run: Run, why: string, suppressUntil: number | null = null): Promise<void> {
    Object.assign(run.row, { running: false, paused: false, page: 0, remainingMs: null, manual: false, pageStartedAt: null, suppressedUntil: suppressUntil ? new Date(suppressUntil).toISOString() : null });
    run.pages = [];
    run.deadline = null;
    run.reason = null;
    await this.persist(run);
    if (run.row.kind === 'task') this.runs.delete(run.row.key);
    if (why === 'window ended' || why === 'plan disabled') await this.auditAuto(run, 'stop', why);
  }

  /** Starts and stops the scheduler makes on its own go to the user log as the "scheduler" (R8: every action). */
  private async auditAuto(run: Run, action: string, why: string): Promise<void> {
    await this.d.store.logs
      .appendUser({ at: this.d.clock.now().toISOString(), userId: null, username: 'scheduler', action: `patrol.${action}`, targetType: `patrol-${run.row.kind}`, targetId: run.row.refId, detail: why, ip: null, result: 'ok' })
      .catch((e) => this.d.log.warn({ err: (e as Error).message }, 'patrol audit write failed'));
  }

  // ---------------------------------------------------------------- control and state

  private async target(kind: PatrolKind, id: string): Promise<{ task?: PatrolTask; plan?: PatrolPlan }> {
    if (kind === 'plan') {
      const plan = (await this.d.store.patrol.plan(id)) ?? undefined;
      if (!plan) throw new AppError('NOT_FOUND', `no patrol plan ${id} (巡逻计划不存在)`);
      this.plans.set(plan.id, plan);
      return { plan };
    }
    const task = await this.d.store.patrol.task(id);
    if (!task) throw new AppError('NOT_FOUND', `no patrol task ${id} (巡逻任务不存在)`);
    return { task };
  }

  /**
   * start: run now (a plan started by hand runs until stopped, windows or not); pause / resume: hold and release the
   * page timer; next / prev: turn the page by hand (while paused the page stays paused and gets its full dwell on
   * resume); stop: end the run (a plan stopped inside a window stays stopped until that window ends).
   */
  async control(kind: PatrolKind, id: string, action: PatrolAction, p: Principal): Promise<PatrolState> {
    await this.target(kind, id);
    const key = keyOf(kind, id);
    const run = await this.serial(key, async () => {
      let r = this.runs.get(key);
      if (action === 'start') {
        if (r?.row.running) {
          if (r.row.paused) await this.resume(r);
          return r;
        }
        // a plan started by hand inside one of its windows ends with the window; outside them it runs until stopped
        const plan = kind === 'plan' ? this.plans.get(id) : undefined;
        const manual = !plan || windowEndAt(plan.windows, this.d.clock.now(), this.d.tz) === null;
        return this.begin(kind, id, p.userId, manual);
      }
      if (!r?.row.running) {
        if (action === 'stop') {
          if (!r) r = this.blankRun(kind, id);
          return r;
        }
        throw new AppError('CONFLICT', `patrol ${kind} ${id} is not running (巡逻未运行)`);
      }
      switch (action) {
        case 'pause':
          if (!r.row.paused) {
            r.row.paused = true;
            r.row.remainingMs = r.deadline === null ? (r.pages[r.row.page]?.dwellMs ?? null) : Math.max(0, r.deadline - this.now());
            r.deadline = null;
            await this.persist(r);
          }
          return r;
        case 'resume':
          await this.resume(r);
          return r;
        case 'next':
        case 'prev':
          await this.rebuild(r, action === 'next' ? 1 : -1);
          return r;
        case 'stop': {
          const plan = r.plan ?? this.plans.get(id);
          const end = kind === 'plan' && plan ? windowEndAt(plan.windows, this.d.clock.now(), this.d.tz) : null;
          await this.end(r, 'stopped', end);
          return r;
        }
      }
      return r;
    });
    return shapeState(run, this.now(), (ch) => channelVisible(p, ch));
  }

  private async resume(r: Run): Promise<void> {
    if (!r.row.paused) return;
    const page = r.pages[r.row.page];
    const remaining = r.row.remainingMs ?? page?.dwellMs ?? 0;
    r.row.paused = false;
    r.row.remainingMs = null;
    if (page) {
      const now = this.now();
      r.deadline = now + remaining;
      // kept so a restart recomputes the same deadline: page start = deadline − dwell
      r.row.pageStartedAt = new Date(r.deadline - page.dwellMs).toISOString();
    }
    await this.persist(r);
  }

  async state(kind: PatrolKind, id: string, p: Principal): Promise<PatrolState> {
    await this.target(kind, id);
    const run = this.runs.get(keyOf(kind, id)) ?? this.blankRun(kind, id);
    if (!run.task && !run.row.running) run.task = kind === 'task' ? await this.d.store.patrol.task(id) : undefined;
    return shapeState(run, this.now(), (ch) => channelVisible(p, ch));
  }

  /** Every running patrol, as this user sees it (the console's "running now" list). */
  running(p: Principal): PatrolState[] {
    const now = this.now();
    return [...this.runs.values()].filter((r) => r.row.running).map((r) => shapeState(r, now, (ch) => channelVisible(p, ch)));
  }

  isRunning(kind: PatrolKind, id: string): boolean {
    return this.runs.get(keyOf(kind, id))?.row.running ?? false;
  }

  // ---------------------------------------------------------------- changes from the catalogue

  /** A task was edited: runs showing it rebuild their pages now (same page index when it still exists). */
  async taskChanged(taskId: string): Promise<void> {
    for (const r of this.runs.values()) {
      if (!r.row.running) continue;
      if ((r.row.kind === 'task' && r.row.refId === taskId) || (r.row.kind === 'plan' && this.plans.get(r.row.refId)?.taskId === taskId)) {
        await this.serial(r.row.key, () => this.rebuild(r, 0));
      }
    }
  }

  async taskDeleted(taskId: string): Promise<void> {
    const r = this.runs.get(keyOf('task', taskId));
    if (r?.row.running) await this.serial(r.row.key, () => this.end(r, 'task deleted'));
    await this.d.store.patrol.deleteRun(keyOf('task', taskId));
  }

  async planChanged(planId: string): Promise<void> {
    await this.reloadPlans();
    const r = this.runs.get(keyOf('plan', planId));
    if (r?.row.running) await this.serial(r.row.key, () => this.rebuild(r, 0));
    await this.tick();
  }

  async planDeleted(planId: string): Promise<void> {
    const key = keyOf('plan', planId);
    const r = this.runs.get(key);
    if (r?.row.running) await this.serial(key, () => this.end(r, 'plan deleted'));
    this.runs.delete(key);
    await this.d.store.patrol.deleteRun(key);
    await this.reloadPlans();
  }
}

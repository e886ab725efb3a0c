import type { ChannelRef, PatrolPlan, PatrolRunRow, PatrolTask } from '../store/repos/patrol.js';
import type { PatrolPage } from './pages.js';

export type PatrolKind = 'task' | 'plan';
export type PatrolAction = 'start' | 'pause' | 'resume' | 'next' | 'prev' | 'stop';
export const PATROL_ACTIONS: readonly PatrolAction[] = ['start', 'pause', 'resume', 'next', 'prev', 'stop'];

/**
 * What a console (or an API caller) is told about a run: `GET …/state` and the `patrol.state` push. `channelIds` are
 * the page's channels the receiver may see, in pane order; `hidden` counts the others.
 */
export interface PatrolState {
  kind: PatrolKind;
  id: string;
  name: string;
  taskId: string;
  wall: string | null;
  running: boolean;
  paused: boolean;
  /** 1-based page shown; 0 when nothing is shown */
  page: number;
  pageCount: number;
  channelIds: string[];
  channels: { id: string; name: string }[];
  hidden: number;
  layout: number;
  dwellSeconds: number;
  /** time left on the page (frozen while paused), null when not running */
  remainingMs: number | null;
  pageEndsAt: string | null;
  cycle: number;
  manual: boolean;
  /** why a running patrol shows nothing (`no-visible-channels`, `task-missing`), else null */
  reason: string | null;
  startedAt: string | null;
  /** increases with every change of this run, so a console can drop a late answer */
  seq: number;
}

/** A run in memory: the persisted row plus the pages and timer the scheduler works with. */
export interface Run {
  row: PatrolRunRow;
  task: PatrolTask | undefined;
  plan: PatrolPlan | undefined;
  pages: PatrolPage[];
  /** when the page ends (Unix ms); null while paused or empty */
  deadline: number | null;
  /** the next page's streams were pre-invited for this page */
  preloaded: boolean;
  reason: string | null;
  lastBuild: number;
  seq: number;
}

/** The state as a receiver with the given channel visibility sees it. */
export function shapeState(run: Run, now: number, visible: (ch: ChannelRef) => boolean): PatrolState {
  const { row, task, plan } = run;
  const current = row.running ? run.pages[row.page] : undefined;
  const shown = (current?.channels ?? []).filter(visible);
  const remaining = !row.running || !current ? null : row.paused ? (row.remainingMs ?? current.dwellMs) : Math.max(0, (run.deadline ?? now) - now);
  return {
    kind: row.kind,
    id: row.refId,
    name: (row.kind === 'plan' ? plan?.name : task?.name) ?? row.refId,
    taskId: task?.id ?? plan?.taskId ?? row.refId,
    wall: plan?.wall ?? null,
    running: row.running,
    paused: row.running && row.paused,
    page: current ? row.page + 1 : 0,
    pageCount: row.running ? run.pages.length : 0,
    channelIds: shown.map((c) => c.id),
    channels: shown.map((c) => ({ id: c.id, name: c.name })),
    hidden: (current?.channels.length ?? 0) - shown.length,
    layout: task?.layout ?? 4,
    dwellSeconds: current ? Math.round(current.dwellMs / 1000) : 0,
    remainingMs: remaining,
    pageEndsAt: remaining === null || row.paused ? null : new Date(now + remaining).toISOString(),
    cycle: row.cycle,
    manual: row.manual,
    reason: row.running ? run.reason : null,
    startedAt: row.running ? row.startedAt : null,
    seq: run.seq,
  };
}

/** Electronic patrol (docs/patrol.md): tasks, plans, run state and control (`/api/v1/patrol/...`). */
import { http } from './http';

export type PatrolKind = 'task' | 'plan';
export type PatrolAction = 'start' | 'pause' | 'resume' | 'next' | 'prev' | 'stop';
export const PATROL_LAYOUTS = [1, 4, 6, 8, 9, 16, 25, 36] as const;
export const MIN_DWELL = 5;
export const MAX_DWELL = 86_400;

export interface PatrolItem {
  channelId: string;
  dwellSeconds?: number;
}

export interface PatrolTask {
  id: string;
  name: string;
  layout: number;
  dwellSeconds: number;
  source: 'channels' | 'org';
  orgId: string | null;
  includeChildren: boolean;
  items: PatrolItem[];
  preload: boolean;
  hiddenItems: number;
  missingChannelIds: string[];
  running: boolean;
}

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
  taskName: string | null;
  wall: string;
  windows: PatrolWindow[];
  enabled: boolean;
  running: boolean;
}

export interface PatrolState {
  kind: PatrolKind;
  id: string;
  name: string;
  taskId: string;
  wall: string | null;
  running: boolean;
  paused: boolean;
  page: number;
  pageCount: number;
  channelIds: string[];
  channels: { id: string; name: string }[];
  hidden: number;
  layout: number;
  dwellSeconds: number;
  remainingMs: number | null;
  pageEndsAt: string | null;
  cycle: number;
  manual: boolean;
  reason: string | null;
  startedAt: string | null;
  seq: number;
}

export type TaskBody = Pick<PatrolTask, 'name' | 'layout' | 'dwellSeconds' | 'source' | 'items' | 'orgId' | 'includeChildren' | 'preload'>;
export type PlanBody = Pick<PatrolPlan, 'name' | 'taskId' | 'wall' | 'windows' | 'enabled'>;

const id = (s: string) => encodeURIComponent(s);

export const patrolApi = {
  tasks: () => http.get<PatrolTask[]>('/patrol/tasks'),
  createTask: (b: TaskBody) => http.post<PatrolTask>('/patrol/tasks', b),
  updateTask: (taskId: string, b: Partial<TaskBody>) => http.patch<PatrolTask>(`/patrol/tasks/${id(taskId)}`, b),
  removeTask: (taskId: string) => http.del(`/patrol/tasks/${id(taskId)}`),
  plans: () => http.get<PatrolPlan[]>('/patrol/plans'),
  createPlan: (b: PlanBody) => http.post<PatrolPlan>('/patrol/plans', b),
  updatePlan: (planId: string, b: Partial<PlanBody>) => http.patch<PatrolPlan>(`/patrol/plans/${id(planId)}`, b),
  removePlan: (planId: string) => http.del(`/patrol/plans/${id(planId)}`),
  state: (kind: PatrolKind, refId: string) => http.get<PatrolState>(`/patrol/${kind}s/${id(refId)}/state`),
  control: (kind: PatrolKind, refId: string, action: PatrolAction) => http.post<PatrolState>(`/patrol/${kind}s/${id(refId)}/control`, { action }),
  running: () => http.get<PatrolState[]>('/patrol/running'),
};

/**
 * Saved wall layouts ("views", 视图) and the last wall of each user. The server has no per-user settings endpoint yet,
 * so they live in localStorage under keys carrying the user id (one browser, several operators).
 */
import { isAspect, isLayout, type AspectMode, type LayoutSize } from './layouts';

export interface WallState {
  layout: LayoutSize;
  /** channel id per pane, index = pane number; null = empty */
  panes: (string | null)[];
  aspects: AspectMode[];
}

export interface SavedView extends WallState {
  name: string;
  savedAt: string;
}

export const MAX_VIEWS = 50;
const MAX_PANES = 36;

type KV = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export const viewsKey = (userId: string) => `sharpeye.live.views.${userId}`;
export const lastKey = (userId: string) => `sharpeye.live.last.${userId}`;

/** A stored wall state, validated (anything unreadable is dropped rather than breaking the page). */
export function sanitizeState(raw: unknown): WallState | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Record<string, unknown>;
  if (!isLayout(r.layout)) return null;
  const panes = Array.isArray(r.panes) ? r.panes.slice(0, MAX_PANES).map((p) => (typeof p === 'string' && p ? p : null)) : [];
  const aspects = Array.isArray(r.aspects) ? r.aspects.slice(0, MAX_PANES).map((a) => (isAspect(a) ? a : 'fit')) : [];
  return { layout: r.layout, panes, aspects };
}

/** Only what the layout shows, with trailing empty panes trimmed. */
export function compactState(s: WallState): WallState {
  const panes = s.panes.slice(0, s.layout);
  while (panes.length && panes[panes.length - 1] === null) panes.pop();
  const aspects = s.aspects.slice(0, s.layout);
  while (aspects.length && aspects[aspects.length - 1] === 'fit') aspects.pop();
  return { layout: s.layout, panes, aspects };
}

function read(storage: KV, key: string): unknown {
  try {
    const text = storage.getItem(key);
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

function write(storage: KV, key: string, value: unknown): void {
  try {
    storage.setItem(key, JSON.stringify(value));
  } catch {
    /* storage full or disabled: the wall still works, it is just not remembered */
  }
}

export function loadViews(storage: KV, userId: string): SavedView[] {
  const raw = read(storage, viewsKey(userId));
  if (!Array.isArray(raw)) return [];
  const out: SavedView[] = [];
  for (const v of raw) {
    const s = sanitizeState(v);
    const name = (v as { name?: unknown })?.name;
    if (s && typeof name === 'string' && name.trim()) out.push({ ...s, name: name.trim().slice(0, 64), savedAt: String((v as { savedAt?: unknown }).savedAt ?? '') });
  }
  return out;
}

/** Saves (or replaces, by name) a view; newest first; at most MAX_VIEWS. */
export function saveView(storage: KV, userId: string, name: string, state: WallState, now = new Date()): SavedView[] {
  const clean = name.trim().slice(0, 64);
  if (!clean) throw new Error('view name required');
  const list = loadViews(storage, userId).filter((v) => v.name !== clean);
  list.unshift({ ...compactState(state), name: clean, savedAt: now.toISOString() });
  const kept = list.slice(0, MAX_VIEWS);
  write(storage, viewsKey(userId), kept);
  return kept;
}

export function deleteView(storage: KV, userId: string, name: string): SavedView[] {
  const list = loadViews(storage, userId).filter((v) => v.name !== name);
  write(storage, viewsKey(userId), list);
  return list;
}

export function loadLast(storage: KV, userId: string): WallState | null {
  return sanitizeState(read(storage, lastKey(userId)));
}

export function saveLast(storage: KV, userId: string, state: WallState): void {
  write(storage, lastKey(userId), compactState(state));
}

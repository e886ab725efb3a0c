import type { PermissionDef } from '../api/types';

export interface PermissionGroup {
  group: string;
  items: PermissionDef[];
}

/** Groups the permission catalogue by `group`, keeping the catalogue's order. */
export function groupPermissions(defs: readonly PermissionDef[]): PermissionGroup[] {
  const groups = new Map<string, PermissionDef[]>();
  for (const d of defs) {
    const list = groups.get(d.group);
    if (list) list.push(d);
    else groups.set(d.group, [d]);
  }
  return [...groups].map(([group, items]) => ({ group, items }));
}

export function permissionLabel(def: PermissionDef, locale: string): string {
  const zh = locale.toLowerCase().startsWith('zh');
  return (zh ? def.label?.zh : def.label?.en) || def.label?.zh || def.label?.en || def.key;
}

/** Tri-state for a group checkbox. */
export function groupState(group: PermissionGroup, selected: readonly string[]): { all: boolean; some: boolean } {
  const sel = new Set(selected);
  const n = group.items.filter((i) => sel.has(i.key)).length;
  return { all: n > 0 && n === group.items.length, some: n > 0 && n < group.items.length };
}

/** Selects or clears every permission of a group. */
export function toggleGroup(group: PermissionGroup, selected: readonly string[], on: boolean): string[] {
  const keys = new Set(group.items.map((i) => i.key));
  const rest = selected.filter((k) => !keys.has(k));
  return on ? [...rest, ...group.items.map((i) => i.key)] : rest;
}

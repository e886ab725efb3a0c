/** Builds a nested tree from a flat list with parentId links. */

export interface TreeNode<T> {
  id: string;
  label: string;
  data: T;
  children: TreeNode<T>[];
}

export interface FlatItem {
  id: string;
  name: string;
  parentId: string | null;
  sort?: number;
}

/**
 * Items whose parent is missing from the list become roots (a user may only see part of the tree).
 * Siblings are ordered by `sort` then name. Cycles are broken: an item is never its own ancestor.
 */
export function buildTree<T extends FlatItem>(items: readonly T[]): TreeNode<T>[] {
  const nodes = new Map<string, TreeNode<T>>();
  for (const item of items) nodes.set(item.id, { id: item.id, label: item.name, data: item, children: [] });

  const byId = new Map(items.map((i) => [i.id, i] as const));
  const inCycle = (start: T): boolean => {
    const seen = new Set<string>();
    let cur = start.parentId ? byId.get(start.parentId) : undefined;
    while (cur) {
      if (cur.id === start.id) return true;
      if (seen.has(cur.id)) return false; // a cycle above us, not through us
      seen.add(cur.id);
      cur = cur.parentId ? byId.get(cur.parentId) : undefined;
    }
    return false;
  };

  const roots: TreeNode<T>[] = [];
  for (const item of items) {
    const node = nodes.get(item.id)!;
    const parent = item.parentId ? nodes.get(item.parentId) : undefined;
    if (parent && parent !== node && !inCycle(item)) parent.children.push(node);
    else roots.push(node);
  }
  const cmp = (a: TreeNode<T>, b: TreeNode<T>) =>
    (a.data.sort ?? 0) - (b.data.sort ?? 0) || a.label.localeCompare(b.label) || a.id.localeCompare(b.id);
  const sortRec = (list: TreeNode<T>[]) => {
    list.sort(cmp);
    for (const n of list) sortRec(n.children);
  };
  sortRec(roots);
  return roots;
}

/** All ids of a node and its descendants. */
export function subtreeIds<T>(node: TreeNode<T>): string[] {
  const out: string[] = [];
  const walk = (n: TreeNode<T>) => {
    out.push(n.id);
    n.children.forEach(walk);
  };
  walk(node);
  return out;
}

/** Path of names from the root to the item, e.g. "Province / City". */
export function orgPath<T extends FlatItem>(items: readonly T[], id: string | null | undefined, sep = ' / '): string {
  if (!id) return '';
  const byId = new Map(items.map((i) => [i.id, i] as const));
  const names: string[] = [];
  const seen = new Set<string>();
  let cur = byId.get(id);
  while (cur && !seen.has(cur.id)) {
    seen.add(cur.id);
    names.unshift(cur.name);
    cur = cur.parentId ? byId.get(cur.parentId) : undefined;
  }
  return names.length ? names.join(sep) : id;
}

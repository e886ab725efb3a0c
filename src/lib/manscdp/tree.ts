/** Read helpers over the decoded element tree: own properties only, exact name first, then case-insensitively. */

export type Tree = Record<string, unknown>;

export function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Child `name` of an element, tolerating devices that spell element names in another case. */
export function child(el: unknown, name: string): unknown {
  if (!isTree(el)) return undefined;
  if (Object.hasOwn(el, name)) return el[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(el)) if (k.toLowerCase() === lower) return el[k];
  return undefined;
}

/** Text of an element value (first one if repeated); null when absent. */
export function textOf(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.length ? textOf(v[0]) : null;
  if (isTree(v)) {
    const t = v['#text'];
    return typeof t === 'string' ? t : '';
  }
  return null;
}

export function str(el: unknown, name: string): string | null {
  return textOf(child(el, name));
}

export function int(el: unknown, name: string): number | null {
  const t = str(el, name)?.trim();
  if (!t || !/^[+-]?\d{1,15}$/.test(t)) return null;
  return Number(t);
}

export function num(el: unknown, name: string): number | null {
  const t = str(el, name)?.trim();
  if (!t || !/^[+-]?(\d{1,20}(\.\d{0,20})?|\.\d{1,20})([eE][+-]?\d{1,3})?$/.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/** ON/OFF, ONLINE/OFFLINE, OK/ERROR-style flags; null when absent or unrecognised. */
export function flag(el: unknown, name: string, yes: readonly string[], no: readonly string[]): boolean | null {
  const t = str(el, name)?.trim().toUpperCase();
  if (t === undefined) return null;
  if (yes.includes(t)) return true;
  if (no.includes(t)) return false;
  return null;
}

export function asArray(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/**
 * The `Item`s of a list element such as DeviceList/RecordList/PresetList (only element values kept). A list element
 * sent twice is merged; without the list element, Items placed directly under the root are taken.
 */
export function items(el: unknown, listName: string): Tree[] {
  const lists = asArray(child(el, listName));
  const found = lists.length ? lists.flatMap((l) => asArray(child(l, 'Item'))) : asArray(child(el, 'Item'));
  return found.filter(isTree);
}

/** An element as a tree (`{}` when absent or text-only). */
export function tree(el: unknown, name: string): Tree {
  const v = child(el, name);
  return isTree(v) ? v : {};
}

/** `0/1/2`-style lists of numbers (GB/T 28181-2022 StreamNumberList). */
export function slashNumbers(t: string | null): number[] | null {
  if (t === null || t.trim() === '') return null;
  const out: number[] = [];
  for (const part of t.split('/')) {
    const p = part.trim();
    if (/^\d{1,9}$/.test(p)) out.push(Number(p));
  }
  return out;
}

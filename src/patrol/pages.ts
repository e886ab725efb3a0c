import type { ChannelRef } from '../store/repos/patrol.js';

/** One page of a patrol as the scheduler shows it: the channels in pane order and how long it stays. */
export interface PatrolPage {
  channels: ChannelRef[];
  dwellMs: number;
}

export interface PageItem {
  /** undefined: the channel was deleted since the task was made */
  channel: ChannelRef | undefined;
  dwellSeconds: number;
}

/** Panes per page a task may ask for (the live wall's layouts). */
export const PATROL_LAYOUTS = [1, 4, 6, 8, 9, 16, 25, 36] as const;
/** Dwell bounds: 5 s (a stream needs about a second to show its first picture) to 24 h. */
export const MIN_DWELL_S = 5;
export const MAX_DWELL_S = 86_400;

/**
 * Splits a task's items into pages of `layout` panes. Deleted channels drop out of the list first (the pages close
 * up); then each page keeps only the channels the run's user may see, and a page left with none is skipped. A page
 * stays for the longest dwell among the items it shows.
 */
export function buildPages(items: PageItem[], layout: number, visible: (ch: ChannelRef) => boolean): PatrolPage[] {
  const present = items.filter((i): i is PageItem & { channel: ChannelRef } => i.channel !== undefined);
  const pages: PatrolPage[] = [];
  for (let k = 0; k < present.length; k += layout) {
    const shown = present.slice(k, k + layout).filter((i) => visible(i.channel));
    if (!shown.length) continue;
    pages.push({ channels: shown.map((i) => i.channel), dwellMs: Math.max(...shown.map((i) => i.dwellSeconds)) * 1000 });
  }
  return pages;
}

/** Index after moving `delta` pages from `page` in a list of `count` (wrapping both ways), and whether a cycle ended. */
export function stepPage(page: number, delta: number, count: number): { page: number; wrapped: boolean } {
  if (count <= 0) return { page: 0, wrapped: false };
  const raw = page + delta;
  const next = ((raw % count) + count) % count;
  return { page: next, wrapped: raw >= count };
}

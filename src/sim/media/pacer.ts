import { performance } from 'node:perf_hooks';

/** Something sent on a clock: `run` sends what is due at `now` and returns when it wants to run next (ms), or null to leave. */
export interface Paced {
  run(now: number): number | null;
}

interface Entry {
  due: number;
  item: Paced;
  gone: boolean;
}

/** Frames due this close to a wake-up go out in the same wake-up (fewer timers with hundreds of streams). */
const EARLY_MS = 2;

/**
 * One timer for every stream of a simulator: a binary heap of due times; each wake-up runs everything due (or due
 * within EARLY_MS), then sleeps until the next. 200 streams at 25 fps cost one timer, not 200 intervals.
 */
export class Pacer {
  private heap: Entry[] = [];
  private entries = new Map<Paced, Entry>();
  private timer?: NodeJS.Timeout;
  private armedFor = Infinity;
  private closed = false;

  get size(): number {
    return this.entries.size;
  }

  /** Runs `item` at `at` (performance.now() ms; default now) and then whenever it asks. */
  add(item: Paced, at = performance.now()): void {
    if (this.closed) return;
    this.remove(item);
    const e: Entry = { due: at, item, gone: false };
    this.entries.set(item, e);
    this.push(e);
    this.arm();
  }

  remove(item: Paced): void {
    const e = this.entries.get(item);
    if (!e) return;
    e.gone = true; // left in the heap, dropped when it comes up
    this.entries.delete(item);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.heap = [];
    this.entries.clear();
  }

  private arm(): void {
    while (this.heap.length && this.heap[0].gone) this.pop();
    if (!this.heap.length) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.armedFor = Infinity;
      return;
    }
    const due = this.heap[0].due;
    if (this.timer && due >= this.armedFor) return;
    clearTimeout(this.timer);
    this.armedFor = due;
    this.timer = setTimeout(() => this.wake(), Math.max(0, due - performance.now()));
  }

  private wake(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = performance.now();
    while (this.heap.length && this.heap[0].due <= now + EARLY_MS) {
      const e = this.pop()!;
      if (e.gone) continue;
      let next: number | null;
      try {
        next = e.item.run(now);
      } catch {
        next = null;
      }
      if (e.gone) continue; // removed itself while running
      if (next === null) {
        e.gone = true;
        this.entries.delete(e.item);
        continue;
      }
      e.due = Math.max(next, now + 0.1);
      this.push(e);
    }
    if (!this.closed) this.arm();
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].due <= h[i].due) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    if (!h.length) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l].due < h[m].due) m = l;
        if (r < h.length && h[r].due < h[m].due) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
}

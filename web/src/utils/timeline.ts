/** Timeline maths of the playback page: a view window over one day, zoom/pan, ticks, span layout, time formats. */

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Zoom levels: 24 h, 6 h, 1 h, 10 min. */
export const ZOOMS = [DAY, 6 * HOUR, HOUR, 10 * MINUTE] as const;

export interface View {
  start: number;
  span: number;
}

/** The day shown: [start, end). */
export interface Bounds {
  start: number;
  end: number;
}

export interface TimeSpan {
  startMs: number;
  endMs: number;
}

/** Local midnight of `d` to the next local midnight (23 or 25 h across a DST change). */
export function dayBounds(d: Date): Bounds {
  const start = new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const end = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
  return { start, end };
}

/** Keeps the view inside the bounds; a span longer than the bounds becomes the bounds. */
export function clampView(v: View, b: Bounds): View {
  const len = b.end - b.start;
  const span = Math.max(1, Math.min(v.span, len));
  const start = Math.min(Math.max(v.start, b.start), b.end - span);
  return { start, span };
}

/** A view of `span` centred on `at`. */
export function centerView(at: number, span: number, b: Bounds): View {
  return clampView({ start: at - span / 2, span }, b);
}

/** Changes the span keeping `anchor` at the same place on screen (wheel zoom around the pointer). */
export function zoomTo(v: View, span: number, anchor: number, b: Bounds): View {
  const rel = v.span > 0 ? (anchor - v.start) / v.span : 0.5;
  return clampView({ start: anchor - rel * span, span }, b);
}

/** The zoom level closest to a span. */
export function zoomIndex(span: number): number {
  let best = 0;
  for (let i = 1; i < ZOOMS.length; i++) if (Math.abs(Math.log(ZOOMS[i]! / span)) < Math.abs(Math.log(ZOOMS[best]! / span))) best = i;
  return best;
}

/** One zoom level in (+1) or out (−1) around `anchor`. */
export function zoomStep(v: View, dir: 1 | -1, anchor: number, b: Bounds): View {
  const i = Math.min(ZOOMS.length - 1, Math.max(0, zoomIndex(v.span) + dir));
  return zoomTo(v, ZOOMS[i]!, anchor, b);
}

/** Moves the view by a pointer drag of `dx` pixels (drag right = earlier times). */
export function pan(v: View, dx: number, width: number, b: Bounds): View {
  if (width <= 0) return v;
  return clampView({ start: v.start - (dx / width) * v.span, span: v.span }, b);
}

export function msToX(ms: number, v: View, width: number): number {
  return ((ms - v.start) / v.span) * width;
}

export function xToMs(x: number, v: View, width: number): number {
  return v.start + (x / width) * v.span;
}

export interface Tick {
  ms: number;
  x: number;
  /** empty on minor ticks */
  label: string;
}

const TICK_STEPS = [MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR];

/** The smallest step whose ticks are at least `minPx` apart. */
export function tickStep(span: number, width: number, minPx: number): number {
  for (const s of TICK_STEPS) if ((s / span) * width >= minPx) return s;
  return TICK_STEPS[TICK_STEPS.length - 1]!;
}

/** Labelled ticks at least `minPx` apart and unlabelled minor ticks between them, aligned to `origin` (local midnight). */
export function ticks(v: View, width: number, origin: number, minPx = 64): Tick[] {
  if (width <= 0 || v.span <= 0) return [];
  const major = tickStep(v.span, width, minPx);
  const minor = TICK_STEPS.slice().reverse().find((s) => s < major && major % s === 0 && (s / v.span) * width >= 8) ?? major;
  const out: Tick[] = [];
  const first = origin + Math.ceil((v.start - origin) / minor) * minor;
  for (let ms = first; ms <= v.start + v.span; ms += minor) {
    const isMajor = (ms - origin) % major === 0;
    out.push({ ms, x: msToX(ms, v, width), label: isMajor ? fmtHM(ms, origin) : '' });
  }
  return out;
}

export interface SpanRect {
  x: number;
  w: number;
  startMs: number;
  endMs: number;
}

/**
 * Rectangles of the spans visible in the view: clipped, at least `minW` pixels wide (a few seconds at 24 h still
 * show), and neighbours closer than half a pixel merged (a day of short segments stays a handful of elements).
 */
export function layoutSpans(spans: readonly TimeSpan[], v: View, width: number, minW = 1): SpanRect[] {
  const end = v.start + v.span;
  const sorted = spans.filter((s) => s.endMs > v.start && s.startMs < end).sort((a, b) => a.startMs - b.startMs);
  const out: SpanRect[] = [];
  for (const s of sorted) {
    const a = Math.max(s.startMs, v.start);
    const b = Math.min(s.endMs, end);
    const x = msToX(a, v, width);
    const w = Math.max(minW, msToX(b, v, width) - x);
    const last = out[out.length - 1];
    if (last && x <= last.x + last.w + 0.5) {
      last.w = Math.max(last.w, x + w - last.x);
      last.endMs = Math.max(last.endMs, b);
    } else out.push({ x, w, startMs: a, endMs: b });
  }
  return out;
}

/** The span holding `ms`, else the first one starting after it. */
export function spanFrom(spans: readonly TimeSpan[], ms: number): TimeSpan | undefined {
  const sorted = [...spans].sort((a, b) => a.startMs - b.startMs);
  return sorted.find((s) => s.startMs <= ms && ms < s.endMs) ?? sorted.find((s) => s.startMs > ms);
}

/** A range from two picked instants: ordered and inside the bounds; null when shorter than `minMs`. */
export function normalizeRange(a: number, b: number, bounds: Bounds, minMs = 1000): TimeSpan | null {
  const startMs = Math.max(bounds.start, Math.min(a, b));
  const endMs = Math.min(bounds.end, Math.max(a, b));
  return endMs - startMs >= minMs ? { startMs, endMs } : null;
}

const p2 = (n: number) => String(n).padStart(2, '0');

/** HH:MM of a local time; the day's end shows as 24:00. */
export function fmtHM(ms: number, origin?: number): string {
  if (origin !== undefined && ms - origin >= DAY) return '24:00';
  const d = new Date(ms);
  return `${p2(d.getHours())}:${p2(d.getMinutes())}`;
}

/** HH:MM:SS of a local time. */
export function fmtClock(ms: number): string {
  const d = new Date(ms);
  return `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
}

/** A duration as H:MM:SS (or M:SS under an hour). */
export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${p2(m)}:${p2(s % 60)}` : `${m}:${p2(s % 60)}`;
}

/** 0.125 → "1/8×", 2 → "2×". */
export function fmtSpeed(speed: number): string {
  return speed < 1 ? `1/${Math.round(1 / speed)}×` : `${speed}×`;
}

/** A zoom level's label: 24h, 6h, 1h, 10min. */
export function fmtZoom(span: number): string {
  return span >= HOUR ? `${span / HOUR}h` : `${span / MINUTE}min`;
}

/** YYYY-MM-DD of a local date. */
export function fmtDate(d: Date): string {
  return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}`;
}

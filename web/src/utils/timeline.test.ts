import { describe, expect, it } from 'vitest';
import {
  DAY,
  HOUR,
  MINUTE,
  ZOOMS,
  centerView,
  clampView,
  dayBounds,
  fmtClock,
  fmtDuration,
  fmtHM,
  fmtSpeed,
  fmtZoom,
  layoutSpans,
  msToX,
  normalizeRange,
  pan,
  spanFrom,
  ticks,
  tickStep,
  xToMs,
  zoomIndex,
  zoomStep,
  zoomTo,
} from './timeline';

const day = dayBounds(new Date(2026, 10, 25, 15, 30));
const at = (h: number, m = 0, s = 0) => new Date(2026, 10, 25, h, m, s).getTime();

describe('day bounds and view clamping', () => {
  it('a day runs from local midnight to the next', () => {
    expect(day.start).toBe(at(0));
    expect(day.end).toBe(new Date(2026, 10, 26).getTime());
    expect(day.end - day.start).toBe(DAY);
  });

  it('views stay inside the day', () => {
    expect(clampView({ start: day.start - HOUR, span: HOUR }, day)).toEqual({ start: day.start, span: HOUR });
    expect(clampView({ start: day.end - 10 * MINUTE, span: HOUR }, day)).toEqual({ start: day.end - HOUR, span: HOUR });
    expect(clampView({ start: 0, span: 3 * DAY }, day)).toEqual({ start: day.start, span: DAY });
    expect(centerView(at(12), HOUR, day)).toEqual({ start: at(11, 30), span: HOUR });
    expect(centerView(at(0, 5), HOUR, day)).toEqual({ start: day.start, span: HOUR });
  });
});

describe('zoom and pan', () => {
  it('zooming keeps the anchor at the same place on screen', () => {
    const v = { start: day.start, span: DAY };
    const anchor = at(6); // a quarter of the way
    const z = zoomTo(v, 6 * HOUR, anchor, day);
    expect(z.span).toBe(6 * HOUR);
    expect((anchor - z.start) / z.span).toBeCloseTo(0.25, 9);
  });

  it('zoom steps walk 24h → 6h → 1h → 10min and stop at the ends', () => {
    let v = { start: day.start, span: DAY };
    const spans = [];
    for (let i = 0; i < 5; i++) {
      v = zoomStep(v, 1, at(12), day);
      spans.push(v.span);
    }
    expect(spans).toEqual([6 * HOUR, HOUR, 10 * MINUTE, 10 * MINUTE, 10 * MINUTE]);
    expect(zoomStep(v, -1, at(12), day).span).toBe(HOUR);
    expect(zoomStep({ start: day.start, span: DAY }, -1, at(12), day).span).toBe(DAY);
    expect(ZOOMS.map(zoomIndex)).toEqual([0, 1, 2, 3]);
    expect(zoomIndex(50 * MINUTE)).toBe(2);
  });

  it('dragging right shows earlier times, clamped to the day', () => {
    const v = { start: at(12), span: HOUR };
    expect(pan(v, 100, 1000, day)).toEqual({ start: at(11, 54), span: HOUR });
    expect(pan(v, -500, 1000, day)).toEqual({ start: at(12, 30), span: HOUR });
    expect(pan(v, 1e9, 1000, day).start).toBe(day.start);
    expect(pan(v, 10, 0, day)).toBe(v);
  });

  it('pixels and times convert both ways', () => {
    const v = { start: at(10), span: HOUR };
    expect(msToX(at(10, 15), v, 800)).toBe(200);
    expect(xToMs(200, v, 800)).toBe(at(10, 15));
    expect(xToMs(msToX(at(10, 37, 12), v, 1234), v, 1234)).toBeCloseTo(at(10, 37, 12), 3);
  });
});

describe('ticks', () => {
  it('picks a step whose labels do not collide', () => {
    expect(tickStep(DAY, 1200, 64)).toBe(2 * HOUR);
    expect(tickStep(HOUR, 1200, 64)).toBe(5 * MINUTE);
    expect(tickStep(10 * MINUTE, 1200, 64)).toBe(MINUTE);
  });

  it('labels 24 h at 2 h steps from 00:00 to 24:00 with unlabelled minor ticks between', () => {
    const tk = ticks({ start: day.start, span: DAY }, 1200, day.start);
    const labels = tk.filter((t) => t.label).map((t) => t.label);
    expect(labels[0]).toBe('00:00');
    expect(labels[1]).toBe('02:00');
    expect(labels[labels.length - 1]).toBe('24:00');
    expect(labels).toHaveLength(13);
    expect(tk.length).toBeGreaterThan(labels.length);
    for (const t of tk) expect(t.x).toBeCloseTo(msToX(t.ms, { start: day.start, span: DAY }, 1200), 6);
  });

  it('a 10 min view is labelled every minute, aligned to whole minutes', () => {
    const v = { start: at(9, 3, 20), span: 10 * MINUTE };
    const tk = ticks(v, 1000, day.start).filter((t) => t.label);
    expect(tk[0]!.label).toBe('09:04');
    expect(tk.every((t) => (t.ms - day.start) % MINUTE === 0)).toBe(true);
    expect(ticks(v, 0, day.start)).toEqual([]);
  });
});

describe('span layout', () => {
  const v = { start: at(0), span: DAY };

  it('clips to the view and converts to pixels', () => {
    const r = layoutSpans([{ startMs: at(6), endMs: at(12) }, { startMs: at(23), endMs: at(23) + 2 * HOUR }], v, 2400);
    expect(r).toEqual([
      { x: 600, w: 600, startMs: at(6), endMs: at(12) },
      { x: 2300, w: 100, startMs: at(23), endMs: day.end },
    ]);
  });

  it('a short span still gets a visible pixel and close neighbours merge', () => {
    const short = layoutSpans([{ startMs: at(8), endMs: at(8, 0, 5) }], v, 1440);
    expect(short[0]!.w).toBe(1);
    // 8 s segments with 100 ms gaps: one rectangle at 24 h
    const segs = Array.from({ length: 100 }, (_, i) => ({ startMs: at(10) + i * 8000, endMs: at(10) + i * 8000 + 7900 }));
    const merged = layoutSpans(segs, v, 1440);
    expect(merged).toHaveLength(1);
    expect(merged[0]!.endMs).toBe(segs[99]!.endMs);
    // at 10 min zoom the same 100 ms gaps are still under half a pixel at 1440 px: one rectangle
    expect(layoutSpans(segs, { start: at(10), span: 10 * MINUTE }, 1440)).toHaveLength(1);
    // a 1 min gap at 1 h zoom is visible
    const two = layoutSpans([{ startMs: at(10), endMs: at(10, 10) }, { startMs: at(10, 11), endMs: at(10, 20) }], { start: at(10), span: HOUR }, 1440);
    expect(two).toHaveLength(2);
  });

  it('spans outside the view are left out; input order does not matter', () => {
    expect(layoutSpans([{ startMs: at(1), endMs: at(2) }], { start: at(3), span: HOUR }, 500)).toEqual([]);
    const r = layoutSpans([{ startMs: at(20), endMs: at(21) }, { startMs: at(1), endMs: at(2) }], v, 240);
    expect(r.map((s) => s.x)).toEqual([10, 200]);
  });

  it('finds the span at a time or the next one', () => {
    const spans = [{ startMs: at(9), endMs: at(10) }, { startMs: at(2), endMs: at(3) }];
    expect(spanFrom(spans, at(2, 30))).toEqual(spans[1]);
    expect(spanFrom(spans, at(5))).toEqual(spans[0]);
    expect(spanFrom(spans, at(11))).toBeUndefined();
  });
});

describe('ranges and formats', () => {
  it('orders and clamps a picked range; too short is none', () => {
    expect(normalizeRange(at(12), at(11), day)).toEqual({ startMs: at(11), endMs: at(12) });
    expect(normalizeRange(day.start - HOUR, at(1), day)).toEqual({ startMs: day.start, endMs: at(1) });
    expect(normalizeRange(at(1), at(1) + 200, day)).toBeNull();
  });

  it('formats clock times, durations, speeds and zoom levels', () => {
    expect(fmtClock(at(9, 5, 7))).toBe('09:05:07');
    expect(fmtHM(at(23, 59))).toBe('23:59');
    expect(fmtHM(day.end, day.start)).toBe('24:00');
    expect(fmtDuration(65_000)).toBe('1:05');
    expect(fmtDuration(3 * HOUR + 61_000)).toBe('3:01:01');
    expect(fmtDuration(-5)).toBe('0:00');
    expect([0.125, 0.25, 0.5, 1, 2, 16].map(fmtSpeed)).toEqual(['1/8×', '1/4×', '1/2×', '1×', '2×', '16×']);
    expect(ZOOMS.map(fmtZoom)).toEqual(['24h', '6h', '1h', '10min']);
  });
});

/** A continuous stretch of recording: segments closer than the join tolerance are one span. */
export interface RecordSpan {
  start: string;
  end: string;
  startMs: number;
  endMs: number;
  source: 'platform' | 'device';
  /** the span includes the segment being written now */
  recording?: boolean;
  bytes?: number;
}

/**
 * Merges time-ordered segments into spans (R5 search): neighbours whose gap is at most `joinMs` (frame timing jitter
 * at segment cuts) are joined, clipped to [fromMs, toMs).
 */
export function mergeSpans(segs: Array<{ startMs: number; endMs: number; state: string; size: number }>, fromMs: number, toMs: number, joinMs = 2000): RecordSpan[] {
  const out: RecordSpan[] = [];
  let cur: RecordSpan | undefined;
  for (const s of segs) {
    if (s.state !== 'open' && s.state !== 'closed') continue;
    const a = Math.max(s.startMs, fromMs);
    const b = Math.min(s.endMs, toMs);
    if (b <= a) continue;
    if (cur && a <= cur.endMs + joinMs) {
      cur.endMs = Math.max(cur.endMs, b);
      cur.bytes = (cur.bytes ?? 0) + s.size;
      if (s.state === 'open') cur.recording = true;
    } else {
      if (cur) out.push(cur);
      cur = { start: '', end: '', startMs: a, endMs: b, source: 'platform', bytes: s.size, ...(s.state === 'open' ? { recording: true } : {}) };
    }
  }
  if (cur) out.push(cur);
  for (const sp of out) {
    sp.start = new Date(sp.startMs).toISOString();
    sp.end = new Date(sp.endMs).toISOString();
  }
  return out;
}

/** The holes between spans inside [fromMs, toMs) (the gap list, R16). */
export function gapsBetween(spans: RecordSpan[], fromMs: number, toMs: number): Array<{ startMs: number; endMs: number }> {
  const gaps: Array<{ startMs: number; endMs: number }> = [];
  let t = fromMs;
  for (const s of spans) {
    if (s.startMs > t) gaps.push({ startMs: t, endMs: s.startMs });
    t = Math.max(t, s.endMs);
  }
  if (t < toMs) gaps.push({ startMs: t, endMs: toMs });
  return gaps;
}

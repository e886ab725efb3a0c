import { describe, expect, it } from 'vitest';
import { IncompleteDownload, percentOf, readWithProgress, type Progress } from './download';
import { defaultWindow, formToBody, halfHours, planToForm, scheduleProblems } from './recordPlan';

function streamOf(chunks: number[], opts: { error?: boolean } = {}): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < chunks.length) c.enqueue(new Uint8Array(chunks[i++]!).fill(7));
      else if (opts.error) c.error(new Error('connection reset'));
      else c.close();
    },
  });
}

function fakeClock(step: number) {
  let t = 0;
  return () => (t += step);
}

describe('download progress', () => {
  it('reports progress up to 100 % and returns the whole file', async () => {
    const seen: Progress[] = [];
    const res = new Response(streamOf([1000, 1000, 1000, 1000]), { headers: { 'Content-Length': '4000', 'Content-Type': 'video/mp4' } });
    const blob = await readWithProgress(res, (p) => seen.push(p), 0, fakeClock(100)).done;
    expect(blob.size).toBe(4000);
    expect(blob.type).toBe('video/mp4');
    expect(seen.map((p) => p.percent)).toEqual([25, 50, 75, 100, 100]);
    expect(seen[seen.length - 1]!.bytesPerSec).toBeGreaterThan(0);
  });

  it('throttles reports but always reports the end', async () => {
    const seen: Progress[] = [];
    const res = new Response(streamOf([10, 10, 10, 10, 10]), { headers: { 'Content-Length': '50' } });
    await readWithProgress(res, (p) => seen.push(p), 1000, fakeClock(1)).done;
    expect(seen).toHaveLength(1);
    expect(seen[0]!.percent).toBe(100);
  });

  it('a stream that ends short of Content-Length is an incomplete download', async () => {
    const res = new Response(streamOf([100]), { headers: { 'Content-Length': '300' } });
    const err = await readWithProgress(res, () => undefined).done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IncompleteDownload);
    expect((err as IncompleteDownload).received).toBe(100);
  });

  it('a broken connection rejects; cancel stops reading with an AbortError', async () => {
    await expect(readWithProgress(new Response(streamOf([5], { error: true })), () => undefined).done).rejects.toThrow('connection reset');
    const never = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => undefined) });
    const h = readWithProgress(new Response(never, { headers: { 'Content-Length': '10' } }), () => undefined);
    await new Promise((r) => setTimeout(r, 5));
    h.cancel();
    await expect(h.done).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('percent has one decimal and never passes 100', () => {
    expect(percentOf(1, 3)).toBe(33.3);
    expect(percentOf(5, 4)).toBe(100);
    expect(percentOf(5, 0)).toBe(0);
  });
});

describe('record plan form', () => {
  it('round-trips a schedule plan; the body carries only what the mode uses', () => {
    const f = planToForm({ mode: 'schedule', schedule: [{ days: [3, 1], from: '08:00', to: '12:00' }], preSeconds: 5, postSeconds: 40, stream: 'sub', retentionDays: 7, quotaMb: null });
    expect(f.schedule[0]!.days).toEqual([1, 3]);
    expect(formToBody(f)).toEqual({ mode: 'schedule', stream: 'sub', retentionDays: 7, quotaMb: null, schedule: [{ days: [1, 3], from: '08:00', to: '12:00' }] });
    expect(formToBody({ ...f, mode: 'alarm' })).toEqual({ mode: 'alarm', stream: 'sub', retentionDays: 7, quotaMb: null, preSeconds: 5, postSeconds: 40 });
    expect(formToBody({ ...f, mode: 'always', retentionDays: 0 })).toEqual({ mode: 'always', stream: 'sub', retentionDays: null, quotaMb: null });
  });

  it('defaults for a channel without a plan', () => {
    expect(planToForm(null)).toEqual({ mode: 'off', schedule: [], preSeconds: 0, postSeconds: 30, stream: 'main', retentionDays: null, quotaMb: null });
  });

  it('flags schedule rows the server would refuse', () => {
    const rows = [defaultWindow(), { days: [], from: '08:00', to: '09:00' }, { days: [1], from: '10:00', to: '09:00' }, { days: [2], from: '8:00', to: '09:00' }, { days: [7], from: '22:00', to: '24:00' }];
    expect([...scheduleProblems({ mode: 'schedule', schedule: rows })]).toEqual([
      [1, 'noDays'],
      [2, 'order'],
      [3, 'badTime'],
    ]);
    expect([...scheduleProblems({ mode: 'schedule', schedule: [] })]).toEqual([[-1, 'empty']]);
    expect(scheduleProblems({ mode: 'always', schedule: rows }).size).toBe(0);
  });

  it('offers half hours from 00:00 to 24:00', () => {
    const h = halfHours();
    expect(h).toHaveLength(49);
    expect([h[0], h[1], h[48]]).toEqual(['00:00', '00:30', '24:00']);
  });
});

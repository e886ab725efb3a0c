import { describe, expect, it } from 'vitest';
import { moveItem, pageCount, remainingNow, syncItems, windowProblem } from './patrol';

describe('patrol page helpers', () => {
  it('counts down locally from the pushed remaining time, frozen while paused', () => {
    const s = { running: true, paused: false, remainingMs: 10_000 };
    expect(remainingNow(s, 1000, 4000)).toBe(7000);
    expect(remainingNow(s, 1000, 20_000)).toBe(0);
    expect(remainingNow({ ...s, paused: true }, 1000, 9000)).toBe(10_000);
    expect(remainingNow({ ...s, running: false }, 0, 0)).toBeNull();
    expect(remainingNow(null, 0, 0)).toBeNull();
  });
  it('checks windows as the server does', () => {
    expect(windowProblem([{ days: [1], from: '08:00', to: '24:00' }])).toBeNull();
    expect(windowProblem([])).toEqual({ index: -1, problem: 'empty' });
    expect(windowProblem([{ from: '08:00', to: '09:00' }, { from: '8:00', to: '09:00' }])).toEqual({ index: 1, problem: 'badTime' });
    expect(windowProblem([{ from: '22:00', to: '06:00' }])).toEqual({ index: 0, problem: 'order' });
    expect(windowProblem([{ dates: ['2026-1-1'], from: '01:00', to: '02:00' }])).toEqual({ index: 0, problem: 'badDate' });
  });
  it('keeps item dwell and order when the picked channels change', () => {
    const items = [{ channelId: 'a', dwellSeconds: 30 }, { channelId: 'b' }];
    expect(syncItems(items, ['b', 'c', 'a'])).toEqual([{ channelId: 'a', dwellSeconds: 30 }, { channelId: 'b' }, { channelId: 'c' }]);
    expect(syncItems(items, ['b'])).toEqual([{ channelId: 'b' }]);
    expect(moveItem(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b']);
    expect(moveItem(['a', 'b'], 0, -1)).toEqual(['a', 'b']);
    expect(pageCount(9, 4)).toBe(3);
  });
});

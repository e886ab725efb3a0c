import { describe, expect, it } from 'vitest';
import { compactState, deleteView, lastKey, loadLast, loadViews, sanitizeState, saveLast, saveView, viewsKey } from './liveViews';

function memory() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k), m };
}

describe('saved views and the last wall', () => {
  it('keeps views per user, newest first, replacing by name', () => {
    const s = memory();
    saveView(s, 'u1', ' 东门 ', { layout: 4, panes: ['a', null, 'c', null, 'x'], aspects: ['fit', '16:9'] }, new Date('2026-11-25T00:00:00Z'));
    saveView(s, 'u1', 'all', { layout: 9, panes: [], aspects: [] });
    const list = saveView(s, 'u1', '东门', { layout: 1, panes: ['z'], aspects: [] });
    expect(list.map((v) => [v.name, v.layout])).toEqual([['东门', 1], ['all', 9]]);
    expect(loadViews(s, 'u2')).toEqual([]);
    expect(s.m.has(viewsKey('u1'))).toBe(true);
    expect(deleteView(s, 'u1', 'all').map((v) => v.name)).toEqual(['东门']);
    expect(() => saveView(s, 'u1', '  ', { layout: 1, panes: [], aspects: [] })).toThrow();
  });

  it('stores only what the layout shows', () => {
    expect(compactState({ layout: 4, panes: ['a', null, 'c', null, 'x'], aspects: ['fit', '16:9', 'fit', 'fit', 'fill'] })).toEqual({ layout: 4, panes: ['a', null, 'c'], aspects: ['fit', '16:9'] });
  });

  it('remembers the last wall and survives garbage', () => {
    const s = memory();
    saveLast(s, 'u1', { layout: 6, panes: ['a', 'b'], aspects: ['fill'] });
    expect(loadLast(s, 'u1')).toEqual({ layout: 6, panes: ['a', 'b'], aspects: ['fill'] });
    s.setItem(lastKey('u1'), '{not json');
    expect(loadLast(s, 'u1')).toBeNull();
    expect(sanitizeState({ layout: 5, panes: [] })).toBeNull();
    expect(sanitizeState({ layout: 4, panes: [1, 'b', ''], aspects: ['weird', '4:3'] })).toEqual({ layout: 4, panes: [null, 'b', null], aspects: ['fit', '4:3'] });
    s.setItem(viewsKey('u1'), JSON.stringify([{ name: 'ok', layout: 4, panes: [] }, { layout: 4 }, 'x']));
    expect(loadViews(s, 'u1').map((v) => v.name)).toEqual(['ok']);
  });

  it('a full storage does not break saving', () => {
    const s = { getItem: () => null, setItem: () => { throw new Error('QuotaExceeded'); }, removeItem: () => undefined };
    expect(() => saveLast(s, 'u', { layout: 1, panes: [], aspects: [] })).not.toThrow();
  });
});

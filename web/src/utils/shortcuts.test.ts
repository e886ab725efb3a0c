import { describe, expect, it } from 'vitest';
import { isTypingTarget, shortcutFor } from './shortcuts';

describe('live wall shortcuts', () => {
  it('digits pick layouts, L cycles', () => {
    expect(['1', '4', '6', '8', '9', '0'].map((key) => shortcutFor({ key }))).toEqual([1, 4, 6, 8, 9, 16].map((size) => ({ type: 'layout', size })));
    expect(shortcutFor({ key: '5' })).toBeNull();
    expect(shortcutFor({ key: 'l' })).toEqual({ type: 'cycleLayout', delta: 1 });
    expect(shortcutFor({ key: 'L', shiftKey: true })).toEqual({ type: 'cycleLayout', delta: -1 });
  });

  it('full screen, maximize, escape, selection, close, snapshot, info, help', () => {
    expect(shortcutFor({ key: 'f' })).toEqual({ type: 'fullscreenPane' });
    expect(shortcutFor({ key: 'F', shiftKey: true })).toEqual({ type: 'fullscreenWall' });
    expect(shortcutFor({ key: 'Enter' })).toEqual({ type: 'maximize' });
    expect(shortcutFor({ key: 'Escape' })).toEqual({ type: 'escape' });
    expect(shortcutFor({ key: ']' })).toEqual({ type: 'select', delta: 1 });
    expect(shortcutFor({ key: '[' })).toEqual({ type: 'select', delta: -1 });
    expect(shortcutFor({ key: 'Delete' })).toEqual({ type: 'close' });
    expect(shortcutFor({ key: 's' })).toEqual({ type: 'snapshot' });
    expect(shortcutFor({ key: 'i' })).toEqual({ type: 'info' });
    expect(shortcutFor({ key: '?', shiftKey: true })).toEqual({ type: 'help' });
  });

  it('arrows and +/- drive PTZ', () => {
    expect(['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', '+', '=', '-', 'PageUp'].map((key) => shortcutFor({ key }))).toEqual(
      ['up', 'down', 'left', 'right', 'zoomin', 'zoomin', 'zoomout', 'zoomin'].map((action) => ({ type: 'ptz', action })),
    );
  });

  it('modifier chords and typing in fields are left alone', () => {
    expect(shortcutFor({ key: '4', ctrlKey: true })).toBeNull();
    expect(shortcutFor({ key: 'f', metaKey: true })).toBeNull();
    const input = document.createElement('input');
    expect(isTypingTarget(input)).toBe(true);
    expect(shortcutFor({ key: '4', target: input })).toBeNull();
    expect(shortcutFor({ key: '4', target: document.createElement('div') })).toEqual({ type: 'layout', size: 4 });
  });
});

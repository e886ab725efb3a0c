import { describe, expect, it } from 'vitest';
import { gridStyle, layoutFor, layoutGeometry, LAYOUTS, paneStyle, stepLayout, videoStyle, ASPECTS } from './layouts';

describe('wall layouts', () => {
  it.each(LAYOUTS.map((n) => [n]))('%i panes tile the grid exactly, without overlap', (n) => {
    const g = layoutGeometry(n);
    expect(g.panes).toHaveLength(n);
    const covered = new Map<string, number>();
    for (const [i, p] of g.panes.entries()) {
      expect(p.row).toBeGreaterThanOrEqual(1);
      expect(p.col).toBeGreaterThanOrEqual(1);
      expect(p.row + p.rowSpan - 1).toBeLessThanOrEqual(g.cells);
      expect(p.col + p.colSpan - 1).toBeLessThanOrEqual(g.cells);
      for (let r = p.row; r < p.row + p.rowSpan; r++) for (let c = p.col; c < p.col + p.colSpan; c++) {
        expect(covered.has(`${r},${c}`), `cell ${r},${c} of pane ${i}`).toBe(false);
        covered.set(`${r},${c}`, i);
      }
    }
    expect(covered.size).toBe(g.cells * g.cells);
  });

  it('square layouts are n×n; 6 and 8 have one big pane first', () => {
    expect([1, 4, 9, 16, 25, 36].map((n) => layoutGeometry(n as 1).cells)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(layoutGeometry(6)).toMatchObject({ cells: 3, panes: [{ row: 1, col: 1, rowSpan: 2, colSpan: 2 }, { row: 1, col: 3 }, { row: 2, col: 3 }, { row: 3, col: 1 }, { row: 3, col: 2 }, { row: 3, col: 3 }] });
    expect(layoutGeometry(8).cells).toBe(4);
    expect(layoutGeometry(8).panes[0]).toEqual({ row: 1, col: 1, rowSpan: 3, colSpan: 3 });
    expect(layoutGeometry(8).panes.slice(1).every((p) => p.rowSpan === 1 && p.colSpan === 1)).toBe(true);
  });

  it('CSS grid styles', () => {
    expect(gridStyle(9)).toEqual({ gridTemplateColumns: 'repeat(3, minmax(0, 1fr))', gridTemplateRows: 'repeat(3, minmax(0, 1fr))' });
    expect(paneStyle({ row: 1, col: 1, rowSpan: 3, colSpan: 3 })).toEqual({ gridArea: '1 / 1 / span 3 / span 3' });
  });

  it('steps through the layouts and finds the smallest that fits', () => {
    expect(stepLayout(4, 1)).toBe(6);
    expect(stepLayout(36, 1)).toBe(36);
    expect(stepLayout(1, -1)).toBe(1);
    expect(stepLayout(16, -1)).toBe(9);
    expect([1, 2, 5, 7, 9, 10, 17, 26, 40].map(layoutFor)).toEqual([1, 4, 6, 8, 9, 16, 25, 36, 36]);
  });
});

describe('pane aspect ratio', () => {
  it('fit letterboxes, fill stretches, original is pixel for pixel', () => {
    expect(videoStyle('fit')).toMatchObject({ width: '100%', height: '100%', objectFit: 'contain' });
    expect(videoStyle('fill')).toMatchObject({ width: '100%', height: '100%', objectFit: 'fill' });
    expect(videoStyle('original')).toMatchObject({ width: 'auto', height: 'auto', maxWidth: 'none', objectFit: 'none', transform: 'translate(-50%, -50%)' });
  });

  it('16:9 and 4:3 are the largest box of that ratio in the pane (container units), centred', () => {
    expect(videoStyle('16:9')).toMatchObject({ width: 'min(100cqw, calc(100cqh * 16 / 9))', height: 'min(100cqh, calc(100cqw * 9 / 16))', objectFit: 'fill', top: '50%', left: '50%' });
    expect(videoStyle('4:3')).toMatchObject({ width: 'min(100cqw, calc(100cqh * 4 / 3))', height: 'min(100cqh, calc(100cqw * 3 / 4))' });
  });

  it('every mode has a style', () => {
    for (const m of ASPECTS) expect(Object.keys(videoStyle(m)).length).toBeGreaterThan(2);
  });
});

import { describe, expect, it } from 'vitest';
import { gridCluster, gridStep, padBox } from './mapCluster';

const pts = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `c${i}`, lng: 118.0005 + (i % 100) * 0.001, lat: 24.0005 + Math.floor(i / 100) * 0.001, online: i % 3 !== 0 }));
const project = (lng: number, lat: number) => ({ x: (lng - 118) * 100_000, y: (lat - 24) * 100_000 });

describe('grid clustering', () => {
  it('groups points per cell at their mean, counts online ones, keeps every point once', () => {
    const p = pts(10_000);
    const t0 = performance.now();
    const cs = gridCluster(p, project, 1000);
    const ms = performance.now() - t0;
    expect(cs.reduce((n, c) => n + c.items.length, 0)).toBe(10_000);
    expect(cs.length).toBe(100); // 100 m × 100 m cells of 10 × 10 points
    const c = cs.find((x) => x.items.some((i) => i.id === 'c0'))!;
    expect(c.items.length).toBe(100);
    expect(c.lng).toBeCloseTo(118.005, 6);
    expect(c.online).toBe(c.items.filter((i) => i.online).length);
    expect(ms).toBeLessThan(100);
  });
  it('cell 0 means no clustering; a box filters', () => {
    expect(gridCluster(pts(50), project, 0).length).toBe(50);
    expect(gridCluster(pts(200), project, 0, { west: 118, east: 118.001, south: 24, north: 24.002 }).map((c) => c.key)).toEqual(['c0', 'c100']);
  });
  it('pads the view and picks a grid step per zoom', () => {
    expect(padBox({ west: 0, east: 10, south: 0, north: 10 }, 0.1)).toEqual({ west: -1, east: 11, south: -1, north: 11 });
    expect(gridStep(2)).toBe(15);
    expect(gridStep(12)).toBe(0.02);
  });
});

/** Video-wall layouts (实时预览分屏): grid geometry of each pane and per-pane aspect-ratio styles. */

export const LAYOUTS = [1, 4, 6, 8, 9, 16, 25, 36] as const;
export type LayoutSize = (typeof LAYOUTS)[number];

/** Where a pane sits in the CSS grid (1-based lines, like `grid-area`). */
export interface PaneBox {
  row: number;
  col: number;
  rowSpan: number;
  colSpan: number;
}

export interface LayoutGeometry {
  /** columns = rows of the square grid */
  cells: number;
  panes: PaneBox[];
}

export function isLayout(n: unknown): n is LayoutSize {
  return typeof n === 'number' && (LAYOUTS as readonly number[]).includes(n);
}

/**
 * 1/4/9/16/25/36: an n×n grid. 6 and 8: one big pane top-left (2×2 of a 3×3 grid, 3×3 of a 4×4 grid) with the small
 * ones down the right side and along the bottom, left to right, top to bottom (海康/大华 "1+5", "1+7").
 */
export function layoutGeometry(size: LayoutSize): LayoutGeometry {
  if (size === 6 || size === 8) {
    const cells = size === 6 ? 3 : 4;
    const big = cells - 1;
    const panes: PaneBox[] = [{ row: 1, col: 1, rowSpan: big, colSpan: big }];
    for (let r = 1; r <= big; r++) panes.push({ row: r, col: cells, rowSpan: 1, colSpan: 1 });
    for (let c = 1; c <= cells; c++) panes.push({ row: cells, col: c, rowSpan: 1, colSpan: 1 });
    return { cells, panes };
  }
  const cells = Math.round(Math.sqrt(size));
  const panes: PaneBox[] = [];
  for (let r = 1; r <= cells; r++) for (let c = 1; c <= cells; c++) panes.push({ row: r, col: c, rowSpan: 1, colSpan: 1 });
  return { cells, panes };
}

export function gridStyle(size: LayoutSize): Record<string, string> {
  const { cells } = layoutGeometry(size);
  return { gridTemplateColumns: `repeat(${cells}, minmax(0, 1fr))`, gridTemplateRows: `repeat(${cells}, minmax(0, 1fr))` };
}

export function paneStyle(box: PaneBox): Record<string, string> {
  return { gridArea: `${box.row} / ${box.col} / span ${box.rowSpan} / span ${box.colSpan}` };
}

/** The next layout up or down the list (keyboard cycling), clamped at both ends. */
export function stepLayout(size: LayoutSize, delta: 1 | -1): LayoutSize {
  const i = LAYOUTS.indexOf(size);
  return LAYOUTS[Math.max(0, Math.min(LAYOUTS.length - 1, i + delta))]!;
}

/** The smallest layout with room for `count` panes. */
export function layoutFor(count: number): LayoutSize {
  return LAYOUTS.find((n) => n >= count) ?? 36;
}

export const ASPECTS = ['fit', 'fill', '16:9', '4:3', 'original'] as const;
export type AspectMode = (typeof ASPECTS)[number];

export function isAspect(v: unknown): v is AspectMode {
  return typeof v === 'string' && (ASPECTS as readonly string[]).includes(v);
}

/**
 * Style of the <video> inside its pane (a positioned box with `container-type: size`):
 * - fit: whole picture, its own proportions, letterboxed (原始比例);
 * - fill: stretched over the whole pane (拉伸);
 * - 16:9 / 4:3: the largest box of that ratio centred in the pane, picture stretched into it;
 * - original: pixel for pixel at the camera's resolution, centred, cropped by the pane when larger (原始大小).
 */
export function videoStyle(mode: AspectMode): Record<string, string> {
  const centred = { position: 'absolute', top: '50%', left: '50%', transform: 'translate(-50%, -50%)' };
  switch (mode) {
    case 'fill':
      return { width: '100%', height: '100%', objectFit: 'fill' };
    case '16:9':
    case '4:3': {
      // container query units of the pane (`container-type: size`): the largest box of the ratio that fits
      const [w, h] = mode === '16:9' ? [16, 9] : [4, 3];
      return { ...centred, width: `min(100cqw, calc(100cqh * ${w} / ${h}))`, height: `min(100cqh, calc(100cqw * ${h} / ${w}))`, objectFit: 'fill' };
    }
    case 'original':
      return { ...centred, width: 'auto', height: 'auto', maxWidth: 'none', maxHeight: 'none', objectFit: 'none' };
    default:
      return { width: '100%', height: '100%', objectFit: 'contain' };
  }
}

import type { FaceBox } from '../api/images';

/** A face box as percentages of the background picture (CSS left/top/width/height), clamped to the picture. */
export interface BoxStyle {
  left: string;
  top: string;
  width: string;
  height: string;
}

const pct = (v: number) => `${Math.round(v * 10000) / 100}%`;

/**
 * Where to draw a face (seed `facePos`, pixels of the background image) over the picture shown at any size. The
 * picture's own size comes from the capture (`backgroundImage.width/height`) or, when the sender left it out, from
 * the loaded image (naturalWidth/Height). Boxes with corners swapped are normalised; nothing to draw → null.
 */
export function boxStyle(pos: FaceBox | null | undefined, width: number | null | undefined, height: number | null | undefined): BoxStyle | null {
  if (!pos || !width || !height || width <= 0 || height <= 0) return null;
  const x1 = Math.max(0, Math.min(pos.leftTopX, pos.rightBottomX));
  const x2 = Math.min(width, Math.max(pos.leftTopX, pos.rightBottomX));
  const y1 = Math.max(0, Math.min(pos.leftTopY, pos.rightBottomY));
  const y2 = Math.min(height, Math.max(pos.leftTopY, pos.rightBottomY));
  if (x2 <= x1 || y2 <= y1) return null;
  return { left: pct(x1 / width), top: pct(y1 / height), width: pct((x2 - x1) / width), height: pct((y2 - y1) / height) };
}

/** Lag in a short human form: 45 s, 12 min, 3.5 h. */
export function lagText(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 360) / 10} h`;
}

import { describe, expect, it } from 'vitest';
import { boxStyle, lagText } from './faceBoxes';

describe('face boxes over the background picture', () => {
  it('turns facePos pixels into percentages of the picture', () => {
    expect(boxStyle({ leftTopX: 192, leftTopY: 108, rightBottomX: 384, rightBottomY: 324 }, 1920, 1080)).toEqual({ left: '10%', top: '10%', width: '10%', height: '20%' });
  });

  it('normalises swapped corners and clamps to the picture', () => {
    expect(boxStyle({ leftTopX: 2000, leftTopY: 540, rightBottomX: 960, rightBottomY: -10 }, 1920, 1080)).toEqual({ left: '50%', top: '0%', width: '50%', height: '50%' });
  });

  it('draws nothing without a size or for an empty box', () => {
    expect(boxStyle({ leftTopX: 0, leftTopY: 0, rightBottomX: 10, rightBottomY: 10 }, null, 1080)).toBeNull();
    expect(boxStyle(null, 1920, 1080)).toBeNull();
    expect(boxStyle({ leftTopX: 5, leftTopY: 5, rightBottomX: 5, rightBottomY: 50 }, 1920, 1080)).toBeNull();
  });

  it('writes queue lag shortly', () => {
    expect(lagText(45)).toBe('45 s');
    expect(lagText(720)).toBe('12 min');
    expect(lagText(12_600)).toBe('3.5 h');
  });
});

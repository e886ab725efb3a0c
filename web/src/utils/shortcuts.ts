/** Keyboard shortcuts of the live wall (pure mapping, so it can be tested and listed in the help). */
import type { LayoutSize } from './layouts';

export type PtzKeyAction = 'up' | 'down' | 'left' | 'right' | 'zoomin' | 'zoomout';

export type WallAction =
  | { type: 'layout'; size: LayoutSize }
  | { type: 'cycleLayout'; delta: 1 | -1 }
  | { type: 'fullscreenPane' }
  | { type: 'fullscreenWall' }
  | { type: 'maximize' }
  | { type: 'escape' }
  | { type: 'select'; delta: 1 | -1 }
  | { type: 'ptz'; action: PtzKeyAction }
  | { type: 'close' }
  | { type: 'snapshot' }
  | { type: 'info' }
  | { type: 'help' };

export interface KeyLike {
  key: string;
  shiftKey?: boolean;
  ctrlKey?: boolean;
  altKey?: boolean;
  metaKey?: boolean;
  target?: EventTarget | null;
}

const DIGITS: Record<string, LayoutSize> = { '1': 1, '4': 4, '6': 6, '8': 8, '9': 9, '0': 16 };
const ARROWS: Record<string, PtzKeyAction> = { ArrowUp: 'up', ArrowDown: 'down', ArrowLeft: 'left', ArrowRight: 'right' };

/** Typing in a field (search box, dialog input) never triggers wall shortcuts. */
export function isTypingTarget(t: EventTarget | null | undefined): boolean {
  const el = t as { tagName?: string; isContentEditable?: boolean } | null | undefined;
  if (!el || typeof el.tagName !== 'string') return false;
  return ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName.toUpperCase()) || el.isContentEditable === true;
}

export function shortcutFor(e: KeyLike): WallAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey || isTypingTarget(e.target)) return null;
  const k = e.key;
  if (k in ARROWS) return { type: 'ptz', action: ARROWS[k]! };
  if (k === '+' || k === '=' || k === 'PageUp') return { type: 'ptz', action: 'zoomin' };
  if (k === '-' || k === '_' || k === 'PageDown') return { type: 'ptz', action: 'zoomout' };
  if (!e.shiftKey && k in DIGITS) return { type: 'layout', size: DIGITS[k]! };
  switch (k.length === 1 ? k.toLowerCase() : k) {
    case 'l':
      return { type: 'cycleLayout', delta: e.shiftKey ? -1 : 1 };
    case 'f':
      return e.shiftKey ? { type: 'fullscreenWall' } : { type: 'fullscreenPane' };
    case 'Enter':
      return { type: 'maximize' };
    case 'Escape':
      return { type: 'escape' };
    case ']':
      return { type: 'select', delta: 1 };
    case '[':
      return { type: 'select', delta: -1 };
    case 'Delete':
    case 'Backspace':
      return { type: 'close' };
    case 's':
      return { type: 'snapshot' };
    case 'i':
      return { type: 'info' };
    case '?':
      return { type: 'help' };
    default:
      return null;
  }
}

/** The help list: [keys, i18n key under live.keys]. */
export const SHORTCUT_HELP: [string, string][] = [
  ['1 4 6 8 9 0', 'layouts'],
  ['L / Shift+L', 'cycle'],
  ['[ ]', 'select'],
  ['Enter', 'maximize'],
  ['F / Shift+F', 'fullscreen'],
  ['Esc', 'escape'],
  ['← ↑ → ↓', 'ptz'],
  ['+ / −', 'zoom'],
  ['S', 'snapshot'],
  ['I', 'info'],
  ['Delete', 'close'],
  ['?', 'help'],
];

import { OnvifError } from '../lib/onvif/index.js';

/** The REST PTZ actions of `/channels/:id/ptz` that ONVIF ContinuousMove can carry. */
export const ONVIF_PTZ_ACTIONS = ['left', 'right', 'up', 'down', 'upleft', 'upright', 'downleft', 'downright', 'zoomin', 'zoomout', 'stop'] as const;

/**
 * Our REST PTZ action and speed (1–255, as for GB/T 28181) → ContinuousMove velocity in the generic spaces:
 * pan x > 0 is right, tilt y > 0 is up, zoom > 0 is tele (zoom in); magnitude speed/255 on each moving axis
 * (diagonals move both axes at that speed). `stop` → 'stop' (call `ptzStop`). Speed is clamped to 1–255 and
 * rounded; a non-finite speed means the REST default 128. Focus/iris actions are not PTZ in ONVIF (they belong to
 * the Imaging service): NOT_SUPPORTED; unknown actions: INVALID_ARGUMENT.
 */
export function ptzVelocity(action: string, speed: number): { x: number; y: number; zoom: number } | 'stop' {
  if (action === 'stop') return 'stop';
  if (/^(focus|iris|fistop)/.test(action)) throw new OnvifError('NOT_SUPPORTED', `${action} is an Imaging control, not PTZ; ONVIF PTZ cannot do it`);
  if (!(ONVIF_PTZ_ACTIONS as readonly string[]).includes(action)) throw new OnvifError('INVALID_ARGUMENT', `unknown PTZ action ${JSON.stringify(String(action).slice(0, 40))}`);
  const s = Math.max(1, Math.min(255, Math.round(Number.isFinite(speed) ? speed : 128)));
  const v = Math.round((s / 255) * 1e4) / 1e4;
  if (action === 'zoomin') return { x: 0, y: 0, zoom: v };
  if (action === 'zoomout') return { x: 0, y: 0, zoom: -v };
  const x = action.endsWith('left') ? -v : action.endsWith('right') ? v : 0;
  const y = action.startsWith('up') ? v : action.startsWith('down') ? -v : 0;
  return { x, y, zoom: 0 };
}

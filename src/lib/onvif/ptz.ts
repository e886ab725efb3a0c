import { OnvifError } from './errors.js';
import { actionOf } from './namespaces.js';
import { refToken } from './media.js';
import { responseElement, type SoapRequest } from './soap.js';
import { attr, children, escapeXml, formatNumber, text, type Tree } from './xml.js';

// PTZ service (ver20/ptz/wsdl): continuous move, stop and presets, in the generic velocity spaces.

export interface PtzVelocity {
  /** Pan, −1 (left) … 1 (right). */
  x: number;
  /** Tilt, −1 (down) … 1 (up). */
  y: number;
  /** Zoom, −1 (wide / out) … 1 (tele / in). */
  zoom: number;
}

function unit(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new OnvifError('INVALID_ARGUMENT', `${name} must be a finite number`);
  return Math.max(-1, Math.min(1, v));
}

/** xs:duration in seconds (`PT5S`, `PT0.5S`). */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) throw new OnvifError('INVALID_ARGUMENT', 'timeout must be a positive number of seconds');
  return `PT${formatNumber(Math.min(seconds, 86400))}S`;
}

/**
 * ContinuousMove. PanTilt is sent only when x or y is non-zero and Zoom only when zoom is non-zero (cameras
 * without optical zoom fault on a Zoom element); all-zero sends both at zero, which devices treat as stop.
 * No `space` attribute: the generic velocity spaces of the PTZ node apply.
 */
export function continuousMove(profileToken: string, v: PtzVelocity, timeoutSec?: number): SoapRequest {
  const x = unit('x', v.x);
  const y = unit('y', v.y);
  const z = unit('zoom', v.zoom);
  const still = x === 0 && y === 0 && z === 0;
  const pt = x !== 0 || y !== 0 || still ? `<tt:PanTilt x="${formatNumber(x)}" y="${formatNumber(y)}"/>` : '';
  const zm = z !== 0 || still ? `<tt:Zoom x="${formatNumber(z)}"/>` : '';
  return {
    action: actionOf('tptz', 'ContinuousMove'),
    body:
      `<tptz:ContinuousMove><tptz:ProfileToken>${refToken('profile token', profileToken)}</tptz:ProfileToken>` +
      `<tptz:Velocity>${pt}${zm}</tptz:Velocity>` +
      (timeoutSec !== undefined ? `<tptz:Timeout>${duration(timeoutSec)}</tptz:Timeout>` : '') +
      '</tptz:ContinuousMove>',
    response: 'ContinuousMoveResponse',
  };
}

/** Stop; both flags default to true and are always sent explicitly (some firmware ignores an empty Stop). */
export function stop(profileToken: string, panTilt = true, zoom = true): SoapRequest {
  return {
    action: actionOf('tptz', 'Stop'),
    body:
      `<tptz:Stop><tptz:ProfileToken>${refToken('profile token', profileToken)}</tptz:ProfileToken>` +
      `<tptz:PanTilt>${panTilt ? 'true' : 'false'}</tptz:PanTilt><tptz:Zoom>${zoom ? 'true' : 'false'}</tptz:Zoom></tptz:Stop>`,
    response: 'StopResponse',
  };
}

export function getPresets(profileToken: string): SoapRequest {
  return {
    action: actionOf('tptz', 'GetPresets'),
    body: `<tptz:GetPresets><tptz:ProfileToken>${refToken('profile token', profileToken)}</tptz:ProfileToken></tptz:GetPresets>`,
    response: 'GetPresetsResponse',
  };
}

export interface PtzPreset {
  token: string;
  name: string;
}

/** Presets in the device's order; a preset without a name is named by its token. */
export function parsePresets(body: Tree): PtzPreset[] {
  const r = responseElement(body, 'GetPresetsResponse');
  const out: PtzPreset[] = [];
  for (const p of children(r, 'Preset')) {
    const tok = attr(p, 'token')?.trim();
    if (!tok) continue;
    out.push({ token: tok, name: text(p, 'Name') ?? tok });
  }
  return out;
}

export function gotoPreset(profileToken: string, presetToken: string): SoapRequest {
  return {
    action: actionOf('tptz', 'GotoPreset'),
    body:
      `<tptz:GotoPreset><tptz:ProfileToken>${refToken('profile token', profileToken)}</tptz:ProfileToken>` +
      `<tptz:PresetToken>${refToken('preset token', presetToken)}</tptz:PresetToken></tptz:GotoPreset>`,
    response: 'GotoPresetResponse',
  };
}

/** SetPreset: with a PresetToken it overwrites that preset, without one the device allocates a new one. */
export function setPreset(profileToken: string, name?: string, presetToken?: string): SoapRequest {
  return {
    action: actionOf('tptz', 'SetPreset'),
    body:
      `<tptz:SetPreset><tptz:ProfileToken>${refToken('profile token', profileToken)}</tptz:ProfileToken>` +
      (name !== undefined && name !== '' ? `<tptz:PresetName>${escapeXml(name)}</tptz:PresetName>` : '') +
      (presetToken !== undefined ? `<tptz:PresetToken>${refToken('preset token', presetToken)}</tptz:PresetToken>` : '') +
      '</tptz:SetPreset>',
    response: 'SetPresetResponse',
  };
}

export function parseSetPreset(body: Tree): string {
  const t = text(responseElement(body, 'SetPresetResponse'), 'PresetToken');
  if (!t) throw new OnvifError('BAD_RESPONSE', 'SetPresetResponse has no PresetToken');
  return t;
}

export function removePreset(profileToken: string, presetToken: string): SoapRequest {
  return {
    action: actionOf('tptz', 'RemovePreset'),
    body:
      `<tptz:RemovePreset><tptz:ProfileToken>${refToken('profile token', profileToken)}</tptz:ProfileToken>` +
      `<tptz:PresetToken>${refToken('preset token', presetToken)}</tptz:PresetToken></tptz:RemovePreset>`,
    response: 'RemovePresetResponse',
  };
}

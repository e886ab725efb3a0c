/**
 * The OSD text of a channel as a GB/T 28181-2022 DeviceConfig body (附录 A.2.1.12 OSDCfgType, carried in
 * <Control><CmdType>DeviceConfig</CmdType>…<OSDConfig>). Pure: builds the fields, checks the limits.
 *
 * OSDCfgType: Length/Width (the picture in pixels), TimeX/TimeY (where the time goes), TimeEnable (0/1, default 1),
 * TimeType (0: YYYY-MM-DD HH:MM:SS, 1: YYYY年MM月DD日HH:MM:SS), TextEnable (0/1, default 1), SumNum (text lines) and
 * up to 8 Item{Text (0..32 characters), X, Y}. GB/T 28181-2016 has no OSD configuration at all.
 */
import type { XmlObject } from '../../lib/manscdp/index.js';
import { nameWidth } from './checker.js';

/** GB/T 28181-2022 A.2.1.12: Text is 0..32 characters long. */
export const OSD_TEXT_MAX = 32;

export interface OsdLayout {
  /** picture size in pixels (the channel's measured size, else 1920×1080) */
  width: number;
  height: number;
  /** GA/T 751 places the time at the top left and the location at the bottom (right by default) */
  textCorner: 'bottom-right' | 'bottom-left';
}

/** Problem with an OSD text, or null when it can be sent. */
export function osdTextProblem(text: string): string | null {
  if (!text.trim()) return 'the OSD text is empty';
  const n = [...text].length;
  if (n > OSD_TEXT_MAX) return `the OSD text has ${n} characters; GB/T 28181-2022 OSDConfig allows at most ${OSD_TEXT_MAX}`;
  if (/[\u0000-\u001f\u007f]/u.test(text)) return 'the OSD text holds control characters';
  return null;
}

/**
 * `{ OSDConfig: {...} }` for DeviceConfig: the time on at the top left (TimeType 0), one text line (the name) near
 * the bottom corner. Glyph size ≈ picture height / 34 (32 px at 1080 lines, 16 px at 576), the cell GA/T 751's
 * dot-matrix sizes imply; positions are pixel coordinates from the top-left corner.
 */
export function osdConfigFields(text: string, layout: OsdLayout): XmlObject {
  const w = Math.max(176, Math.round(layout.width));
  const h = Math.max(144, Math.round(layout.height));
  const glyph = Math.max(16, Math.round(h / 34));
  const margin = glyph;
  const textW = Math.ceil(nameWidth(text) * glyph);
  const x = layout.textCorner === 'bottom-left' ? margin : Math.max(0, w - margin - textW);
  const y = Math.max(0, h - margin - glyph);
  return {
    OSDConfig: {
      // OSDCfgType is not a list: no Num attribute (the encoder adds one to elements holding Item unless told)
      '@_Num': null,
      Length: w,
      Width: h,
      TimeX: margin,
      TimeY: margin,
      TimeEnable: 1,
      TimeType: 0,
      TextEnable: 1,
      SumNum: 1,
      Item: { Text: text, X: x, Y: y },
    },
  };
}

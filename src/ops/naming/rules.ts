/**
 * The configurable naming rule set (docs/naming.md): what a channel name — the location label a camera burns into
 * its picture (GA/T 751-2008 视频图像文字标注规范, 地点信息) — must look like. Pure data and validation, no I/O.
 */

export interface NamingRules {
  /**
   * Longest name in 汉字 widths: a Chinese character counts 1, a half-width letter/digit/separator ½ (on a dot-matrix
   * OSD two half-width glyphs take the cell of one 汉字). GA/T 751 limits the location label's length; the default is
   * the city's 20.
   */
  maxLength: number;
  /** Shortest location part (before the direction) in Chinese characters: "location first". */
  minLocationChars: number;
  /** Separators allowed besides Chinese characters, ASCII letters and digits (GA/T 751: 汉字、数字、字母及少量符号). */
  separators: string;
  /** Compass words a name may end with (东/南/西/北/东南…). */
  directions: string[];
  /** Words joining them: 东向西, 朝北, 北向. */
  directionLinks: string[];
  /** City convention: the camera direction closes the name (…东向西, …朝北); PTZ domes (PTZType 1) are exempt. */
  requireDirection: boolean;
  /** PTZ domes turn, so a fixed direction means nothing for them. */
  exemptPtzDomes: boolean;
  /** No two channels of one organisation with the same name (GA/T 751: labels must tell locations apart). */
  uniqueInOrg: boolean;
  /** Optional extra regular expression (JavaScript syntax, `u` flag) every name must match; empty: none. */
  pattern: string;
  /** Prefixes redundant inside the city (e.g. 厦门市, 思明区) that a suggested fix may drop when a name is too long. */
  redundantPrefixes: string[];
}

export const DEFAULT_NAMING_RULES: Readonly<NamingRules> = Object.freeze({
  maxLength: 20,
  minLocationChars: 2,
  separators: '-_#()（）·',
  directions: ['东南', '东北', '西南', '西北', '东', '南', '西', '北'],
  directionLinks: ['向', '朝'],
  requireDirection: true,
  exemptPtzDomes: true,
  uniqueInOrg: true,
  pattern: '',
  redundantPrefixes: [],
});

/** Problems of a rule set, empty when it is usable. */
export function ruleProblems(r: NamingRules): string[] {
  const out: string[] = [];
  if (!Number.isInteger(r.maxLength) || r.maxLength < 4 || r.maxLength > 64) out.push('maxLength must be an integer 4..64');
  if (!Number.isInteger(r.minLocationChars) || r.minLocationChars < 0 || r.minLocationChars > r.maxLength) out.push('minLocationChars must be an integer 0..maxLength');
  if (/[\p{L}\p{N}\s]/u.test(r.separators)) out.push('separators may hold only punctuation (no letters, digits or spaces)');
  if (!r.directions.length || r.directions.some((d) => !/^[\p{Script=Han}]{1,2}$/u.test(d))) out.push('directions must be 1-2 Chinese characters each');
  if (!r.directionLinks.length || r.directionLinks.some((d) => !/^[\p{Script=Han}]$/u.test(d))) out.push('directionLinks must be single Chinese characters');
  if (r.redundantPrefixes.some((p) => !p.trim() || p.length > 20)) out.push('redundantPrefixes must be non-empty words of at most 20 characters');
  if (r.pattern) {
    try {
      new RegExp(r.pattern, 'u');
    } catch (e) {
      out.push(`pattern is not a valid regular expression: ${(e as Error).message}`);
    }
  }
  return out;
}

/** Stored rules merged over the defaults (unknown keys dropped, wrong types fall back to the default). */
export function mergeRules(stored: unknown): NamingRules {
  const out: NamingRules = { ...DEFAULT_NAMING_RULES, directions: [...DEFAULT_NAMING_RULES.directions], directionLinks: [...DEFAULT_NAMING_RULES.directionLinks], redundantPrefixes: [] };
  if (!stored || typeof stored !== 'object') return out;
  const s = stored as Record<string, unknown>;
  for (const k of Object.keys(out) as (keyof NamingRules)[]) {
    const v = s[k];
    const d = out[k];
    if (Array.isArray(d)) {
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) (out as unknown as Record<string, unknown>)[k] = [...v];
    } else if (typeof v === typeof d) (out as unknown as Record<string, unknown>)[k] = v;
  }
  return out;
}

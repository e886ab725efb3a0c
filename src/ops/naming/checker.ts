/**
 * Channel-name checker (docs/naming.md): each name against the rule set, plus a mechanical suggested fix. Pure: no
 * I/O, no clock; the service feeds it channels and writes what the operator accepts.
 *
 * GA/T 751-2008 (视频图像文字标注规范) asks for a location label that identifies the place, written in Chinese
 * characters with digits, letters and a few symbols, of bounded length, distinct between cameras; the city adds the
 * layout "location first, then the camera direction" (…路口东向西, …朝北).
 */
import type { NamingRules } from './rules.js';

export const RULE_CODES = [
  'EMPTY',
  'DEFAULT_NAME',
  'WHITESPACE',
  'CHARSET',
  'PUNCT_RUN',
  'TOO_LONG',
  'NO_LOCATION',
  'DIRECTION_NOT_LAST',
  'DIRECTION_MISSING',
  'PATTERN',
  'DUPLICATE',
] as const;
export type RuleCode = (typeof RULE_CODES)[number];

export interface Violation {
  code: RuleCode;
  message: string;
}

/** What the checker needs of a channel. */
export interface NamedChannel {
  id: string;
  name: string;
  orgId: string | null;
  deviceId: string;
  /** GB/T 28181 PTZType: 1 = dome (球机) */
  ptzType: number | null;
}

export interface NameCheck {
  violations: Violation[];
  /** a name passing every rule, or null when the fix needs a person (no location, no direction, default name) */
  suggestion: string | null;
  /** the suggestion cut the location to fit the length limit */
  lossy: boolean;
}

const HAN = /\p{Script=Han}/u;
const SPACE = /[\s\u3000]/u;
/** Chinese punctuation a mechanical fix turns into the first allowed separator. */
const CN_PUNCT = /[，、。；：“”‘’！？【】《》「」〔〕…,.;:!?'"/\\|+*&%$@~`^=<>[\]{}]/u;
const DEFAULT_NAMES = /^(?:ip\s*camera|ipc|ip\s*dome|camera|cam|channel|ch|video|通道|视频通道|摄像机|摄像头|监控点|相机)\s*[-_#]?\s*\d*$/iu;

/** Display width in 汉字 cells: ASCII takes half a cell, everything else a full one. */
export function nameWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += ch.codePointAt(0)! <= 0x7f ? 0.5 : 1;
  return w;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}

/** Regular expressions built once per rule set (a check of 20,000 names reuses them). */
export class NameChecker {
  private readonly dir: string;
  /** direction phrase (+ optional serial number) closing the name */
  private readonly endRe: RegExp;
  private readonly anyDirRe: RegExp;
  private readonly dirEndRe: RegExp;
  private readonly allowed: RegExp;
  private readonly sepClass: string;
  private readonly sepRun: RegExp;
  private readonly sepEdge: RegExp;
  private readonly pattern: RegExp | null;

  constructor(readonly rules: NamingRules) {
    const d = `(?:${[...rules.directions].sort((a, b) => b.length - a.length).map(escapeRe).join('|')})`;
    const l = `(?:${rules.directionLinks.map(escapeRe).join('|')})`;
    this.dir = `(?:${d}${l}${d}?|${l}${d})`;
    this.endRe = new RegExp(`${this.dir}(?:[-_#]?[0-9]{1,3}|[（(][0-9]{1,3}[)）])?$`, 'u');
    this.anyDirRe = new RegExp(this.dir, 'u');
    this.dirEndRe = new RegExp(`${this.dir}$`, 'u');
    this.sepClass = `[${escapeRe(rules.separators)}]`;
    this.allowed = rules.separators ? new RegExp(`^(?:\\p{Script=Han}|[A-Za-z0-9]|${this.sepClass})$`, 'u') : /^(?:\p{Script=Han}|[A-Za-z0-9])$/u;
    this.sepRun = rules.separators ? new RegExp(`${this.sepClass}{2,}`, 'u') : /(?!)/;
    this.sepEdge = rules.separators ? new RegExp(`^${this.sepClass}|${this.sepClass}$`, 'u') : /(?!)/;
    this.pattern = rules.pattern ? new RegExp(rules.pattern, 'u') : null;
  }

  /** Rules about the name alone (everything but DUPLICATE). */
  check(name: string, ptzType: number | null = null, id?: string): Violation[] {
    const r = this.rules;
    const out: Violation[] = [];
    const add = (code: RuleCode, message: string) => out.push({ code, message });
    const n = name ?? '';
    if (!n.trim()) {
      add('EMPTY', 'The name is empty (名称为空)');
      return out;
    }
    if (DEFAULT_NAMES.test(n.trim()) || /^[0-9]+$/.test(n.trim()) || (id !== undefined && n.trim() === id)) add('DEFAULT_NAME', `"${n}" is a factory default or a bare number, not a location (出厂默认名称或纯编号)`);
    if (SPACE.test(n)) add('WHITESPACE', 'Spaces are not allowed (不得含空格)');
    const bad = [...new Set([...n].filter((ch) => !SPACE.test(ch) && !this.allowed.test(ch)))];
    if (bad.length) add('CHARSET', `Characters not allowed: ${bad.slice(0, 8).join(' ')} (只允许汉字、字母、数字及 ${r.separators})`);
    if (this.sepRun.test(n) || this.sepEdge.test(n.trim())) add('PUNCT_RUN', 'Separators doubled or at the start/end (符号连用或位于首尾)');
    const w = nameWidth(n);
    if (w > r.maxLength) add('TOO_LONG', `${w} characters wide, at most ${r.maxLength} (超过 ${r.maxLength} 个汉字宽度)`);
    const end = this.endRe.exec(n);
    const exempt = r.exemptPtzDomes && ptzType === 1;
    const location = end ? n.slice(0, end.index) : n;
    if ([...location].filter((ch) => HAN.test(ch)).length < r.minLocationChars && !out.some((v) => v.code === 'DEFAULT_NAME')) add('NO_LOCATION', `The location before the direction needs at least ${r.minLocationChars} Chinese characters (地点在前，至少 ${r.minLocationChars} 个汉字)`);
    if (r.requireDirection && !end && !exempt) {
      if (this.anyDirRe.test(n)) add('DIRECTION_NOT_LAST', 'The camera direction must come after the location (方向应位于地点之后)');
      else add('DIRECTION_MISSING', `The name must end with the camera direction, e.g. 东向西 / 朝北 (缺少朝向)`);
    }
    if (this.pattern && !this.pattern.test(n)) add('PATTERN', `Does not match the required pattern ${r.pattern} (不符合规定格式)`);
    return out;
  }

  /** A mechanical fix, or null when a person must name the place (the fix is checked again before it is offered). */
  suggest(name: string, ptzType: number | null = null, id?: string): { name: string | null; lossy: boolean } {
    const r = this.rules;
    const sep = [...r.separators][0] ?? '';
    let s = (name ?? '').normalize('NFKC');
    s = s.replace(/[\s\u3000]+/gu, '');
    s = [...s]
      .map((ch) => (this.allowed.test(ch) ? ch : CN_PUNCT.test(ch) ? sep : ''))
      .join('');
    s = this.tidySeparators(s);
    // the direction moved behind the location
    if (r.requireDirection && !this.endRe.test(s)) {
      const m = this.anyDirRe.exec(s);
      if (m) s = this.tidySeparators(s.slice(0, m.index) + sep + s.slice(m.index + m[0].length)) + m[0];
    }
    // a separator left right before the closing direction (…口，朝北 → …口朝北)
    const end = this.endRe.exec(s);
    if (end && r.separators) s = this.tidySeparators(s.slice(0, end.index)) + end[0];
    let lossy = false;
    if (nameWidth(s) > r.maxLength) {
      for (let again = true; again && nameWidth(s) > r.maxLength; ) {
        again = false;
        for (const p of r.redundantPrefixes) {
          if (s.startsWith(p) && s.length > p.length) {
            s = this.tidySeparators(s.slice(p.length));
            again = true;
          }
        }
      }
      if (nameWidth(s) > r.maxLength) {
        s = this.fit(s, r.maxLength);
        lossy = true;
      }
    }
    if (!s || this.check(s, ptzType, id).length) return { name: null, lossy: false };
    return { name: s, lossy };
  }

  /** Cuts the location so the name fits `max`, keeping the direction (and serial) at the end. */
  fit(s: string, max: number): string {
    const end = this.endRe.exec(s);
    const tail = end ? end[0] : '';
    const chars = [...(end ? s.slice(0, end.index) : s)];
    while (chars.length && nameWidth(chars.join('') + tail) > max) chars.pop();
    return this.tidySeparators(chars.join('')) + tail;
  }

  /** With a serial number: 湖滨路东向西 → 湖滨路东向西2 (an existing serial is replaced), fitted to the length limit. */
  withSerial(s: string, n: number): string {
    const serial = /(?:[-_#]?[0-9]{1,3}|[（(][0-9]{1,3}[)）])$/u;
    const base = this.endRe.test(s) && !this.dirEndRe.test(s) ? s.replace(serial, '') : s;
    return this.fit(`${base}${n}`, this.rules.maxLength);
  }

  private tidySeparators(s: string): string {
    if (!this.rules.separators) return s;
    let out = s.replace(new RegExp(`(${this.sepClass})${this.sepClass}+`, 'gu'), '$1');
    out = out.replace(new RegExp(`^${this.sepClass}+|${this.sepClass}+$`, 'gu'), '');
    return out;
  }
}

/** Key of the duplicate group: the organisation, or the device for channels without one. */
function groupOf(c: NamedChannel): string {
  return c.orgId ? `org:${c.orgId}` : `dev:${c.deviceId}`;
}

/**
 * Checks every channel, duplicates included, and gives each violating one a suggested name that passes all rules,
 * duplicates resolved by serial numbers (GA/T 751: same location → tell apart by direction or number). Channels are
 * visited in id order so the same input always gives the same suggestions.
 */
export function checkChannels(channels: readonly NamedChannel[], rules: NamingRules, checker = new NameChecker(rules)): Map<string, NameCheck> {
  const sorted = [...channels].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const out = new Map<string, NameCheck>();
  for (const c of sorted) {
    const violations = checker.check(c.name, c.ptzType, c.id);
    const s = violations.length ? checker.suggest(c.name, c.ptzType, c.id) : { name: c.name, lossy: false };
    out.set(c.id, { violations, suggestion: violations.length ? s.name : null, lossy: s.lossy });
  }
  if (!rules.uniqueInOrg) return out;
  // duplicates of the names as they are now
  const groups = new Map<string, Map<string, NamedChannel[]>>();
  for (const c of sorted) {
    const g = groupOf(c);
    let m = groups.get(g);
    if (!m) groups.set(g, (m = new Map()));
    const k = c.name.trim();
    if (!k) continue;
    const list = m.get(k);
    if (list) list.push(c);
    else m.set(k, [c]);
  }
  for (const m of groups.values()) {
    for (const [name, list] of m) {
      if (list.length < 2) continue;
      for (const c of list.slice(1)) {
        const r = out.get(c.id)!;
        r.violations.push({ code: 'DUPLICATE', message: `${list.length} channels of this organisation are named "${name}" (同一组织内名称重复)` });
        if (!r.suggestion && r.violations.length === 1) r.suggestion = name; // renumbered below
      }
    }
  }
  // Final names per group: names that stay (valid, or unfixable by machine) are taken first; suggestions that
  // clash with them or with an earlier suggestion get the next free serial number.
  const members = new Map<string, NamedChannel[]>();
  for (const c of sorted) {
    const g = groupOf(c);
    const list = members.get(g);
    if (list) list.push(c);
    else members.set(g, [c]);
  }
  for (const list of members.values()) {
    const taken = new Set<string>();
    for (const c of list) if (out.get(c.id)!.suggestion === null && c.name.trim()) taken.add(c.name.trim());
    for (const c of list) {
      const r = out.get(c.id)!;
      if (r.suggestion === null) continue;
      let final = r.suggestion;
      for (let n = 2; (taken.has(final) || checker.check(final, c.ptzType, c.id).length) && n < 1000; n++) final = checker.withSerial(r.suggestion, n);
      const ok = !taken.has(final) && !checker.check(final, c.ptzType, c.id).length;
      r.suggestion = ok ? final : null;
      taken.add(ok ? final : c.name.trim());
    }
  }
  return out;
}

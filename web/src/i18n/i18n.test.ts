import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createI18n } from 'vue-i18n';
import { messages } from './index';
import { API_KEY_SCOPES, CAPABILITY_KEYS, DEVICE_SOURCES, ORG_TYPES, SITE_CATEGORIES } from '../api/types';
import { NAV_ITEMS } from '../utils/nav';
import { PTZ_TYPES } from '../utils/channelForm';
import { PLAN_MODES, RECORD_SOURCES, REC_STATES } from '../api/records';
import { WEEKDAYS } from '../utils/recordPlan';

type Tree = { [k: string]: string | Tree };

function flatten(obj: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}

const { 'zh-CN': zhCN, en } = messages;
const zh = flatten(zhCN as Tree);
const enFlat = flatten(en as Tree);
const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.(vue|ts)$/.test(name) && !name.endsWith('.test.ts') ? [p] : [];
  });
}

describe('i18n messages', () => {
  it('zh-CN and en have exactly the same keys', () => {
    const onlyZh = [...zh.keys()].filter((k) => !enFlat.has(k));
    const onlyEn = [...enFlat.keys()].filter((k) => !zh.has(k));
    expect({ onlyZh, onlyEn }).toEqual({ onlyZh: [], onlyEn: [] });
  });

  it('no message is empty and named placeholders match between languages', () => {
    const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [k, v] of zh) {
      expect(v.trim(), `zh ${k}`).not.toBe('');
      expect(enFlat.get(k)?.trim(), `en ${k}`).not.toBe('');
      expect(names(enFlat.get(k) ?? ''), `placeholders of ${k}`).toEqual(names(v));
    }
  });

  it('every message compiles and renders without vue-i18n syntax errors', () => {
    const errors: string[] = [];
    const i18n = createI18n({
      legacy: false,
      locale: 'zh-CN',
      messages: { 'zh-CN': zhCN, en },
      missingWarn: false,
      fallbackWarn: false,
      warnHtmlMessage: false,
    });
    for (const locale of ['zh-CN', 'en'] as const) {
      i18n.global.locale.value = locale;
      for (const key of zh.keys()) {
        try {
          const out = i18n.global.t(key, { name: 'N', until: 'U', imported: 1, updated: 2, orgs: 3, channels: 4, checked: 5, at: 6 });
          if (!out || out === key) errors.push(`${locale} ${key}: rendered as key`);
          if (/[{}]/.test(out)) errors.push(`${locale} ${key}: unresolved placeholder in "${out}"`);
        } catch (e) {
          errors.push(`${locale} ${key}: ${String(e)}`);
        }
      }
    }
    expect(errors).toEqual([]);
  });

  it('every static key used in the sources exists', () => {
    const missing: string[] = [];
    for (const file of sourceFiles(srcDir)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bt\(\s*'([\w.:-]+)'/g)) {
        if (!zh.has(m[1]!)) missing.push(`${relative(srcDir, file)}: ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('every dynamic key family covers its values', () => {
    const families: [string, readonly (string | number)[]][] = [
      ['nav', NAV_ITEMS.map((i) => i.key)],
      ['siteCategory', SITE_CATEGORIES],
      ['capability', CAPABILITY_KEYS],
      ['deviceSource', DEVICE_SOURCES],
      ['orgType', ORG_TYPES],
      ['org.idHint', ORG_TYPES],
      ['ptzType', PTZ_TYPES],
      ['apikeyScope', API_KEY_SCOPES],
      ['password.problem', ['length', 'classes', 'username']],
      ['dashboard', ['devices', 'channels']],
      ['playback.recState', REC_STATES],
      ['playback.modeOpt', PLAN_MODES],
      ['playback.sourceOpt', RECORD_SOURCES],
      ['playback.weekday', WEEKDAYS],
      ['playback.problem', ['empty', 'noDays', 'badTime', 'order']],
    ];
    const missing = families.flatMap(([prefix, values]) => values.map((v) => `${prefix}.${v}`).filter((k) => !zh.has(k)));
    expect(missing).toEqual([]);
  });

  it('dynamic keys in the sources only use known families', () => {
    const known = new Set(['nav', 'siteCategory', 'capability', 'deviceSource', 'orgType', 'org.idHint', 'ptzType', 'apikeyScope', 'password.problem', 'dashboard', 'permGroup', 'playback.recState', 'playback.modeOpt', 'playback.sourceOpt', 'playback.weekday', 'playback.problem']);
    const unknown: string[] = [];
    for (const file of sourceFiles(srcDir)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\b(?:t|te)\(\s*`([\w.]+)\.\$\{/g)) {
        if (!known.has(m[1]!)) unknown.push(`${relative(srcDir, file)}: ${m[1]}`);
      }
    }
    expect(unknown).toEqual([]);
  });
});

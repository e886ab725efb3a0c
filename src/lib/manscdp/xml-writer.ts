import { escapeXml } from './entities.js';
import { ManscdpError } from './errors.js';
import type { XmlObject, XmlValue } from './types.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

function checkName(name: string): void {
  if (!NAME.test(name)) throw new ManscdpError('BAD_INPUT', `bad element or attribute name ${JSON.stringify(name.slice(0, 70))}`);
}

function scalar(v: string | number): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new ManscdpError('BAD_INPUT', `number ${v} cannot be written`);
    return String(v);
  }
  return escapeXml(v);
}

function isObject(v: XmlValue): v is XmlObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function writeElement(out: string[], name: string, v: XmlValue, depth: number): void {
  if (v === null || v === undefined) return;
  if (Array.isArray(v)) {
    for (const x of v as readonly XmlValue[]) writeElement(out, name, x, depth);
    return;
  }
  checkName(name);
  if (depth > 16) throw new ManscdpError('BAD_INPUT', 'fields nest too deep');
  if (!isObject(v)) {
    if (typeof v !== 'string' && typeof v !== 'number') throw new ManscdpError('BAD_INPUT', `field <${name}> has an unsupported value`);
    out.push(`<${name}>${scalar(v)}</${name}>\r\n`);
    return;
  }
  const attrs: string[] = [];
  const keys = Object.keys(v);
  // Lists carry their length (GB/T 28181-2016 §A.2.6: <DeviceList Num="…">, <RecordList Num="…"> …).
  if (Object.hasOwn(v, 'Item') && !Object.hasOwn(v, '@_Num')) {
    const it = v.Item;
    attrs.push(` Num="${Array.isArray(it) ? it.filter((x) => x !== null && x !== undefined).length : it === null || it === undefined ? 0 : 1}"`);
  }
  for (const k of keys) {
    if (!k.startsWith('@_')) continue;
    const a = v[k];
    if (a === null || a === undefined) continue;
    checkName(k.slice(2));
    if (typeof a !== 'string' && typeof a !== 'number') throw new ManscdpError('BAD_INPUT', `attribute ${k} must be text or a number`);
    attrs.push(` ${k.slice(2)}="${scalar(a)}"`);
  }
  const inner: string[] = [];
  for (const k of keys) {
    if (k.startsWith('@_')) continue;
    if (k === '#text') {
      const t = v[k];
      if (typeof t === 'string' || typeof t === 'number') inner.push(scalar(t));
      continue;
    }
    writeElement(inner, k, v[k], depth + 1);
  }
  const content = inner.join('');
  const open = `<${name}${attrs.join('')}>`;
  out.push(content.includes('<') ? `${open}\r\n${content}</${name}>\r\n` : `${open}${content}</${name}>\r\n`);
}

/** Serialises `fields` as child elements in insertion order, one element per CRLF-terminated line. */
export function writeFields(fields: XmlObject): string {
  const out: string[] = [];
  for (const k of Object.keys(fields)) writeElement(out, k, fields[k], 1);
  return out.join('');
}

/** Serialises one element (used for the root). */
export function writeRoot(name: string, fields: XmlObject): string {
  checkName(name);
  return `<${name}>\r\n${writeFields(fields)}</${name}>\r\n`;
}

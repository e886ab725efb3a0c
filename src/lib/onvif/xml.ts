import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { decodeEntities, escapeXml } from '../manscdp/entities.js';
import { asArray, child, isTree, textOf, type Tree } from '../manscdp/tree.js';
import { OnvifError } from './errors.js';

export { asArray, child, escapeXml, isTree, textOf, type Tree };

/** Answers larger than this are refused (a Hikvision GetProfiles with analytics is ~60 KiB). */
export const MAX_XML_BYTES = 4 * 1024 * 1024;
const MAX_DEPTH = 64;

let shared: XMLParser | undefined;

/**
 * Namespace-agnostic parser: prefixes are stripped from element and attribute names (`tt:Name`, `Name` with a
 * default namespace and `ns2:Name` all read as `Name`); `xmlns` declarations are dropped. Attributes are `@_name`.
 */
function parser(): XMLParser {
  return (shared ??= new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    textNodeName: '#text',
    removeNSPrefix: true,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    processEntities: false, // decoded once below; DOCTYPE (and so entity expansion) is refused up front
    htmlEntities: false,
    maxNestedTags: MAX_DEPTH,
  }));
}

function clean(v: unknown): unknown {
  if (typeof v === 'string') return decodeEntities(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(clean);
  if (isTree(v)) {
    const out: Tree = {};
    for (const k of Object.keys(v)) out[k] = clean(v[k]);
    return out;
  }
  return '';
}

/** Parses an XML document into a plain tree with local names. Throws `OnvifError('BAD_RESPONSE')`. */
export function parseXml(input: string | Uint8Array): Tree {
  const text = (typeof input === 'string' ? input : new TextDecoder('utf-8').decode(input)).replace(/^[\s\ufeff]+/, '').replace(/[\s\0]+$/, '');
  if (text.length > MAX_XML_BYTES) throw new OnvifError('BAD_RESPONSE', `XML of ${text.length} characters is too large`);
  if (text === '') throw new OnvifError('BAD_RESPONSE', 'empty answer');
  if (/<!(DOCTYPE|ENTITY)/i.test(text)) throw new OnvifError('BAD_RESPONSE', 'DOCTYPE/ENTITY declarations are not accepted');
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new OnvifError('BAD_RESPONSE', `not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  }
  try {
    const doc = clean(parser().parse(text));
    return isTree(doc) ? doc : {};
  } catch (e) {
    throw new OnvifError('BAD_RESPONSE', `cannot parse XML: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** Follows a path of local names; repeated elements: the first. */
export function path(el: unknown, ...names: string[]): unknown {
  let cur = el;
  for (const n of names) {
    const v = child(Array.isArray(cur) ? cur[0] : cur, n);
    if (v === undefined) return undefined;
    cur = v;
  }
  return Array.isArray(cur) ? cur[0] : cur;
}

/** Trimmed text at a path, or undefined when absent or empty. */
export function text(el: unknown, ...names: string[]): string | undefined {
  const t = textOf(path(el, ...names))?.trim();
  return t ? t : undefined;
}

/** Attribute value (local name), or undefined. */
export function attr(el: unknown, name: string): string | undefined {
  const node = Array.isArray(el) ? el[0] : el;
  if (!isTree(node)) return undefined;
  const v = child(node, `@_${name}`);
  return typeof v === 'string' ? v : undefined;
}

/** All children with this local name, as trees (text-only children become `{ '#text': … }`). */
export function children(el: unknown, name: string): Tree[] {
  return asArray(child(Array.isArray(el) ? el[0] : el, name)).map((v) => (isTree(v) ? v : { '#text': typeof v === 'string' ? v : '' }));
}

/** A decimal number at a path (accepts `25`, `25.000000`, `-0.5`, `1e3`); undefined when absent or not a number. */
export function num(el: unknown, ...names: string[]): number | undefined {
  return parseNumber(text(el, ...names));
}

export function parseNumber(t: string | undefined): number | undefined {
  if (t === undefined || !/^[+-]?(\d{1,20}(\.\d{0,20})?|\.\d{1,20})([eE][+-]?\d{1,3})?$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** The local part of a QName text value (`ter:NotAuthorized` → `NotAuthorized`). */
export function localName(qname: string): string {
  const i = qname.lastIndexOf(':');
  return (i < 0 ? qname : qname.slice(i + 1)).trim();
}

/** `xs:boolean` (`true`/`false`/`1`/`0`, any case); undefined otherwise. */
export function bool(t: string | undefined): boolean | undefined {
  const s = t?.trim().toLowerCase();
  return s === 'true' || s === '1' ? true : s === 'false' || s === '0' ? false : undefined;
}

/** Number for an XML attribute or element: finite, fixed-point (never exponent form), at most 6 decimals, no `-0`. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new OnvifError('INVALID_ARGUMENT', `number ${n} cannot be written`);
  const r = Math.round(n * 1e6) / 1e6;
  if (r === 0) return '0';
  return r.toFixed(6).replace(/\.?0+$/, '');
}

import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { decodeText } from './charset.js';
import { decodeEntities } from './entities.js';
import { ManscdpError } from './errors.js';
import { repairXml } from './lenient.js';
import { child, isTree, textOf, type Tree } from './tree.js';
import type { ManscdpMessage, ManscdpRoot } from './types.js';

/** Bodies larger than this are refused before any parsing (a catalog page is a few KiB). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Deepest element nesting accepted; MANSCDP needs about six levels. */
export const MAX_DEPTH = 32;

const ROOTS: Record<string, ManscdpRoot> = { query: 'Query', response: 'Response', notify: 'Notify', control: 'Control' };

let shared: XMLParser | undefined;

/** One parser for the process: it keeps no state between documents, and building one per body showed in storm profiles. */
function parser(): XMLParser {
  return (shared ??= new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    textNodeName: '#text',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    processEntities: false, // entities are decoded below, once; DOCTYPE is refused by repairXml
    htmlEntities: false,
    maxNestedTags: MAX_DEPTH,
    // Lists are always arrays, even with one Item (DeviceList, RecordList, PresetList, Alarmstatus …).
    isArray: (name: string, _path: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute && name.toLowerCase() === 'item',
  }));
}

/** Copies the parser's output into fresh plain objects with entities decoded in text and attribute values. */
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

const NAME = /[A-Za-z_][A-Za-z0-9_.-]*/y;
/** The name at `at` (sticky match), or '' when none starts there. */
function nameAt(text: string, at: number): string {
  NAME.lastIndex = at;
  const m = NAME.exec(text);
  return m ? m[0] : '';
}
const PROLOG = /^<\?xml(?:[ \t\n]+(?:version|encoding|standalone)[ \t\n]*=[ \t\n]*(?:"[^"<>?&]*"|'[^'<>?&]*'))*[ \t\n]*\?>/;
/** Names the full parser renames (`__toString`): prototype members. */
const reserved = (name: string) => name in Object.prototype || name.startsWith('__');

/**
 * The common case without the general parser: plain elements, text and quoted attributes, an optional leading XML
 * declaration. Builds exactly the tree fast-xml-parser builds with the options above (children in first-appearance
 * order, then `#text` joined from the trimmed text runs, then `@_` attributes; `Item` always an array; an empty
 * element is ''). Returns undefined for anything else — comments, CDATA, PIs, `&`, `>` in text, odd names or
 * spacing, mismatched tags, more than one root, nesting deeper than MAX_DEPTH — which then takes the full
 * validator and parser (so errors are reported by them, word for word).
 */
export function parseSimpleTree(input: string): Tree | undefined {
  if (input.includes('&') || input.includes('<!')) return undefined;
  // XML line-end normalisation (§2.11), as the full parser does over the whole document.
  const text = input.includes('\r') ? input.replace(/\r\n?/g, '\n') : input;
  const n = text.length;
  let i = 0;
  if (text.startsWith('<?xml')) {
    const m = PROLOG.exec(text);
    if (!m || text.includes('<?', 5)) return undefined;
    i = m[0].length;
  } else if (text.includes('<?')) return undefined;
  interface Frame {
    name: string;
    obj: Tree;
    text: string;
    attrs: [string, string][] | undefined;
  }
  const stack: Frame[] = [];
  const top: Frame = { name: '', obj: {}, text: '', attrs: undefined };
  let rootSeen = false;
  const attach = (parent: Frame, name: string, val: unknown) => {
    const o = parent.obj;
    if (Object.hasOwn(o, name)) {
      const cur = o[name];
      if (Array.isArray(cur)) cur.push(val);
      else o[name] = [cur, val];
    } else o[name] = name.toLowerCase() === 'item' ? [val] : val;
  };
  const finish = (f: Frame): unknown => {
    let val: Tree | string = f.obj;
    const keys = Object.keys(val);
    if (f.text.length > 0) val['#text'] = f.text;
    if (f.attrs) {
      for (const [k, v] of f.attrs) val[`@_${k}`] = v;
    } else if (keys.length === 0) val = f.text.length > 0 ? f.text : '';
    return val;
  };
  let cur = top;
  while (i < n) {
    const lt = text.indexOf('<', i);
    const end = lt < 0 ? n : lt;
    if (end > i) {
      const run = text.slice(i, end);
      if (run.includes('>')) return undefined;
      const t = run.trim();
      if (t.length) {
        if (cur === top) return undefined; // text outside the root
        cur.text += t;
      }
    }
    if (lt < 0) break;
    const gt = text.indexOf('>', lt);
    if (gt < 0) return undefined;
    if (text.charCodeAt(lt + 1) === 47 /* / */) {
      // </Name> or </Name  >
      const name = text.slice(lt + 2, gt).trimEnd();
      if (!stack.length || name !== cur.name) return undefined;
      const done = stack.pop()!;
      cur = stack.length ? stack[stack.length - 1] : top;
      attach(cur, done.name, finish(done));
      i = gt + 1;
      continue;
    }
    const name = nameAt(text, lt + 1);
    if (!name) return undefined;
    let j = lt + 1 + name.length;
    if (reserved(name)) return undefined;
    let selfClose = false;
    let attrs: [string, string][] | undefined;
    // attributes: (ws+ name="v")* ws* /?
    for (;;) {
      const ws = j;
      while (j < gt && (text[j] === ' ' || text[j] === '\t' || text[j] === '\r' || text[j] === '\n')) j++;
      if (j === gt) break;
      if (text[j] === '/' && j + 1 === gt) {
        selfClose = true;
        break;
      }
      const an = j === ws ? '' : nameAt(text, j);
      if (!an) return undefined;
      j += an.length;
      if (text[j] !== '=') return undefined;
      const q = text[j + 1];
      if (q !== '"' && q !== "'") return undefined;
      const close = text.indexOf(q, j + 2);
      if (close < 0 || close > gt) return undefined; // a '>' inside a quoted value: leave it to the full parser
      const av = text.slice(j + 2, close);
      if (av.trim() !== av || av.includes('<')) return undefined;
      if (reserved(an) || attrs?.some(([k]) => k === an)) return undefined;
      (attrs ??= []).push([an, av]);
      j = close + 1;
    }
    if (cur === top) {
      if (rootSeen) return undefined;
      rootSeen = true;
    }
    const f: Frame = { name, obj: {}, text: '', attrs };
    if (selfClose) attach(cur, name, finish(f));
    else {
      if (stack.length >= MAX_DEPTH) return undefined;
      stack.push(f);
      cur = f;
    }
    i = gt + 1;
  }
  if (stack.length || !rootSeen) return undefined;
  return top.obj;
}

function parseTree(text: string): Tree {
  const simple = parseSimpleTree(text);
  if (simple) return simple;
  return parseTreeFull(text);
}

export function parseTreeFull(text: string): Tree {
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new ManscdpError('XML_INVALID', `not well-formed XML: ${msg} (line ${line}, column ${col})`);
  }
  const doc: unknown = parser().parse(text);
  return isTree(doc) ? doc : {};
}

/**
 * Decodes a MANSCDP body (GB/T 28181-2016 Appendix A; 2011 and 2022 bodies alike). The charset comes from the XML
 * prolog (GB2312/GBK/GB18030 read as GB18030; UTF-8 strictly, falling back to GB18030; none: UTF-8, then GB18030).
 * Tolerates BOM, surrounding whitespace and NULs, CRLF/LF, a missing prolog, unknown elements and the repairs of
 * `repairXml`. Throws `ManscdpError` for anything else; never another error.
 */
export function decodeManscdp(body: Buffer): ManscdpMessage {
  if (!(body instanceof Uint8Array)) throw new ManscdpError('BAD_INPUT', 'body must be a Buffer');
  if (body.length > MAX_BODY_BYTES) throw new ManscdpError('TOO_LARGE', `body of ${body.length} bytes exceeds ${MAX_BODY_BYTES}`);
  try {
    const decoded = decodeText(Buffer.from(body.buffer, body.byteOffset, body.length));
    const doc = parseTree(repairXml(decoded.text));
    const names = Object.keys(doc);
    if (names.length !== 1) throw new ManscdpError('NO_ROOT', 'no single root element');
    const root = ROOTS[names[0].toLowerCase()];
    if (root === undefined) throw new ManscdpError('NO_ROOT', `root <${names[0].slice(0, 40)}> is not Query, Response, Notify or Control`);
    const el = clean(doc[names[0]]);
    if (!isTree(el)) throw new ManscdpError('NO_CMDTYPE', `<${root}> has no child elements`);
    const cmdType = textOf(child(el, 'CmdType'))?.trim() ?? '';
    if (cmdType === '') throw new ManscdpError('NO_CMDTYPE', `<${root}> has no CmdType`);
    const snText = textOf(child(el, 'SN'))?.trim() ?? '';
    if (!/^\d{1,15}$/.test(snText)) throw new ManscdpError('BAD_SN', `SN ${JSON.stringify(snText.slice(0, 20))} is not a number`);
    return {
      root,
      cmdType,
      sn: Number(snText),
      deviceId: textOf(child(el, 'DeviceID'))?.trim() ?? '',
      body: el,
      charset: decoded.charset,
      declaredCharset: decoded.declared,
    };
  } catch (e) {
    if (e instanceof ManscdpError) throw e;
    throw new ManscdpError('XML_INVALID', `cannot parse body: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

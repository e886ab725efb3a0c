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

function parseTree(text: string): Tree {
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

import { ManscdpError } from './errors.js';

// A `&` that does not start one of the references XML knows.
const BARE_AMP = /&(?!(?:amp|lt|gt|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});)/g;
// An attribute value written without quotes (`Num=2`, as in the 2011-era RecordInfo example): quoted values are
// matched first so nothing inside them is touched.
const ATTR_VALUE = /("[^"]*"|'[^']*')|=[ \t\r\n]*([^\s"'<>=`/]+)/g;

/** Strips BOM/whitespace in front and whitespace/NULs behind (a loop: `/\s+$/` is quadratic on long inner runs). */
function trimEnds(s: string): string {
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 0 || /\s/.test(s[end - 1]))) end--;
  let start = 0;
  while (start < end && (s.charCodeAt(start) === 0xfeff || /\s/.test(s[start]))) start++;
  return s.slice(start, end);
}

function fixText(s: string): string {
  return s.replace(BARE_AMP, '&amp;');
}

function fixTag(tag: string): string {
  // `</ FilePath >` → `</FilePath>`.
  if (tag[1] === '/') return tag.replace(/^<\/\s+/, '</');
  let t = fixText(tag);
  if (t.includes('=')) t = t.replace(ATTR_VALUE, (m, quoted: string | undefined, bare: string | undefined) => (quoted ?? (bare !== undefined ? `="${bare}"` : m)));
  return t;
}

/**
 * Repairs what real devices get wrong so a strict XML check can run afterwards: unescaped `&` (names such as
 * `A&B栋`), a `<` that cannot start markup (`a < b`), unquoted attribute values and a space after `</`. Comments,
 * CDATA and processing instructions are left as they are. DOCTYPE (and so entity expansion) is refused: no MANSCDP
 * body has one. Linear in the input.
 */
/** Anything `repairXml` would change: a `&`, a `<` not starting markup, `</ x`, or `=` followed by an unquoted value. */
const MAY_NEED_REPAIR = /&|<(?![A-Za-z_:/!?])|<\/\s|=[ \t\r\n]*[^\s"']/;

export function repairXml(input: string): string {
  const text = trimEnds(input);
  if (text === '') throw new ManscdpError('EMPTY', 'body is empty');
  if (/<!(DOCTYPE|ENTITY)/i.test(text)) throw new ManscdpError('XML_INVALID', 'DOCTYPE/ENTITY declarations are not allowed');
  // Most bodies are clean; the character-by-character pass below is only for those that are not.
  if (!MAY_NEED_REPAIR.test(text)) return text;
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const lt = text.indexOf('<', i);
    if (lt < 0) {
      out.push(fixText(text.slice(i)));
      break;
    }
    out.push(fixText(text.slice(i, lt)));
    const raw = (open: string, close: string): boolean => {
      if (!text.startsWith(open, lt)) return false;
      const end = text.indexOf(close, lt + open.length);
      i = end < 0 ? n : end + close.length;
      out.push(text.slice(lt, i));
      return true;
    };
    if (raw('<!--', '-->') || raw('<![CDATA[', ']]>') || raw('<?', '?>')) continue;
    if (!/[A-Za-z_:/!]/.test(text[lt + 1] ?? '')) {
      out.push('&lt;');
      i = lt + 1;
      continue;
    }
    // Find the end of the tag; quoted values may hold '>', never '<'.
    let j = lt + 1;
    let quote = '';
    for (; j < n; j++) {
      const c = text[j];
      if (c === '<') break;
      if (quote) {
        if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '>') break;
    }
    if (j >= n || text[j] !== '>') {
      out.push(text.slice(lt, j)); // unterminated tag: left for the well-formedness check to refuse
      i = j;
      continue;
    }
    out.push(fixTag(text.slice(lt, j + 1)));
    i = j + 1;
  }
  return out.join('');
}

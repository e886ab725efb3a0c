import { OnvifError, type OnvifErrorCode } from './errors.js';
import { NS } from './namespaces.js';
import { child, children, isTree, localName, parseXml, text, textOf, type Tree } from './xml.js';

/** A request ready for the transport: the SOAP action and the Body's inner XML (prefixes of `envelope()`). */
export interface SoapRequest {
  action: string;
  body: string;
  /** Local name of the element expected in the answer's Body (e.g. `GetProfilesResponse`). */
  response: string;
}

/**
 * A SOAP 1.2 envelope. Every prefix our bodies use (tds, trt, tptz, tt) is declared on the Envelope; `header` is
 * inserted as is (the WS-Security header of `usernameToken()`).
 */
export function envelope(body: string, header = ''): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<s:Envelope xmlns:s="${NS.soap}" xmlns:tds="${NS.tds}" xmlns:trt="${NS.trt}" xmlns:tptz="${NS.tptz}" xmlns:tt="${NS.tt}">` +
    (header ? `<s:Header>${header}</s:Header>` : '') +
    `<s:Body>${body}</s:Body>` +
    '</s:Envelope>'
  );
}

/** `Content-Type` of a SOAP 1.2 request (RFC 3902: the action travels as a media-type parameter). */
export function contentType(action: string): string {
  return `application/soap+xml; charset=utf-8; action="${action}"`;
}

export interface SoapFault {
  /** Code/Value local name: Sender, Receiver, VersionMismatch, MustUnderstand … (SOAP 1.1 faultcode likewise). */
  code: string;
  /** Subcode chain, outermost first, as local names (`ter:InvalidArgVal`, `ter:NoProfile` → ['InvalidArgVal', 'NoProfile']). */
  subcodes: string[];
  /** Reason text (English preferred), else the deepest subcode, else the code. */
  reason: string;
  /** Detail text, when the device put one. */
  detail?: string;
}

function deepText(v: unknown, depth = 0): string {
  if (depth > 8) return '';
  if (typeof v === 'string') return v.trim();
  if (Array.isArray(v)) return v.map((x) => deepText(x, depth + 1)).filter(Boolean).join(' ');
  if (isTree(v)) {
    return Object.keys(v)
      .filter((k) => !k.startsWith('@_'))
      .map((k) => deepText(v[k], depth + 1))
      .filter(Boolean)
      .join(' ');
  }
  return '';
}

/** Reads a SOAP 1.2 (Code/Subcode/Reason/Detail) or SOAP 1.1 (faultcode/faultstring/detail) Fault element. */
export function readFault(fault: Tree): SoapFault {
  const code12 = child(fault, 'Code');
  if (code12 !== undefined) {
    const subcodes: string[] = [];
    let sc = child(Array.isArray(code12) ? code12[0] : code12, 'Subcode');
    for (let i = 0; sc !== undefined && i < 8; i++) {
      const v = text(sc, 'Value');
      if (v) subcodes.push(localName(v));
      sc = child(Array.isArray(sc) ? sc[0] : sc, 'Subcode');
    }
    const texts = children(child(fault, 'Reason'), 'Text');
    const en = texts.find((t) => String(t['@_lang'] ?? '').toLowerCase().startsWith('en')) ?? texts[0];
    const code = localName(text(code12, 'Value') ?? '');
    const reason = textOf(en)?.trim() || subcodes[subcodes.length - 1] || code || 'SOAP fault';
    const detail = deepText(child(fault, 'Detail'));
    return { code, subcodes, reason, ...(detail ? { detail } : {}) };
  }
  const code11 = localName(text(fault, 'faultcode') ?? '');
  // SOAP 1.1 puts subcodes as dotted suffixes or a QName in another namespace (`wsse:FailedAuthentication`).
  const reason = text(fault, 'faultstring') ?? code11 ?? 'SOAP fault';
  const detail = deepText(child(fault, 'detail'));
  return { code: code11, subcodes: code11 ? [code11] : [], reason: reason || 'SOAP fault', ...(detail ? { detail } : {}) };
}

const AUTH_SUBCODES = new Set(['notauthorized', 'failedauthentication', 'invalidsecurity', 'invalidsecuritytoken', 'failedcheck', 'messageexpired']);
const UNSUPPORTED_SUBCODES = new Set(['actionnotsupported', 'nosuchservice', 'ptznotsupported', 'notsupported', 'nosuchoperation']);

/** Maps a fault onto our error codes: authorisation faults → AUTH_FAILED, missing operations → NOT_SUPPORTED. */
export function faultErrorCode(f: SoapFault): OnvifErrorCode {
  const subs = [...f.subcodes, f.code].map((s) => s.toLowerCase());
  if (subs.some((s) => AUTH_SUBCODES.has(s))) return 'AUTH_FAILED';
  if (/not\s*authori[sz]ed|authenticat|unauthori[sz]ed/i.test(f.reason)) return 'AUTH_FAILED';
  if (subs.some((s) => UNSUPPORTED_SUBCODES.has(s))) return 'NOT_SUPPORTED';
  return 'SOAP_FAULT';
}

export function faultError(f: SoapFault, status?: number): OnvifError {
  const code = faultErrorCode(f);
  const sub = f.subcodes.length ? ` (${f.subcodes.join('/')})` : '';
  return new OnvifError(code, `device answered with a SOAP fault: ${f.reason}${sub}`, {
    detail: f.detail ? `${f.reason}: ${f.detail}` : f.reason,
    subcodes: f.subcodes,
    ...(status !== undefined ? { status } : {}),
  });
}

export interface SoapMessage {
  header: Tree;
  body: Tree;
}

/** Parses an envelope (SOAP 1.2 or 1.1, any prefixes). A Body with a Fault throws the fault as `OnvifError`. */
export function parseEnvelope(xml: string | Uint8Array, status?: number): SoapMessage {
  const doc = parseXml(xml);
  const env = child(doc, 'Envelope');
  if (!isTree(env)) throw new OnvifError('BAD_RESPONSE', 'answer is not a SOAP envelope', status !== undefined ? { status } : {});
  const body = child(env, 'Body');
  const header = child(env, 'Header');
  const b: Tree = isTree(body) ? body : {};
  const fault = child(b, 'Fault');
  if (fault !== undefined) throw faultError(readFault(isTree(fault) ? fault : {}), status);
  return { header: isTree(header) ? header : {}, body: b };
}

/** The named response element of a Body, or `BAD_RESPONSE`. */
export function responseElement(body: Tree, name: string): Tree {
  const el = child(body, name);
  const node = Array.isArray(el) ? el[0] : el;
  if (node === undefined) throw new OnvifError('BAD_RESPONSE', `answer has no <${name}>`);
  return isTree(node) ? node : {};
}

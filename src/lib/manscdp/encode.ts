import { encodeText, isCharset } from './charset.js';
import { ManscdpError } from './errors.js';
import type { ManscdpCharset, ManscdpRoot, XmlObject } from './types.js';
import { writeRoot } from './xml-writer.js';

/** What `encodeManscdp` writes: the root, the three header fields, then `fields` in insertion order. */
export interface ManscdpOutgoing {
  root: ManscdpRoot;
  cmdType: string;
  sn: number;
  deviceId: string;
  fields?: XmlObject;
}

const ROOTS = new Set<string>(['Query', 'Response', 'Notify', 'Control']);
const HEADER = new Set(['cmdtype', 'sn', 'deviceid']);

/**
 * Encodes a MANSCDP body: `<?xml version="1.0" encoding="GB2312"?>` (or UTF-8/GB18030), the root element with
 * CmdType, SN and DeviceID first (GB/T 28181-2016 §A.2), then `fields`; lists with `Item` get `Num`; text is
 * XML-escaped; CRLF line ends. GB2312 is written with the GB18030 table so no character is lost.
 */
export function encodeManscdp(m: ManscdpOutgoing, charset: ManscdpCharset = 'GB2312'): Buffer {
  if (!isCharset(charset)) throw new ManscdpError('BAD_INPUT', `unsupported charset ${String(charset)}`);
  if (!ROOTS.has(m.root)) throw new ManscdpError('BAD_INPUT', `root must be Query, Response, Notify or Control`);
  if (typeof m.cmdType !== 'string' || m.cmdType.trim() === '') throw new ManscdpError('BAD_INPUT', 'cmdType is required');
  if (!Number.isSafeInteger(m.sn) || m.sn < 0) throw new ManscdpError('BAD_INPUT', `SN must be a non-negative integer, got ${m.sn}`);
  if (typeof m.deviceId !== 'string') throw new ManscdpError('BAD_INPUT', 'deviceId must be a string');
  const fields: Record<string, unknown> = { CmdType: m.cmdType, SN: m.sn, DeviceID: m.deviceId };
  for (const [k, v] of Object.entries(m.fields ?? {})) {
    if (HEADER.has(k.toLowerCase())) throw new ManscdpError('BAD_INPUT', `${k} is set from the message header, not from fields`);
    fields[k] = v;
  }
  const xml = `<?xml version="1.0" encoding="${charset}"?>\r\n${writeRoot(m.root, fields as XmlObject)}`;
  return encodeText(xml, charset);
}

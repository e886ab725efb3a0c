/** Root elements of MANSCDP bodies (GB/T 28181-2016 §A.2). */
export type ManscdpRoot = 'Query' | 'Response' | 'Notify' | 'Control';

/** Charsets we write. GB2312 bodies are written with the GB18030 table (a superset that GBK/GB2312 readers share). */
export type ManscdpCharset = 'GB2312' | 'GB18030' | 'UTF-8';

/** A decoded MANSCDP body. */
export interface ManscdpMessage {
  root: ManscdpRoot;
  cmdType: string;
  sn: number;
  deviceId: string;
  /**
   * The root element as a tree: element text as strings (trimmed, entities decoded; empty element → ''), nested
   * elements as objects, repeated elements as arrays, every `Item` always an array, attributes as `@_Name`
   * (e.g. `DeviceList['@_Num']`), mixed text as `#text`. Includes CmdType/SN/DeviceID as sent.
   */
  body: Record<string, unknown>;
  /** How the bytes were actually decoded (set by `decodeManscdp`). */
  charset?: 'UTF-8' | 'GB18030';
  /** The `encoding` of the XML prolog as written, or null without one. */
  declaredCharset?: string | null;
}

/** Values the encoder writes: text, numbers, nested elements, repeated elements (arrays); null/undefined are left out. */
export type XmlValue = string | number | null | undefined | XmlObject | readonly XmlValue[];
/** Element content: keys are child element names in output order; `@_Name` keys are attributes, `#text` is text. */
export interface XmlObject {
  readonly [name: string]: XmlValue;
}

/** Options of every builder. */
export interface BuildOptions {
  /** Defaults to GB2312, what GB/T 28181-2016 Appendix A bodies declare. */
  charset?: ManscdpCharset;
}

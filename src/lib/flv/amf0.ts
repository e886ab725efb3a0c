/**
 * AMF0 (Adobe Action Message Format 0 spec, §2) as used by FLV SCRIPTDATA (FLV spec v10.1 §E.4.4) and RTMP commands.
 * Markers: 0 number (IEEE double), 1 boolean, 2 string (u16 length), 3 object, 5 null, 6 undefined, 8 ECMA array
 * (u32 count + properties), 9 object end (after an empty u16 name), 10 strict array, 11 date, 12 long string.
 */

export type Amf0Value = number | boolean | string | null | undefined | Date | Amf0Value[] | Amf0EcmaArray | Amf0Object;
export interface Amf0Object {
  [key: string]: Amf0Value;
}

/** An associative array written with marker 8 (onMetaData uses this); plain objects are written as marker 3. */
export class Amf0EcmaArray {
  constructor(readonly props: Amf0Object) {}
}

export class Amf0Error extends Error {
  override readonly name = 'Amf0Error';
}

const MAX_DEPTH = 64;

function encodeString(s: string, withMarker: boolean, parts: Buffer[]): void {
  const b = Buffer.from(s, 'utf8');
  if (b.length > 0xffff) {
    if (!withMarker) throw new Amf0Error('property name longer than 65535 bytes');
    const h = Buffer.allocUnsafe(5);
    h[0] = 12;
    h.writeUInt32BE(b.length, 1);
    parts.push(h, b);
    return;
  }
  const h = Buffer.allocUnsafe(withMarker ? 3 : 2);
  if (withMarker) h[0] = 2;
  h.writeUInt16BE(b.length, withMarker ? 1 : 0);
  parts.push(h, b);
}

function encodeProps(o: Amf0Object, parts: Buffer[], depth: number): void {
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    encodeString(k, false, parts);
    encodeValue(v, parts, depth + 1);
  }
  parts.push(Buffer.from([0, 0, 9]));
}

function encodeValue(v: Amf0Value, parts: Buffer[], depth: number): void {
  if (depth > MAX_DEPTH) throw new Amf0Error('AMF0 value nested too deeply');
  if (typeof v === 'number') {
    const b = Buffer.allocUnsafe(9);
    b[0] = 0;
    b.writeDoubleBE(v, 1);
    parts.push(b);
  } else if (typeof v === 'boolean') parts.push(Buffer.from([1, v ? 1 : 0]));
  else if (typeof v === 'string') encodeString(v, true, parts);
  else if (v === null) parts.push(Buffer.from([5]));
  else if (v === undefined) parts.push(Buffer.from([6]));
  else if (v instanceof Date) {
    const b = Buffer.alloc(11);
    b[0] = 11;
    b.writeDoubleBE(v.getTime(), 1); // then s16 time zone, 0
    parts.push(b);
  } else if (Array.isArray(v)) {
    const h = Buffer.allocUnsafe(5);
    h[0] = 10;
    h.writeUInt32BE(v.length, 1);
    parts.push(h);
    for (const x of v) encodeValue(x, parts, depth + 1);
  } else if (v instanceof Amf0EcmaArray) {
    const h = Buffer.allocUnsafe(5);
    h[0] = 8;
    h.writeUInt32BE(Object.values(v.props).filter((x) => x !== undefined).length, 1);
    parts.push(h);
    encodeProps(v.props, parts, depth);
  } else {
    parts.push(Buffer.from([3]));
    encodeProps(v, parts, depth);
  }
}

/** Encodes values one after another (e.g. "onMetaData", ECMA array). */
export function encodeAmf0(...values: Amf0Value[]): Buffer {
  const parts: Buffer[] = [];
  for (const v of values) encodeValue(v, parts, 0);
  return Buffer.concat(parts);
}

class Reader {
  constructor(
    readonly b: Buffer,
    public o = 0,
  ) {}
  need(n: number): void {
    if (this.o + n > this.b.length) throw new Amf0Error('truncated AMF0 data');
  }
  u8(): number {
    this.need(1);
    return this.b[this.o++];
  }
  u16(): number {
    this.need(2);
    const v = this.b.readUInt16BE(this.o);
    this.o += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.b.readUInt32BE(this.o);
    this.o += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.b.readDoubleBE(this.o);
    this.o += 8;
    return v;
  }
  str(len: number): string {
    this.need(len);
    const s = this.b.toString('utf8', this.o, this.o + len);
    this.o += len;
    return s;
  }
}

function setProp(o: Amf0Object, k: string, v: Amf0Value): void {
  // defineProperty so a "__proto__" key from the wire stays a plain property
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function readProps(r: Reader, depth: number): Amf0Object {
  const o: Amf0Object = {};
  for (;;) {
    const k = r.str(r.u16());
    if (k === '') {
      // end marker 9 follows an empty name; tolerate a missing one at the very end (some encoders cut it)
      if (r.o >= r.b.length) return o;
      const m = r.u8();
      if (m === 9) return o;
      throw new Amf0Error(`expected object end, got marker ${m}`);
    }
    setProp(o, k, readValue(r, depth + 1));
  }
}

function readValue(r: Reader, depth: number): Amf0Value {
  if (depth > MAX_DEPTH) throw new Amf0Error('AMF0 value nested too deeply');
  const m = r.u8();
  switch (m) {
    case 0:
      return r.f64();
    case 1:
      return r.u8() !== 0;
    case 2:
      return r.str(r.u16());
    case 3:
      return readProps(r, depth);
    case 5:
      return null;
    case 6:
      return undefined;
    case 8:
      r.u32(); // approximate count; the properties run to the object end marker
      return readProps(r, depth);
    case 10: {
      const n = r.u32();
      if (n > r.b.length - r.o) throw new Amf0Error('strict array longer than the data');
      const a: Amf0Value[] = [];
      for (let i = 0; i < n; i++) a.push(readValue(r, depth + 1));
      return a;
    }
    case 11: {
      const t = r.f64();
      r.u16();
      return new Date(t);
    }
    case 12:
      return r.str(r.u32());
    default:
      throw new Amf0Error(`unsupported AMF0 marker ${m}`);
  }
}

/** Decodes every value in the buffer (ECMA arrays come back as plain objects). */
export function decodeAmf0(b: Buffer): Amf0Value[] {
  const r = new Reader(b);
  const out: Amf0Value[] = [];
  while (r.o < b.length) out.push(readValue(r, 0));
  return out;
}

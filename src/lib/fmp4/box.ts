/** ISO/IEC 14496-12 §4.2 box writing: size (32) + type (4CC) + payload; FullBox adds version (8) + flags (24). */

export function box(type: string, ...parts: Buffer[]): Buffer {
  let size = 8;
  for (const p of parts) size += p.length;
  const h = Buffer.allocUnsafe(8);
  h.writeUInt32BE(size, 0);
  h.write(type, 4, 4, 'latin1');
  return Buffer.concat([h, ...parts], size);
}

export function fullBox(type: string, version: number, flags: number, ...parts: Buffer[]): Buffer {
  const vf = Buffer.allocUnsafe(4);
  vf.writeUInt32BE(((version & 0xff) << 24) | (flags & 0xffffff), 0);
  return box(type, vf, ...parts);
}

/** Big-endian fields of fixed widths: u8/u16/u24/u32/u64 as [width, value] pairs, plus raw Buffers and 4CC strings. */
export type Field = [8 | 16 | 24 | 32 | 64, number] | Buffer | string;

export function fields(...fs: Field[]): Buffer {
  let size = 0;
  for (const f of fs) size += typeof f === 'string' ? 4 : Buffer.isBuffer(f) ? f.length : f[0] / 8;
  const b = Buffer.alloc(size);
  let o = 0;
  for (const f of fs) {
    if (typeof f === 'string') {
      b.write(f, o, 4, 'latin1');
      o += 4;
    } else if (Buffer.isBuffer(f)) {
      f.copy(b, o);
      o += f.length;
    } else {
      const [w, v] = f;
      if (w === 8) b.writeUInt8(v & 0xff, o);
      else if (w === 16) b.writeUInt16BE(v & 0xffff, o);
      else if (w === 24) b.writeUIntBE(v & 0xffffff, o, 3);
      else if (w === 32) b.writeUInt32BE(v >>> 0, o);
      else b.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(v))), o);
      o += w / 8;
    }
  }
  return b;
}

/** The unity transformation matrix of mvhd/tkhd (14496-12 §8.2.2.3): { 0x00010000,0,0, 0,0x00010000,0, 0,0,0x40000000 }. */
export const UNITY_MATRIX = (() => {
  const m = Buffer.alloc(36);
  m.writeUInt32BE(0x00010000, 0);
  m.writeUInt32BE(0x00010000, 16);
  m.writeUInt32BE(0x40000000, 32);
  return m;
})();

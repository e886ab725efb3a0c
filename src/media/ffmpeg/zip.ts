import { crc32 } from 'node:zlib';

/**
 * A store-only ZIP (APPNOTE.TXT 6.3.10, method 0): JPEGs are compressed already, so deflate would spend CPU for
 * ~1 %, and storing needs no dependency. Per entry: local file header (§4.3.7) + data; then the central directory
 * (§4.3.12) and the end of central directory record (§4.3.16). No ZIP64: ≤ 65,535 entries and < 4 GiB in all
 * (100 snapshots of 1080p are ~30 MB). Names are UTF-8 (general purpose flag bit 11).
 */
export interface ZipEntry {
  /** a relative path with `/` separators, no `..` */
  name: string;
  data: Buffer;
  /** modification time (local time, 2 s resolution, as ZIP stores it); default now */
  at?: Date;
}

const LOCAL_SIG = 0x04034b50;
const CENTRAL_SIG = 0x02014b50;
const END_SIG = 0x06054b50;
const VERSION = 20; // 2.0: the minimum most readers expect; stored entries would need only 1.0
const FLAG_UTF8 = 0x0800;
const MAX32 = 0xffffffff;

function dosTime(d: Date): { time: number; date: number } {
  const y = d.getFullYear();
  if (y < 1980) return { time: 0, date: (1 << 5) | 1 }; // 1980-01-01, the earliest DOS date
  if (y > 2107) return { time: (23 << 11) | (59 << 5) | 29, date: (127 << 9) | (12 << 5) | 31 };
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
    date: ((y - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

function checkName(name: string): Buffer {
  if (!name || name.length > 255 || name.startsWith('/') || name.includes('\\') || name.split('/').some((p) => p === '..' || p === '') || /[\x00-\x1f]/.test(name)) {
    throw new RangeError(`zip: bad entry name ${JSON.stringify(name)}`);
  }
  return Buffer.from(name, 'utf8');
}

export function zipStore(files: readonly ZipEntry[]): Buffer {
  if (files.length > 0xffff) throw new RangeError(`zip: ${files.length} entries (at most 65535 without ZIP64)`);
  const seen = new Set<string>();
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = checkName(f.name);
    if (seen.has(f.name)) throw new RangeError(`zip: duplicate entry name ${JSON.stringify(f.name)}`);
    seen.add(f.name);
    const { time, date } = dosTime(f.at ?? new Date());
    const crc = crc32(f.data);
    const flags = /^[\x20-\x7e]*$/.test(f.name) ? 0 : FLAG_UTF8;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_SIG, 0);
    local.writeUInt16LE(VERSION, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(f.data.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(CENTRAL_SIG, 0);
    cd.writeUInt16LE(VERSION, 4); // made by: MS-DOS/FAT attributes, version 2.0
    cd.writeUInt16LE(VERSION, 6);
    cd.writeUInt16LE(flags, 8);
    cd.writeUInt16LE(0, 10);
    cd.writeUInt16LE(time, 12);
    cd.writeUInt16LE(date, 14);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(f.data.length, 20);
    cd.writeUInt32LE(f.data.length, 24);
    cd.writeUInt16LE(name.length, 28);
    // extra, comment, disk number start, internal attributes: 0
    cd.writeUInt32LE(0, 38); // external attributes
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name);
    parts.push(local, name, f.data);
    offset += 30 + name.length + f.data.length;
    if (offset > MAX32) throw new RangeError('zip: 4 GiB or more (ZIP64 not supported)');
  }
  const cdBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_SIG, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cdBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cdBytes, end]);
}

/** The JPEGs of a continuous snapshot as one ZIP (store-only; see zipStore). */
export function zipJpegs(files: Array<{ name: string; data: Buffer; at?: Date }>): Buffer {
  return zipStore(files);
}

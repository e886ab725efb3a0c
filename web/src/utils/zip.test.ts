import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32, dosDateTime, zipStore } from './zip';

const enc = new TextEncoder();

/** Reads a store-only zip back through its central directory. */
function readZip(buf: Uint8Array): { name: string; data: Uint8Array; crc: number }[] {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const eocd = buf.length - 22;
  expect(v.getUint32(eocd, true)).toBe(0x06054b50);
  const count = v.getUint16(eocd + 10, true);
  let p = v.getUint32(eocd + 16, true);
  expect(p + v.getUint32(eocd + 12, true)).toBe(eocd);
  const out = [];
  for (let i = 0; i < count; i++) {
    expect(v.getUint32(p, true)).toBe(0x02014b50);
    const crc = v.getUint32(p + 16, true);
    const size = v.getUint32(p + 20, true);
    const nameLen = v.getUint16(p + 28, true);
    const name = new TextDecoder().decode(buf.subarray(p + 46, p + 46 + nameLen));
    const local = v.getUint32(p + 42, true);
    expect(v.getUint32(local, true)).toBe(0x04034b50);
    expect(v.getUint16(local + 8, true)).toBe(0); // stored
    const start = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
    out.push({ name, data: buf.subarray(start, start + size), crc });
    p += 46 + nameLen;
  }
  return out;
}

describe('store-only zip writer', () => {
  it('CRC-32 of the check string', () => {
    expect(crc32(enc.encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
  });

  it('DOS date and time', () => {
    expect(dosDateTime(new Date(2026, 10, 25, 10, 30, 15))).toEqual({ date: ((2026 - 1980) << 9) | (11 << 5) | 25, time: (10 << 11) | (30 << 5) | 7 });
  });

  it('writes entries that read back byte for byte, with UTF-8 names', () => {
    const pics = [
      { name: '东门-001.jpg', data: new Uint8Array([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]) },
      { name: 'b.png', data: new Uint8Array(70_000).map((_, i) => i & 255) },
      { name: 'empty.txt', data: new Uint8Array() },
    ];
    const zip = zipStore(pics);
    const back = readZip(zip);
    expect(back.map((e) => e.name)).toEqual(pics.map((p) => p.name));
    back.forEach((e, i) => {
      expect(Array.from(e.data)).toEqual(Array.from(pics[i]!.data));
      expect(e.crc).toBe(crc32(pics[i]!.data));
    });
  });

  it('is accepted by an independent reader (Python zipfile) when available', () => {
    const py = spawnSync('python3', ['--version']);
    if (py.status !== 0) return;
    const dir = mkdtempSync(join(tmpdir(), 'zip-test-'));
    try {
      const f = join(dir, 'x.zip');
      writeFileSync(f, zipStore([{ name: '抓图-1.jpg', data: enc.encode('hello') }, { name: 'two.png', data: enc.encode('world!') }]));
      const r = spawnSync('python3', ['-c', 'import sys,zipfile;z=zipfile.ZipFile(sys.argv[1]);assert z.testzip() is None;print(",".join(i.filename+":"+z.read(i).decode() for i in z.infolist()))', f], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('抓图-1.jpg:hello,two.png:world!');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { PtzError } from './errors.js';

/**
 * The 8-byte frame of GB/T 28181-2016 §A.3.1:
 * 1 A5H · 2 version (high nibble, 0 for this version) + check nibble · 3 address low 8 bits · 4 instruction ·
 * 5 data 1 · 6 data 2 · 7 data 3 (high nibble) + address high 4 bits · 8 checksum.
 */
export interface PtzFrame {
  address: number;
  instruction: number;
  data1: number;
  data2: number;
  data3: number;
}

const HEAD = 0xa5;
const VERSION = 0;

/** §A.3.1: check nibble of byte 2 = (byte 1 high nibble + byte 1 low nibble + byte 2 high nibble) % 16. */
function checkNibble(version: number): number {
  return ((HEAD >> 4) + (HEAD & 0x0f) + version) % 16;
}

/** §A.3.1: byte 8 = (byte 1 + … + byte 7) % 256. */
function checksum(bytes: number[]): number {
  let sum = 0;
  for (let i = 0; i < 7; i++) sum += bytes[i];
  return sum % 256;
}

function inRange(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new PtzError('RANGE', `${name} must be an integer 0–${max}, got ${v}`);
}

/** Builds the 16-hex-digit upper-case command string. */
export function writeFrame(f: PtzFrame): string {
  inRange('address', f.address, 0xfff);
  inRange('instruction', f.instruction, 0xff);
  inRange('data 1', f.data1, 0xff);
  inRange('data 2', f.data2, 0xff);
  inRange('data 3', f.data3, 0x0f);
  const bytes = [
    HEAD,
    (VERSION << 4) | checkNibble(VERSION),
    f.address & 0xff,
    f.instruction,
    f.data1,
    f.data2,
    (f.data3 << 4) | (f.address >> 8),
  ];
  bytes.push(checksum(bytes));
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
}

/** Parses and verifies a command string (hex digits of either case, surrounding whitespace ignored). */
export function readFrame(hex: string): PtzFrame {
  const s = typeof hex === 'string' ? hex.trim() : '';
  if (!/^[0-9a-fA-F]{16}$/.test(s)) throw new PtzError('MALFORMED', 'PTZCmd must be 16 hex digits');
  const bytes: number[] = [];
  for (let i = 0; i < 16; i += 2) bytes.push(parseInt(s.slice(i, i + 2), 16));
  if (bytes[0] !== HEAD) throw new PtzError('MALFORMED', 'PTZCmd must start with A5');
  if ((bytes[1] & 0x0f) !== checkNibble(bytes[1] >> 4)) throw new PtzError('CHECKSUM', 'check nibble of byte 2 is wrong');
  if (bytes[7] !== checksum(bytes)) throw new PtzError('CHECKSUM', 'checksum byte 8 is wrong');
  return {
    address: bytes[2] | ((bytes[6] & 0x0f) << 8),
    instruction: bytes[3],
    data1: bytes[4],
    data2: bytes[5],
    data3: bytes[6] >> 4,
  };
}

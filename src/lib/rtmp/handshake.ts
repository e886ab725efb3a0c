/**
 * RTMP handshake, Adobe RTMP spec 1.0 §5.2.
 *
 *   C0 / S0: one byte, the RTMP version (3).
 *   C1 / S1: 1536 bytes: time (4, ms epoch of the sender), zero (4), random (1528).
 *   C2 / S2: 1536 bytes echoing the peer's C1 / S1: its time (4), time2 (4, when we read it), its random (1528).
 *
 * Clients doing the undocumented "complex" (digest) handshake put their version in C1 bytes 4–7 instead of zeros.
 * The server here always answers with the simple form (S1 with zero version bytes, S2 = an echo of C1), which such
 * clients (librtmp/OBS, ffmpeg, most hardware encoders) recognise as a server that does not do digests and accept;
 * a client that insists on a digest-signed S1 (old Flash players playing H.264) is not served.
 */
import { randomBytes } from 'node:crypto';
import { RtmpProtocolError } from './errors.js';

export const RTMP_VERSION = 3;
export const HANDSHAKE_SIZE = 1536;

const EMPTY = Buffer.alloc(0);

export interface HandshakeStep {
  /** bytes to send to the peer now */
  out?: Buffer;
  /** the handshake is complete: `rest` is the start of the chunk stream */
  done: boolean;
  /** bytes received after the handshake (only when done) */
  rest: Buffer;
}

/** Collects bytes until `n` are there. */
class Collector {
  private parts: Buffer[] = [];
  private size = 0;
  add(b: Buffer): void {
    if (b.length) {
      this.parts.push(b);
      this.size += b.length;
    }
  }
  get length(): number {
    return this.size;
  }
  /** the first byte received (undefined when none) */
  first(): number | undefined {
    return this.parts.length ? this.parts[0][0] : undefined;
  }
  /** takes exactly n bytes (caller checked length) */
  take(n: number): Buffer {
    const all = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
    const head = all.subarray(0, n);
    const rest = all.subarray(n);
    this.parts = rest.length ? [rest] : [];
    this.size = rest.length;
    return head;
  }
  takeAll(): Buffer {
    return this.size ? this.take(this.size) : EMPTY;
  }
}

function packet1(time: number, version: number, random: Buffer): Buffer {
  const b = Buffer.allocUnsafe(HANDSHAKE_SIZE);
  b.writeUInt32BE(time >>> 0, 0);
  b.writeUInt32BE(version >>> 0, 4);
  random.copy(b, 8, 0, HANDSHAKE_SIZE - 8);
  return b;
}

/** C2/S2: an echo of the peer's C1/S1 with time2 = when it was read (§5.2.4). */
export function echoPacket(peer1: Buffer, time2: number): Buffer {
  const b = Buffer.from(peer1.subarray(0, HANDSHAKE_SIZE));
  b.writeUInt32BE(time2 >>> 0, 4);
  return b;
}

export interface HandshakeOptions {
  /** ms clock for the time fields (default: ms since this handshake object was made) */
  now?: () => number;
  /** random source for S1/C1 (default crypto.randomBytes) */
  random?: (n: number) => Buffer;
}

/**
 * Server side: feed it what the client sends; it answers C0+C1 with S0+S1+S2 in one go (allowed by §5.2.5: the
 * server may send S2 as soon as it has C1), then waits for C2. C2 is not compared with S1: digest-handshake clients
 * send a C2 of their own making.
 */
export class ServerHandshake {
  private readonly buf = new Collector();
  private state: 'c0c1' | 'c2' | 'done' = 'c0c1';
  private readonly now: () => number;
  private readonly random: (n: number) => Buffer;
  /** C1 bytes 4–7: 0 for the simple handshake, the client's version for the digest ("complex") one */
  clientVersion?: number;
  /** C1 time field */
  clientTime?: number;

  constructor(opts: HandshakeOptions = {}) {
    const t0 = Date.now();
    this.now = opts.now ?? (() => Date.now() - t0);
    this.random = opts.random ?? randomBytes;
  }

  get done(): boolean {
    return this.state === 'done';
  }

  /** Throws RtmpProtocolError for anything but RTMP version 3 (plain RTMP; RTMPE's 6 is not supported). */
  push(data: Buffer): HandshakeStep {
    if (this.state === 'done') return { done: true, rest: data };
    this.buf.add(data);
    let out: Buffer | undefined;
    if (this.state === 'c0c1') {
      const v = this.buf.first();
      if (v !== undefined && v !== RTMP_VERSION) throw new RtmpProtocolError(`RTMP version ${v} not supported (C0)`);
      if (this.buf.length < 1 + HANDSHAKE_SIZE) return { done: false, rest: EMPTY };
      const c1 = this.buf.take(1 + HANDSHAKE_SIZE).subarray(1);
      const t = this.now();
      this.clientTime = c1.readUInt32BE(0);
      this.clientVersion = c1.readUInt32BE(4);
      out = Buffer.concat([Buffer.from([RTMP_VERSION]), packet1(t, 0, this.random(HANDSHAKE_SIZE - 8)), echoPacket(c1, t)]);
      this.state = 'c2';
    }
    if (this.buf.length < HANDSHAKE_SIZE) return { out, done: false, rest: EMPTY };
    this.buf.take(HANDSHAKE_SIZE); // C2
    this.state = 'done';
    return { out, done: true, rest: this.buf.takeAll() };
  }
}

/** Client side (tests, pull clients): start() gives C0+C1; push() answers S0+S1+S2 with C2. */
export class ClientHandshake {
  private readonly buf = new Collector();
  private c1?: Buffer;
  private state: 'start' | 's0s1s2' | 'done' = 'start';
  private readonly now: () => number;
  private readonly random: (n: number) => Buffer;
  /** S2 echoed our C1's random bytes (a simple-handshake server always does) */
  echoOk = false;
  /** S1 bytes 4–7 (0: the server does the simple handshake) */
  serverVersion?: number;
  private readonly version: number;

  constructor(opts: HandshakeOptions & { version?: number } = {}) {
    const t0 = Date.now();
    this.now = opts.now ?? (() => Date.now() - t0);
    this.random = opts.random ?? randomBytes;
    this.version = opts.version ?? 0;
  }

  /** C0 + C1 (C1 bytes 4–7 = `version`, 0 by default: the simple handshake) */
  start(): Buffer {
    this.c1 = packet1(this.now(), this.version, this.random(HANDSHAKE_SIZE - 8));
    this.state = 's0s1s2';
    return Buffer.concat([Buffer.from([RTMP_VERSION]), this.c1]);
  }

  push(data: Buffer): HandshakeStep {
    if (this.state === 'done') return { done: true, rest: data };
    if (this.state === 'start') throw new RtmpProtocolError('handshake not started');
    this.buf.add(data);
    const v = this.buf.first();
    if (v !== undefined && v !== RTMP_VERSION) throw new RtmpProtocolError(`RTMP version ${v} not supported (S0)`);
    if (this.buf.length < 1 + 2 * HANDSHAKE_SIZE) return { done: false, rest: EMPTY };
    const all = this.buf.take(1 + 2 * HANDSHAKE_SIZE);
    const s1 = all.subarray(1, 1 + HANDSHAKE_SIZE);
    const s2 = all.subarray(1 + HANDSHAKE_SIZE);
    this.serverVersion = s1.readUInt32BE(4);
    this.echoOk = s2.subarray(8).equals(this.c1!.subarray(8));
    this.state = 'done';
    return { out: echoPacket(s1, this.now()), done: true, rest: this.buf.takeAll() };
  }
}

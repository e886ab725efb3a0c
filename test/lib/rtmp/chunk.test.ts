import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkReader, ChunkWriter, type RtmpMessage, RtmpProtocolError, setChunkSizeMessage, abortMessage } from '../../../src/lib/rtmp/index.js';

/** deterministic PRNG (mulberry32) */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function payload(n: number, seed: number): Buffer {
  const r = rng(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

/** Feeds `bytes` to a new reader in pieces cut at random places (sizes 1..max). */
function readSplit(bytes: Buffer, seed: number, max = 50, reader = new ChunkReader()): RtmpMessage[] {
  const r = rng(seed);
  const out: RtmpMessage[] = [];
  for (let o = 0; o < bytes.length; ) {
    const n = Math.min(bytes.length - o, 1 + Math.floor(r() * max));
    out.push(...reader.push(bytes.subarray(o, o + n)));
    o += n;
  }
  return out;
}

function same(got: RtmpMessage[], want: RtmpMessage[]): void {
  assert.equal(got.length, want.length, 'message count');
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    assert.deepEqual({ csid: g.csid, type: g.type, streamId: g.streamId, timestamp: g.timestamp, len: g.payload.length }, { csid: w.csid, type: w.type, streamId: w.streamId, timestamp: w.timestamp, len: w.payload.length }, `message ${i}`);
    assert.ok(g.payload.equals(w.payload), `payload of message ${i}`);
  }
}

test('spec §5.3.2.1 example 1: audio messages with fmt 0, 2, 3, 3 headers (hand-made bytes)', () => {
  const body = (k: number) => Buffer.alloc(32, k);
  const bytes = Buffer.concat([
    // fmt 0, csid 3: timestamp 1000, length 32, type 8, stream 12345 (little endian)
    Buffer.from([0x03, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x20, 0x08, 0x39, 0x30, 0x00, 0x00]),
    body(1),
    // fmt 2: delta 20
    Buffer.from([0x83, 0x00, 0x00, 0x14]),
    body(2),
    // fmt 3: same delta
    Buffer.from([0xc3]),
    body(3),
    Buffer.from([0xc3]),
    body(4),
  ]);
  const msgs = new ChunkReader().push(bytes);
  assert.deepEqual(
    msgs.map((m) => [m.csid, m.type, m.streamId, m.timestamp, m.payload[0], m.payload.length]),
    [
      [3, 8, 12345, 1000, 1, 32],
      [3, 8, 12345, 1020, 2, 32],
      [3, 8, 12345, 1040, 3, 32],
      [3, 8, 12345, 1060, 4, 32],
    ],
  );
});

test('spec §5.3.2.2 example 2: a 307-byte message in 128-byte chunks (fmt 0 then two fmt 3)', () => {
  const p = payload(307, 1);
  const bytes = Buffer.concat([
    Buffer.from([0x04, 0x00, 0x03, 0xe8, 0x00, 0x01, 0x33, 0x09, 0x01, 0x00, 0x00, 0x00]),
    p.subarray(0, 128),
    Buffer.from([0xc4]),
    p.subarray(128, 256),
    Buffer.from([0xc4]),
    p.subarray(256),
  ]);
  for (const seed of [1, 2, 3]) {
    const [m, ...rest] = readSplit(bytes, seed, 7);
    assert.equal(rest.length, 0);
    assert.deepEqual([m.csid, m.type, m.streamId, m.timestamp], [4, 9, 1, 1000]);
    assert.ok(m.payload.equals(p));
  }
  // and our writer produces exactly these bytes
  const w = new ChunkWriter().write({ csid: 4, type: 9, streamId: 1, timestamp: 1000, payload: p });
  assert.ok(w.equals(bytes));
});

test('writer → reader round trip: header compression, sizes 0..1000, chunk sizes 1/128/4096, random splits', () => {
  for (const chunkSize of [1, 128, 4096]) {
    const w = new ChunkWriter();
    const r = new ChunkReader();
    const msgs: RtmpMessage[] = [];
    const wire: Buffer[] = [];
    if (chunkSize !== 128) {
      wire.push(w.write(setChunkSizeMessage(chunkSize)));
      w.setChunkSize(chunkSize);
      msgs.push(setChunkSizeMessage(chunkSize));
    }
    const prng = rng(chunkSize);
    let ts = 0;
    for (let i = 0; i < 200; i++) {
      const len = i % 10 === 0 ? 0 : Math.floor(prng() * 1000);
      ts += i % 3 === 0 ? 40 : Math.floor(prng() * 50);
      const m: RtmpMessage = { csid: 3 + (i % 3), type: i % 4 === 0 ? 8 : 9, streamId: i % 7 === 6 ? 2 : 1, timestamp: ts, payload: payload(len, i) };
      msgs.push(m);
      wire.push(w.write(m));
    }
    same(readSplit(Buffer.concat(wire), chunkSize, 300, r), msgs);
  }
});

test('fmt 1/2/3 headers are used when they can be (compression actually happens)', () => {
  const w = new ChunkWriter();
  const m = (ts: number, len: number, type = 9): RtmpMessage => ({ csid: 6, type, streamId: 1, timestamp: ts, payload: Buffer.alloc(len) });
  assert.equal(w.write(m(0, 10)).length, 1 + 11 + 10); // fmt 0
  assert.equal(w.write(m(40, 10)).length, 1 + 3 + 10); // fmt 2 (delta 40 ≠ 0)
  assert.equal(w.write(m(80, 10)).length, 1 + 10); // fmt 3 (same delta, length, type)
  assert.equal(w.write(m(120, 20)).length, 1 + 7 + 20); // fmt 1 (length changed)
  assert.equal(w.write(m(100, 20)).length, 1 + 11 + 20); // fmt 0 (time went back)
});

test('interleaved chunk streams: chunks of two messages alternate on the wire', () => {
  const a: RtmpMessage = { csid: 4, type: 8, streamId: 1, timestamp: 500, payload: payload(300, 7) };
  const b: RtmpMessage = { csid: 6, type: 9, streamId: 1, timestamp: 520, payload: payload(200, 8) };
  const wa = new ChunkWriter().write(a); // [12+128][1+128][1+44]
  const wb = new ChunkWriter().write(b); // [12+128][1+72]
  const A = [wa.subarray(0, 140), wa.subarray(140, 269), wa.subarray(269)];
  const B = [wb.subarray(0, 140), wb.subarray(140)];
  assert.equal(A[2].length, 45);
  assert.equal(B[1].length, 73);
  const wire = Buffer.concat([A[0], B[0], A[1], B[1], A[2]]);
  for (const seed of [1, 2, 3, 4]) same(readSplit(wire, seed, 13), [b, a]);
});

test('extended timestamps: fmt 0 ≥ 0xFFFFFF, repeated in continuation chunks; extended deltas; 0xFFFFFF exactly', () => {
  const w = new ChunkWriter();
  const msgs: RtmpMessage[] = [
    { csid: 4, type: 9, streamId: 1, timestamp: 0x01000000, payload: payload(300, 1) },
    { csid: 4, type: 9, streamId: 1, timestamp: 0x01000028, payload: payload(300, 2) }, // small delta: no extension
    { csid: 4, type: 9, streamId: 1, timestamp: 0x03000000, payload: payload(300, 3) }, // delta ≥ 0xFFFFFF: extended fmt 2
    { csid: 5, type: 8, streamId: 1, timestamp: 0xffffff, payload: payload(200, 4) },
    { csid: 5, type: 8, streamId: 1, timestamp: 0xffffff + 0xffffff, payload: payload(200, 5) }, // fmt 3 new message with extended delta
  ];
  const wire = msgs.map((m) => w.write(m));
  // 300 bytes = 3 chunks: 1 + 11 + 4 + 128, then (1 + 4 + 128), (1 + 4 + 44)
  assert.equal(wire[0].length, 1 + 11 + 4 + 300 + 2 * (1 + 4));
  assert.equal(wire[0].readUIntBE(1, 3), 0xffffff);
  assert.equal(wire[0].readUInt32BE(12), 0x01000000);
  assert.equal(wire[0].readUInt32BE(16 + 128 + 1), 0x01000000, 'continuation chunk repeats the extended timestamp');
  assert.equal(wire[1].length, 1 + 3 + 300 + 2);
  assert.equal(wire[4].length, 1 + 4 + 200 + (1 + 4));
  for (const seed of [1, 2, 3]) same(readSplit(Buffer.concat(wire), seed, 9), msgs);
});

test('32-bit timestamps wrap: deltas carry over 2^32', () => {
  const w = new ChunkWriter();
  const m1: RtmpMessage = { csid: 4, type: 9, streamId: 1, timestamp: 0xfffffff0, payload: Buffer.alloc(5) };
  const m2: RtmpMessage = { csid: 4, type: 9, streamId: 1, timestamp: 0x10, payload: Buffer.alloc(5) };
  const b2 = w.write(m1) && w.write(m2);
  assert.equal(b2.length, 1 + 3 + 5, 'a fmt 2 header with delta 0x20');
  const got = new ChunkReader().push(Buffer.concat([new ChunkWriter().write(m1), b2]));
  assert.deepEqual(got.map((m) => m.timestamp), [0xfffffff0, 0x10]);
});

test('Set Chunk Size takes effect for the very next chunk, also mid-read and inside one push', () => {
  const w = new ChunkWriter();
  const big: RtmpMessage = { csid: 6, type: 9, streamId: 1, timestamp: 0, payload: payload(70_000, 9) };
  const small: RtmpMessage = { csid: 4, type: 8, streamId: 1, timestamp: 0, payload: payload(300, 10) };
  const parts = [w.write(small), w.write(setChunkSizeMessage(60_000))];
  w.setChunkSize(60_000);
  parts.push(w.write(big), w.write(small));
  w.write(setChunkSizeMessage(1)); // (not sent: only the writer state)
  const wire = Buffer.concat(parts);
  assert.equal(wire.length, (12 + 128 + 1 + 128 + 1 + 44) + (12 + 4) + (12 + 60_000 + 1 + 10_000) + (1 + 300));
  const reader = new ChunkReader();
  same(reader.push(wire), [small, setChunkSizeMessage(60_000), big, small]);
  assert.equal(reader.inChunkSize, 60_000);
  same(readSplit(wire, 5, 1000), [small, setChunkSizeMessage(60_000), big, small]);
});

test('2- and 3-byte basic headers (chunk stream ids 64, 319, 320, 65599)', () => {
  const msgs = [64, 319, 320, 65599].map((csid, i): RtmpMessage => ({ csid, type: 9, streamId: 1, timestamp: i * 40, payload: payload(200, csid) }));
  const w = new ChunkWriter();
  const wire = msgs.map((m) => w.write(m));
  assert.deepEqual([...wire[0].subarray(0, 2)], [0, 0]);
  assert.deepEqual([...wire[1].subarray(0, 2)], [0, 255]);
  assert.deepEqual([...wire[2].subarray(0, 3)], [1, 0, 1]);
  assert.deepEqual([...wire[3].subarray(0, 3)], [1, 255, 255]);
  same(readSplit(Buffer.concat(wire), 11, 5), msgs);
});

test('Abort drops the partly received message of its chunk stream', () => {
  const w = new ChunkWriter();
  const m: RtmpMessage = { csid: 6, type: 9, streamId: 1, timestamp: 0, payload: payload(300, 1) };
  const full = w.write(m);
  const first = full.subarray(0, 12 + 128); // one chunk of three
  const r = new ChunkReader();
  assert.deepEqual(r.push(first), []);
  assert.equal(r.pending, 128);
  const ab = r.push(new ChunkWriter().write(abortMessage(6)));
  assert.equal(ab.length, 1);
  assert.equal(r.pending, 0);
  // the chunk stream starts over with a new message (fmt 1 after the earlier fmt 0 is fine)
  const again: RtmpMessage = { ...m, timestamp: 40, payload: payload(50, 2) };
  const w2 = new ChunkWriter();
  w2.write(m);
  same(r.push(w2.write(again)), [again]);
});

test('limits and protocol violations throw RtmpProtocolError', () => {
  const w = new ChunkWriter();
  const big = w.write({ csid: 4, type: 9, streamId: 1, timestamp: 0, payload: Buffer.alloc(1001) });
  assert.throws(() => new ChunkReader({ maxMessageSize: 1000 }).push(big.subarray(0, 12)), RtmpProtocolError, 'message longer than the limit, known from its header');
  // first chunk of a chunk stream must be fmt 0
  assert.throws(() => new ChunkReader().push(Buffer.from([0x44, 0, 0, 0, 0, 0, 1, 9])), RtmpProtocolError);
  // a new message header on a chunk stream with a message in progress
  const r = new ChunkReader();
  r.push(big.subarray(0, 12 + 128));
  assert.throws(() => r.push(big.subarray(0, 12)), RtmpProtocolError);
  // bounded pending bytes over many chunk streams
  const many = new ChunkReader({ maxPendingBytes: 1000 });
  assert.throws(() => {
    for (let csid = 3; csid < 20; csid++) many.push(new ChunkWriter().write({ csid, type: 9, streamId: 1, timestamp: 0, payload: Buffer.alloc(500) }).subarray(0, 12 + 128));
  }, RtmpProtocolError);
  // too many chunk streams
  const cs = new ChunkReader({ maxChunkStreams: 4 });
  assert.throws(() => {
    for (let csid = 3; csid < 10; csid++) cs.push(new ChunkWriter().write({ csid, type: 9, streamId: 1, timestamp: 0, payload: Buffer.alloc(1) }));
  }, RtmpProtocolError);
  // chunk size 0
  assert.throws(() => new ChunkReader().push(new ChunkWriter().write({ csid: 2, type: 1, streamId: 0, timestamp: 0, payload: Buffer.alloc(4) })), RtmpProtocolError);
  // a message header split over reads is waited for, not misread
  const r2 = new ChunkReader();
  const one = new ChunkWriter().write({ csid: 4, type: 9, streamId: 1, timestamp: 0x1234567, payload: Buffer.from('abc') });
  for (let i = 0; i < one.length - 1; i++) assert.deepEqual(r2.push(one.subarray(i, i + 1)), []);
  const [m] = r2.push(one.subarray(one.length - 1));
  assert.equal(m.timestamp, 0x1234567);
  assert.equal(m.payload.toString(), 'abc');
});

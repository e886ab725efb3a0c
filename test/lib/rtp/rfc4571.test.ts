import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { frame4571, parseRtp, Rfc4571Framer } from '../../../src/lib/rtp/index.js';
import { FIXTURES, unframe4571 } from '../../fixtures/rtp/capture.js';

const stream = readFileSync(join(FIXTURES, 'h264.rtp'));
const expected = unframe4571(stream);

function feed(chunks: Buffer[], maxPacket?: number): { got: Buffer[]; framer: Rfc4571Framer; maxBuffered: number } {
  const got: Buffer[] = [];
  const framer = new Rfc4571Framer({ onPacket: (b) => got.push(Buffer.from(b)), maxPacket });
  let maxBuffered = 0;
  for (const c of chunks) {
    framer.push(c);
    maxBuffered = Math.max(maxBuffered, framer.buffered);
  }
  return { got, framer, maxBuffered };
}

test('the whole capture in one chunk: every packet, as views of the chunk', () => {
  const views: Buffer[] = [];
  const framer = new Rfc4571Framer({ onPacket: (b) => views.push(b) });
  framer.push(stream);
  assert.equal(views.length, 55);
  assert.equal(framer.stats.copied, 0);
  assert.ok(views.every((v) => v.buffer === stream.buffer));
  assert.deepEqual(views, expected);
  assert.equal(framer.buffered, 0);
});

test('any chunking gives the same packets (splits inside the length prefix and the body)', () => {
  for (const size of [1, 2, 3, 7, 100, 1189, 1190, 1191, 4096]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size));
    const { got, maxBuffered } = feed(chunks);
    assert.equal(got.length, 55, `chunk size ${size}`);
    assert.deepEqual(got, expected, `chunk size ${size}`);
    assert.ok(maxBuffered <= 1200, `holds at most one packet (chunk ${size}: ${maxBuffered})`);
  }
  // pseudo-random chunk sizes
  let seed = 7;
  const chunks: Buffer[] = [];
  for (let i = 0; i < stream.length; ) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const n = 1 + (seed % 3000);
    chunks.push(stream.subarray(i, i + n));
    i += n;
  }
  assert.deepEqual(feed(chunks).got, expected);
});

test('oversized packets are skipped without losing the framing; zero-length frames are ignored', () => {
  const small = Buffer.from('80600001000000000000000141', 'hex');
  const big = Buffer.alloc(3000, 0x80);
  const s = Buffer.concat([frame4571(small), Buffer.from([0, 0]), frame4571(big), frame4571(small)]);
  for (const size of [1, 5, 5000]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < s.length; i += size) chunks.push(s.subarray(i, i + size));
    const { got, framer, maxBuffered } = feed(chunks, 1500);
    assert.deepEqual(got, [small, small]);
    assert.equal(framer.stats.oversized, 1);
    assert.ok(maxBuffered <= 13);
  }
});

test('memory stays bounded whatever the peer sends', () => {
  const framer = new Rfc4571Framer({ onPacket: () => {} });
  const junk = Buffer.alloc(1 << 20, 0xff); // lengths of 65535 over and over
  for (let i = 0; i < 8; i++) framer.push(junk);
  assert.ok(framer.buffered <= 65_536, `buffered ${framer.buffered}`);
  framer.reset();
  assert.equal(framer.buffered, 0);
});

test('frame4571 prefixes the 16-bit length', () => {
  const f = frame4571(Buffer.from('abc'));
  assert.deepEqual([...f], [0, 3, 0x61, 0x62, 0x63]);
  assert.throws(() => frame4571(Buffer.alloc(65_536)), RangeError);
  assert.equal(parseRtp(unframe4571(stream)[0])?.payloadType, 96);
});

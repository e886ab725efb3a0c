import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReorderBuffer, type RtpPacket } from '../../../src/lib/rtp/index.js';

const pkt = (seq: number, ssrc = 1): RtpPacket => ({ marker: false, payloadType: 96, seq: seq & 0xffff, timestamp: 0, ssrc, payload: Buffer.alloc(0) });

function harness(window?: number) {
  const out: number[] = [];
  const losses: number[] = [];
  const rb = new ReorderBuffer({ onPacket: (p) => out.push(p.seq), onLoss: (n) => losses.push(n), window });
  const push = (...seqs: number[]) => seqs.forEach((s) => rb.push(pkt(s)));
  return { rb, out, losses, push };
}

test('in-order packets pass straight through', () => {
  const h = harness();
  h.push(10, 11, 12);
  assert.deepEqual(h.out, [10, 11, 12]);
  assert.equal(h.rb.holding, 0);
  assert.deepEqual(h.rb.stats, { received: 3, lost: 0, reordered: 0, duplicates: 0, late: 0, resyncs: 0 });
});

test('a swapped pair is put back in order', () => {
  const h = harness();
  h.push(1, 3, 2, 4);
  assert.deepEqual(h.out, [1, 2, 3, 4]);
  assert.equal(h.rb.stats.reordered, 1);
  assert.equal(h.rb.stats.lost, 0);
  assert.deepEqual(h.losses, []);
});

test('16-bit wrap: 65534, 65535, 0, 1 with 0 and 65535 swapped', () => {
  const h = harness();
  h.push(65533, 65534, 0, 65535, 1);
  assert.deepEqual(h.out, [65533, 65534, 65535, 0, 1]);
  assert.equal(h.rb.stats.lost, 0);
});

test('duplicates (held or already delivered) are dropped', () => {
  const h = harness();
  h.push(1, 2, 2, 1, 4, 4, 3);
  assert.deepEqual(h.out, [1, 2, 3, 4]);
  assert.equal(h.rb.stats.duplicates, 3);
  assert.equal(h.rb.stats.late, 0);
});

test('a gap is given up when the window is full: lost counted, onLoss told, later arrival is late', () => {
  const h = harness(4);
  h.push(1, 3, 4, 5, 6); // 2 missing; 3..6 fill the window of 4
  assert.deepEqual(h.out, [1]);
  h.push(7); // no room: give up 2, release 3..6, then 7 itself
  assert.deepEqual(h.out, [1, 3, 4, 5, 6, 7]);
  assert.deepEqual(h.losses, [1]);
  assert.equal(h.rb.stats.lost, 1);
  h.push(2);
  assert.equal(h.rb.stats.late, 1);
  assert.deepEqual(h.out, [1, 3, 4, 5, 6, 7]);
});

test('a burst loss larger than the window is counted once, in full', () => {
  const h = harness(8);
  h.push(100, 101, 150);
  assert.deepEqual(h.out, [100, 101, 150]);
  assert.deepEqual(h.losses, [48]);
  assert.equal(h.rb.stats.lost, 48);
  h.push(151);
  assert.deepEqual(h.out.slice(-1), [151]);
});

test('flush releases what is held and gives up the gaps', () => {
  const h = harness();
  h.push(1, 3, 6);
  h.rb.flush();
  assert.deepEqual(h.out, [1, 3, 6]);
  assert.deepEqual(h.losses, [1, 2]);
  assert.equal(h.rb.stats.lost, 3);
  h.push(7);
  assert.deepEqual(h.out, [1, 3, 6, 7]);
});

test('a new SSRC resyncs at once (device restarted)', () => {
  const h = harness();
  h.push(500, 501, 503);
  h.rb.push(pkt(9, 2));
  h.rb.push(pkt(10, 2));
  assert.deepEqual(h.out, [500, 501, 503, 9, 10]);
  assert.equal(h.rb.stats.resyncs, 1);
  assert.equal(h.rb.stats.lost, 1); // 502 given up by the flush
});

test('a big jump needs a second packet to confirm it (RFC 3550 A.1 probation)', () => {
  const h = harness();
  h.push(1000, 1001);
  h.push(30000); // stray
  h.push(1002);
  assert.deepEqual(h.out, [1000, 1001, 1002]);
  assert.equal(h.rb.stats.late, 1);
  h.push(40000, 40001, 40002); // the sender really restarted its numbering
  assert.deepEqual(h.out, [1000, 1001, 1002, 40000, 40001, 40002]);
  assert.equal(h.rb.stats.resyncs, 1);
  assert.equal(h.rb.stats.lost, 0);
});

test('heavy shuffling within the window loses nothing', () => {
  const h = harness(32);
  const seqs = Array.from({ length: 2000 }, (_, i) => (60000 + i) & 0xffff);
  // swap neighbours in blocks of 10, reversed
  const shuffled: number[] = [];
  for (let i = 0; i < seqs.length; i += 10) shuffled.push(...seqs.slice(i, i + 10).reverse());
  h.push(seqs[0]);
  h.push(...shuffled.filter((s) => s !== seqs[0]));
  h.rb.flush();
  assert.deepEqual(h.out, seqs);
  assert.equal(h.rb.stats.lost, 0);
  assert.ok(h.rb.stats.reordered > 0);
});

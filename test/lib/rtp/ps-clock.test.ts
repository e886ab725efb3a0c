import assert from 'node:assert/strict';
import { test } from 'node:test';
import { packetizePs, parseRtp, RtpSender, RtpTimestampUnwrapper, rtpTimestamp, seqDelta, tsDelta } from '../../../src/lib/rtp/index.js';

test('packetizePs: MTU-sized payloads, one timestamp, marker on the last, sequence wraps', () => {
  const ps = Buffer.alloc(3000);
  for (let i = 0; i < ps.length; i++) ps[i] = i & 0xff;
  const seq = { value: 65534 };
  const wire = packetizePs(ps, { ssrc: 200005452, seq, timestamp: 2 ** 32 + 3600 });
  assert.equal(wire.length, 3);
  const p = wire.map((b) => parseRtp(b)!);
  assert.deepEqual(p.map((x) => [x.seq, x.marker, x.payload.length, x.payloadType, x.timestamp, x.ssrc]), [
    [65534, false, 1400, 96, 3600, 200005452],
    [65535, false, 1400, 96, 3600, 200005452],
    [0, true, 200, 96, 3600, 200005452],
  ]);
  assert.deepEqual(Buffer.concat(p.map((x) => x.payload)), ps);
  assert.equal(seq.value, 1);
  assert.deepEqual(packetizePs(Buffer.alloc(0), { ssrc: 1, seq, timestamp: 0 }), []);
});

test('packetizePs with RFC 4571 framing for TCP media', () => {
  const seq = { value: 0 };
  const wire = packetizePs(Buffer.alloc(1500, 1), { ssrc: 1, seq, timestamp: 0, mtu: 1000, rfc4571: true });
  assert.deepEqual(wire.map((b) => b.readUInt16BE(0)), [1012, 512]);
  assert.deepEqual(wire.map((b) => b.length), [1014, 514]);
  assert.equal(parseRtp(wire[1].subarray(2))!.marker, true);
});

test('RtpSender numbers its packets', () => {
  const s = new RtpSender(42, 8, 65535);
  const a = parseRtp(s.packet(Buffer.from('x'), 160, false))!;
  const b = parseRtp(s.packet(Buffer.from('y'), 320, true))!;
  assert.deepEqual([a.seq, b.seq, b.marker, b.ssrc, b.payloadType], [65535, 0, true, 42, 8]);
});

test('sequence and timestamp arithmetic wrap', () => {
  assert.equal(seqDelta(65535, 0), 1);
  assert.equal(seqDelta(0, 65535), -1);
  assert.equal(seqDelta(100, 100 + 32767), 32767);
  assert.equal(tsDelta(0xffffff00, 0x100), 0x200);
  assert.equal(tsDelta(0x100, 0xffffff00), -0x200);
});

test('RtpTimestampUnwrapper: monotonic through the 32-bit wrap, audio clocks rescaled without drift', () => {
  const v = new RtpTimestampUnwrapper(90000);
  assert.deepEqual([0xfffff000, 0xfffffff0, 0x10, 0x1000].map((t) => v.to90k(t)), [0, 0xff0, 0x1010, 0x2000]);
  const a = new RtpTimestampUnwrapper(44100);
  const got = Array.from({ length: 44100 }, (_, i) => a.to90k((0xffff0000 + i * 1024) >>> 0));
  assert.equal(got[44099], Math.round((44099 * 1024 * 90000) / 44100));
  const b = new RtpTimestampUnwrapper(8000, 1000);
  assert.equal(b.to90k(1160), 1800); // 160 samples after the base
  b.reset(90000);
  assert.equal(b.to90k(5), 90000);
  assert.equal(b.to90k(85), 90900);
  assert.equal(rtpTimestamp(90000, 8000, 0xffffffff), 7999);
  assert.equal(rtpTimestamp(2 ** 32 + 5, 90000), 5);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AudioFrame } from '../../../src/lib/av/frame.js';
import { AacDepacketizer, aacFmtp, G711Depacketizer, packetizeAac, packetizeG711, parseRtp, type RtpPacket } from '../../../src/lib/rtp/index.js';
import { splitAdts } from '../../fixtures/rtp/annexb.js';
import { loadFixture } from '../../fixtures/rtp/capture.js';

function aac(packets: RtpPacket[], sampleRate = 44100) {
  const frames: AudioFrame[] = [];
  const d = new AacDepacketizer({ sampleRate, onFrame: (f) => frames.push(f) });
  packets.forEach((p) => d.push(p));
  return { frames, d };
}

test('AAC (RFC 3640 AAC-hbr) from ffmpeg: the raw frames of the ADTS reference, in order, 1024 samples apart', () => {
  const fx = loadFixture('aac', 'adts');
  // ffmpeg's RTP muxer does not send the final 5-byte AU it wrote to the ADTS file; the first 44 are the truth
  const ref = splitAdts(fx.ref).slice(0, 44);
  const packets = fx.packets.map((b) => parseRtp(b)!);
  const { frames, d } = aac(packets);
  const units = frames.flatMap((f) => f.units);
  assert.equal(units.length, 44);
  assert.deepEqual(units, ref);
  assert.equal(d.stats.dropped, 0);
  assert.ok(frames.every((f) => f.codec === 'aac' && f.key && f.dts === f.pts));
  // pts of each packet = its first AU; consecutive AUs are 1024 samples = 2089.8 ticks apart
  let n = 0;
  for (const f of frames) {
    assert.equal(f.pts, Math.round((n * 1024 * 90000) / 44100));
    n += f.units.length;
  }
  assert.match(fx.sdp, /sizelength=13;indexlength=3;indexdeltalength=3/);
});

test('AAC packetize → depacketize: grouping under the MTU and fragmentation of a large AU', () => {
  const ref = splitAdts(loadFixture('aac', 'adts').ref);
  const big = Buffer.alloc(3000, 7);
  const units = [...ref.slice(0, 10), big, ...ref.slice(10, 20)];
  const seq = { value: 0 };
  const wire = packetizeAac(units, { ssrc: 3, payloadType: 97, seq, timestamp: 5000, mtu: 700 }).map((b) => parseRtp(b)!);
  assert.ok(wire.every((p) => p.payload.length <= 700));
  const bigPackets = wire.filter((p) => p.timestamp === 5000 + 10 * 1024);
  assert.equal(bigPackets.length, 5); // 3000 bytes in 696-byte pieces
  assert.deepEqual(bigPackets.map((p) => p.marker), [false, false, false, false, true]);
  const { frames } = aac(wire);
  assert.deepEqual(frames.flatMap((f) => f.units), units);
  // a lost fragment drops that AU only
  const lossy = wire.filter((p) => p !== bigPackets[2]);
  const r = aac(lossy);
  assert.deepEqual(r.frames.flatMap((f) => f.units), [...ref.slice(0, 10), ...ref.slice(10, 20)]);
  assert.equal(r.d.stats.dropped, 1);
});

test('aacFmtp writes the AAC-hbr parameters with the config in hex', () => {
  assert.equal(aacFmtp(97, Buffer.from([0x12, 0x10])), '97 streamtype=5; profile-level-id=1; mode=AAC-hbr; sizelength=13; indexlength=3; indexdeltalength=3; config=1210');
});

test('G.711 A-law from ffmpeg (PT 8): samples byte-exact, 8 kHz → 90 kHz', () => {
  const fx = loadFixture('pcma', 'alaw');
  const packets = fx.packets.map((b) => parseRtp(b)!);
  assert.ok(packets.every((p) => p.payloadType === 8));
  const frames: AudioFrame[] = [];
  const d = new G711Depacketizer({ onFrame: (f) => frames.push(f) });
  packets.forEach((p) => d.push(p));
  assert.equal(frames.length, packets.length);
  assert.deepEqual(Buffer.concat(frames.flatMap((f) => f.units)), fx.ref);
  let samples = 0;
  for (const f of frames) {
    assert.equal(f.codec, 'g711a');
    assert.equal(f.pts, samples * (90000 / 8000));
    samples += f.units[0].length;
  }
});

test('G.711 packetizer: MTU-sized pieces, timestamp +1 per sample, PCMU by payload type', () => {
  const samples = Buffer.alloc(1000, 0xd5);
  const seq = { value: 0 };
  const wire = packetizeG711(samples, { ssrc: 1, payloadType: 0, seq, timestamp: 160, mtu: 320 }).map((b) => parseRtp(b)!);
  assert.deepEqual(wire.map((p) => [p.timestamp, p.payload.length, p.seq]), [[160, 320, 0], [480, 320, 1], [800, 320, 2], [1120, 40, 3]]);
  const frames: AudioFrame[] = [];
  const d = new G711Depacketizer({ onFrame: (f) => frames.push(f) });
  wire.forEach((p) => d.push(p));
  assert.deepEqual(frames.map((f) => [f.codec, f.pts]), [['g711u', 0], ['g711u', 3600], ['g711u', 7200], ['g711u', 10800]]);
});

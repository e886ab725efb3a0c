import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VideoFrame } from '../../../src/lib/av/frame.js';
import { H265Depacketizer, packetizeH265, parseRtp, type RtpPacket } from '../../../src/lib/rtp/index.js';
import { accessUnits, splitAnnexB } from '../../fixtures/rtp/annexb.js';
import { loadFixture } from '../../fixtures/rtp/capture.js';

const fx = loadFixture('h265', 'hevc');
const type = (n: Buffer) => (n[0] >> 1) & 0x3f;
const refAus = accessUnits(splitAnnexB(fx.ref), (n) => type(n) === 35);

function depacketize(packets: RtpPacket[], opts: { vps?: Buffer; sps?: Buffer; pps?: Buffer } = {}) {
  const frames: VideoFrame[] = [];
  const d = new H265Depacketizer({ ...opts, onFrame: (f) => frames.push(f) });
  for (const p of packets) d.push(p);
  d.flush();
  return { frames, d };
}

test('ffmpeg capture: every access unit reassembled byte-exact (AP and FU, RFC 7798)', () => {
  assert.equal(refAus.length, 25);
  const packets = fx.packets.map((b) => parseRtp(b)!);
  assert.equal(packets.length, 29);
  assert.deepEqual([...new Set(packets.map((p) => type(p.payload)))].sort(), [48, 49]);
  const { frames, d } = depacketize(packets);
  assert.equal(frames.length, 25);
  assert.deepEqual(d.stats, { frames: 25, droppedNals: 0, gaps: 0, oversized: 0 });
  frames.forEach((f, i) => {
    assert.deepEqual(f.units, refAus[i], `access unit ${i}`);
    assert.equal(f.codec, 'h265');
    assert.equal(f.pts, i * 3600); // no B-frames in this recipe
    assert.equal(f.key, i === 0);
  });
  assert.deepEqual(frames[0].units.map(type), [35, 32, 33, 34, 39, 20]); // AUD VPS SPS PPS SEI IDR_N_LP
});

test('packetize → depacketize round-trip with a small MTU', () => {
  const seq = { value: 100 };
  const wire = refAus.flatMap((au, i) => packetizeH265(au, { ssrc: 9, payloadType: 99, seq, timestamp: i * 3600, mtu: 150 }));
  const parsed = wire.map((b) => parseRtp(b)!);
  assert.ok(parsed.every((p) => p.payload.length <= 150));
  assert.equal(parsed.filter((p) => p.marker).length, 25);
  assert.ok(parsed.some((p) => type(p.payload) === 49));
  const { frames } = depacketize(parsed);
  assert.equal(frames.length, 25);
  frames.forEach((f, i) => assert.deepEqual(f.units, refAus[i]));
});

test('a lost FU fragment drops that NAL only; sprop-* injected on a bare IRAP', () => {
  const packets = fx.packets.map((b) => parseRtp(b)!);
  const fuIdx = packets.findIndex((p) => type(p.payload) === 49 && !(p.payload[2] & 0x80));
  assert.ok(fuIdx > 0);
  const lostType = packets[fuIdx].payload[2] & 0x3f;
  const hit = Math.round((packets[fuIdx].timestamp - packets[0].timestamp) / 3600);
  const { frames, d } = depacketize(packets.filter((_, i) => i !== fuIdx));
  assert.equal(d.stats.droppedNals, 1);
  assert.deepEqual(frames[hit].units, refAus[hit].filter((n) => type(n) !== lostType));

  const sprop = (k: string) => Buffer.from(new RegExp(`sprop-${k}=([^;\\s]+)`).exec(fx.sdp)![1], 'base64');
  const [vps, sps, pps] = ['vps', 'sps', 'pps'].map(sprop);
  assert.deepEqual([vps, sps, pps], refAus[0].slice(1, 4));
  const bare = refAus[0].filter((n) => type(n) < 32 || type(n) > 34);
  const seq = { value: 0 };
  const pk = packetizeH265(bare, { ssrc: 1, payloadType: 96, seq, timestamp: 0 }).map((b) => parseRtp(b)!);
  assert.deepEqual(depacketize(pk, { vps, sps, pps }).frames[0].units, refAus[0]);
});

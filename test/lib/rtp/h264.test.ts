import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VideoFrame } from '../../../src/lib/av/frame.js';
import { H264Depacketizer, packetizeH264, parseRtp, type RtpPacket } from '../../../src/lib/rtp/index.js';
import { accessUnits, splitAnnexB } from '../../fixtures/rtp/annexb.js';
import { loadFixture } from '../../fixtures/rtp/capture.js';

const fx = loadFixture('h264', 'h264');
const type = (n: Buffer) => n[0] & 0x1f;
const refAus = accessUnits(splitAnnexB(fx.ref), (n) => type(n) === 9);

function depacketize(packets: RtpPacket[], opts: Partial<ConstructorParameters<typeof H264Depacketizer>[0]> = {}) {
  const frames: VideoFrame[] = [];
  const d = new H264Depacketizer({ ...opts, onFrame: (f) => frames.push(f) });
  for (const p of packets) d.push(p);
  d.flush();
  return { frames, d };
}

test('ffmpeg capture: every access unit reassembled byte-exact (STAP-A, FU-A, single NAL)', () => {
  assert.equal(refAus.length, 50);
  const packets = fx.packets.map((b) => parseRtp(b)!);
  const kinds = new Set(packets.map((p) => type(p.payload)));
  assert.deepEqual([...kinds].sort(), [24, 28]); // ffmpeg aggregates small NALs and fragments big ones
  const { frames, d } = depacketize(packets);
  assert.equal(frames.length, 50);
  assert.deepEqual(d.stats, { frames: 50, droppedNals: 0, gaps: 0, oversized: 0 });
  for (let i = 0; i < 50; i++) {
    assert.deepEqual(frames[i].units, refAus[i], `access unit ${i}`);
    assert.equal(frames[i].codec, 'h264');
    assert.equal(frames[i].key, refAus[i].some((n) => type(n) === 5));
  }
  assert.equal(frames.filter((f) => f.key).length, 2); // -g 25 over 50 frames
  assert.deepEqual(frames[0].units.map(type), [9, 7, 8, 6, 5]);
  // 25 fps = 3600 ticks; B-frames make pts non-monotonic in decode order, but the set is exact
  assert.deepEqual(frames.map((f) => f.pts).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i * 3600));
  assert.equal(frames[0].pts, 0);
});

test('packetize → depacketize round-trip with a small MTU (FU-A), marker on the last packet only', () => {
  const seq = { value: 65530 };
  let all: Buffer[] = [];
  for (let i = 0; i < refAus.length; i++) {
    const pk = packetizeH264(refAus[i], { ssrc: 0x1234, payloadType: 98, seq, timestamp: 1000 + i * 3600, mtu: 200 });
    const parsed = pk.map((b) => parseRtp(b)!);
    assert.deepEqual(parsed.map((p) => p.marker), parsed.map((_, k) => k === parsed.length - 1));
    assert.ok(parsed.every((p) => p.payload.length <= 200 && p.payloadType === 98 && p.timestamp === 1000 + i * 3600));
    all = all.concat(pk);
  }
  assert.equal(seq.value, (65530 + all.length) & 0xffff);
  const { frames } = depacketize(all.map((b) => parseRtp(b)!));
  assert.equal(frames.length, 50);
  frames.forEach((f, i) => {
    assert.deepEqual(f.units, refAus[i]);
    assert.equal(f.pts, i * 3600);
  });
});

test('a lost FU-A fragment drops exactly that NAL; the other frames are intact', () => {
  const packets = fx.packets.map((b) => parseRtp(b)!);
  // a middle fragment: FU-A with neither S nor E (the keyframe's IDR slice spans three packets)
  const fuIdx = packets.findIndex((p) => type(p.payload) === 28 && !(p.payload[1] & 0xc0));
  assert.ok(fuIdx > 0);
  const hit = Math.round((packets[fuIdx].timestamp - packets[0].timestamp) / 3600);
  const { frames, d } = depacketize(packets.filter((_, i) => i !== fuIdx));
  assert.equal(d.stats.gaps, 1);
  assert.equal(d.stats.droppedNals, 1); // counted once, though its end fragment still arrived
  assert.equal(frames.length, 50);
  assert.equal(frames[hit].pts, hit * 3600);
  const victimType = packets[fuIdx].payload[1] & 0x1f;
  assert.deepEqual(frames[hit].units, refAus[hit].filter((n) => type(n) !== victimType));
  frames.forEach((f, i) => i !== hit && assert.deepEqual(f.units, refAus[i]));
});

test('a lost FU-A start: the orphaned fragments are dropped, the frame keeps its other NALs', () => {
  const packets = fx.packets.map((b) => parseRtp(b)!);
  const startIdx = packets.findIndex((p) => type(p.payload) === 28 && p.payload[1] & 0x80);
  const { frames, d } = depacketize(packets.filter((_, i) => i !== startIdx));
  assert.equal(d.stats.droppedNals, 1);
  assert.equal(frames.length, 50);
  assert.deepEqual(frames[0].units.map(type), [9, 7, 8, 6]); // the IDR slice is gone: no longer a key frame
  assert.equal(frames[0].key, false);
});

test('a lost marker packet: the timestamp change still ends the frame', () => {
  const aus = [refAus[1], refAus[2]];
  const seq = { value: 0 };
  const pk = aus.flatMap((au, i) => packetizeH264(au, { ssrc: 1, payloadType: 96, seq, timestamp: i * 3600 })).map((b) => parseRtp(b)!);
  const noMarker = pk.map((p) => ({ ...p, marker: false }));
  const { frames } = depacketize(noMarker);
  assert.equal(frames.length, 2);
  assert.deepEqual(frames[0].units, aus[0]);
  assert.deepEqual(frames[1].units, aus[1]);
});

test('parameter sets from the SDP go in front of an IDR that arrives without them', () => {
  const sps = refAus[0].find((n) => type(n) === 7)!;
  const pps = refAus[0].find((n) => type(n) === 8)!;
  const bare = refAus[0].filter((n) => type(n) !== 7 && type(n) !== 8); // AUD, SEI, IDR
  const seq = { value: 0 };
  const pk = packetizeH264(bare, { ssrc: 1, payloadType: 96, seq, timestamp: 0 }).map((b) => parseRtp(b)!);
  const { frames } = depacketize(pk, { sps, pps });
  assert.deepEqual(frames[0].units.map(type), [9, 7, 8, 6, 5]);
  assert.equal(frames[0].key, true);
  // without out-of-band sets the frame is left as it came
  assert.deepEqual(depacketize(pk).frames[0].units.map(type), [9, 6, 5]);
});

test('the SDP sprop-parameter-sets equal the in-band SPS/PPS of the same encoder', () => {
  const m = /sprop-parameter-sets=([^;\s]+)/.exec(fx.sdp)!;
  const [sps, pps] = m[1].split(',').map((s) => Buffer.from(s, 'base64'));
  assert.deepEqual(sps, refAus[0].find((n) => type(n) === 7));
  assert.deepEqual(pps, refAus[0].find((n) => type(n) === 8));
});

test('timestamps unwrap across 2^32 and an SSRC change keeps time growing', () => {
  const seq = { value: 0 };
  const au = refAus[1];
  const mk = (ts: number, ssrc = 7) => packetizeH264(au, { ssrc, payloadType: 96, seq, timestamp: ts }).map((b) => parseRtp(b)!);
  const start = 2 ** 32 - 3600;
  const pk = [...mk(start), ...mk(start + 3600), ...mk(start + 7200), ...mk(123456, 8), ...mk(123456 + 3600, 8)];
  const { frames } = depacketize(pk);
  assert.deepEqual(frames.map((f) => f.pts), [0, 3600, 7200, 10800, 14400]);
});

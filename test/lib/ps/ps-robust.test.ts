import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AudioFrame, Frame, TrackParams, VideoFrame } from '../../../src/lib/av/frame.js';
import { annexBLength, joinAnnexB } from '../../../src/lib/h264/index.js';
import { muxPs, PsDemuxer, writePackHeader, writePesHeader, writePsm } from '../../../src/lib/ps/index.js';
import { chunks, dropUnits, fixture, H264_FILE, H265_FILE, sameUnits, summary, videoFrames, walkPs } from './media-helpers.js';

const P264: TrackParams = { video: { codec: 'h264', width: 640, height: 360, fps: 25 } };
const P265: TrackParams = { video: { codec: 'h265', width: 640, height: 360, fps: 25 } };
const h264 = (): VideoFrame[] => videoFrames(fixture(H264_FILE), 'h264');

interface Run {
  frames: Frame[];
  errors: string[];
  d: PsDemuxer;
}

function run(pieces: Buffer[], opts: { maxFrameBytes?: number } = {}): Run {
  const frames: Frame[] = [];
  const errors: string[] = [];
  const d = new PsDemuxer({ ...opts, onFrame: (f) => frames.push(f), onError: (c) => errors.push(c) });
  for (const p of pieces) d.push(p);
  d.flush();
  return { frames, errors, d };
}

/** deterministic junk without any 00 00 01 */
function junk(n: number, seed = 3): Buffer {
  const b = Buffer.alloc(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    b[i] = (s >> 16) & 0xff || 0x5a;
  }
  return b;
}

test('garbage before the first pack is skipped silently; garbage between packs costs the frame before it', () => {
  const src = h264();
  const packs = src.map((f) => muxPs(f, P264));
  // a stream joined mid-pack (the tail of some earlier frame) then clean packs
  const start = run(chunks(Buffer.concat([junk(3000), packs[5].subarray(100), ...packs]), 1, 1400));
  assert.deepEqual(start.errors, []);
  assert.deepEqual(summary(start.frames), summary(src));
  // 37 junk bytes after frame 40: its PES length no longer ends at a start code → frame 40 dropped, one RESYNC
  const mid = run(chunks(Buffer.concat([...packs.slice(0, 41), junk(37), ...packs.slice(41)]), 1, 1400));
  assert.deepEqual(mid.errors, ['RESYNC']);
  assert.equal(mid.frames.length, 99);
  assert.deepEqual(summary(mid.frames), summary(src.filter((_, i) => i !== 40)));
  assert.equal(mid.d.stats.resyncs, 1);
  assert.equal(mid.d.stats.dropped, 1);
});

test('no PSM: H.264 and H.265 are told apart by their parameter sets, audio 0xC0 is taken as G.711A', () => {
  for (const [file, params, codec] of [
    [H264_FILE, P264, 'h264'],
    [H265_FILE, P265, 'h265'],
  ] as const) {
    const src = videoFrames(fixture(file), codec);
    const ps = dropUnits(Buffer.concat(src.map((f) => muxPs(f, params))), (id) => id === 0xbc || id === 0xbb);
    assert.ok(!walkPs(ps).some(([id]) => id === 0xbc));
    const r = run(chunks(ps, 1, 1400));
    assert.deepEqual(r.errors, []);
    assert.deepEqual(summary(r.frames), summary(src));
    assert.equal(r.d.codecs.video, codec);
  }
  const alaw = fixture('g711a-8000-mono.alaw');
  const a: AudioFrame = { track: 'audio', codec: 'g711a', pts: 1000, dts: 1000, key: true, units: [alaw.subarray(0, 160)] };
  const r = run([dropUnits(Buffer.concat([muxPs(a, { audio: { codec: 'g711a', sampleRate: 8000, channels: 1 } }), muxPs({ ...a, pts: 2800, dts: 2800 }, {})]), (id) => id === 0xbc || id === 0xbb)]);
  assert.deepEqual(
    r.frames.map((f) => [f.codec, f.pts, f.units[0].length]),
    [
      ['g711a', 1000, 160],
      ['g711a', 2800, 160],
    ],
  );
});

test('video PES with PES_packet_length 0 (unbounded) runs to the next start code, even split byte by byte', () => {
  const src = h264().slice(0, 40);
  const ps = Buffer.concat(src.map((f) => muxPs(f, P264)));
  const zeroed = Buffer.from(ps);
  let n = 0;
  for (const [id, s] of walkPs(ps)) if (id === 0xe0) (zeroed.writeUInt16BE(0, s + 4), n++);
  assert.equal(n, 40);
  for (const pieces of [chunks(zeroed, 1, 1400), [...zeroed].map((b) => Buffer.from([b])), chunks(zeroed, 1, 5, 4)]) {
    const r = run(pieces);
    assert.deepEqual(r.errors, []);
    assert.ok(sameUnits(r.frames, src));
    assert.deepEqual(summary(r.frames), summary(src));
  }
});

test('unbounded PES with RTP markers: each frame out at its marker, also when a packet ends inside the next start code', () => {
  const src = h264().slice(0, 30);
  const frames: Frame[] = [];
  const d = new PsDemuxer({ onFrame: (f) => frames.push(f), onError: (c) => assert.fail(c) });
  const packs = src.map((f) => {
    const ps = Buffer.from(muxPs(f, P264));
    for (const [id, st] of walkPs(ps)) if (id === 0xe0) ps.writeUInt16BE(0, st + 4);
    return ps;
  });
  packs.forEach((ps, i) => {
    const pieces = chunks(ps, 100, 1400, i + 3);
    pieces.forEach((p, k) => d.push(p, k === pieces.length - 1));
    assert.equal(frames.length, i + 1, `frame ${i} at its marker`);
  });
  assert.ok(sameUnits(frames, src));
  // a (wrong) marker on a packet that ends with the first two bytes of the next pack's start code
  const frames2: Frame[] = [];
  const d2 = new PsDemuxer({ onFrame: (f) => frames2.push(f) });
  const both = Buffer.concat([packs[0], packs[1], packs[2]]);
  const split = packs[0].length + packs[1].length + 2;
  d2.push(both.subarray(0, split), true);
  d2.push(both.subarray(split));
  d2.flush();
  assert.ok(sameUnits(frames2, src.slice(0, 3)));
});

test('a PES cut short by the next pack header: PES_TRUNCATED, that frame dropped, the next ones intact', () => {
  const src = h264();
  const packs = src.map((f) => muxPs(f, P264));
  const [, , pesEnd] = walkPs(packs[10]).find(([id]) => id === 0xe0)!;
  const cut = packs[10].subarray(0, pesEnd - 200);
  const r = run(chunks(Buffer.concat([...packs.slice(0, 10), cut, ...packs.slice(11)]), 1, 1400));
  assert.deepEqual(r.errors, ['PES_TRUNCATED']);
  assert.deepEqual(summary(r.frames), summary(src.filter((_, i) => i !== 10)));
});

test('maxFrameBytes: larger frames are dropped with FRAME_TOO_LARGE; an endless PES keeps memory bounded', () => {
  const src = h264();
  const ps = Buffer.concat(src.map((f) => muxPs(f, P264)));
  const limit = 2000;
  const small = src.filter((f) => annexBLength(f.units) <= limit);
  assert.ok(small.length > 50 && small.length < 100);
  const r = run(chunks(ps, 1, 1400), { maxFrameBytes: limit });
  assert.equal(r.frames.length, small.length);
  assert.deepEqual(summary(r.frames), summary(small));
  assert.equal(r.errors.filter((e) => e === 'FRAME_TOO_LARGE').length, 100 - small.length);

  // "100 MB" of one unbounded video PES: dropped once, never held
  const frames: Frame[] = [];
  const errors: string[] = [];
  const d = new PsDemuxer({ onFrame: (f) => frames.push(f), onError: (c) => errors.push(c), maxFrameBytes: 1 << 20 });
  const head = Buffer.alloc(14 + 14);
  writePackHeader(head, 0, 0, 1000);
  writePesHeader(head, 14, 0xe0, 0, 9000);
  head.writeUInt16BE(0, 18);
  d.push(Buffer.concat([head, joinAnnexB(src[0].units)]));
  const block = Buffer.alloc(64 * 1024, 0x11);
  let held = 0;
  for (let i = 0; i < 1600; i++) {
    d.push(block);
    held = Math.max(held, (d as unknown as { video: { data: { length: number } } }).video.data.length);
  }
  assert.ok(held <= 1 << 20, `held ${held}`);
  assert.deepEqual(errors, ['FRAME_TOO_LARGE']);
  assert.equal(d.stats.bytes, 1600 * 65536 + head.length + annexBLength(src[0].units));
  // and it recovers at the next pack (the codec is learnt from the keyframe's SPS: that PES had no PSM)
  for (const f of src.slice(24, 28)) d.push(muxPs(f, {}));
  d.flush();
  assert.deepEqual(
    frames.map((f) => f.pts),
    [src[25].pts, src[26].pts, src[27].pts],
  );
  assert.deepEqual(errors, ['FRAME_TOO_LARGE', 'CODEC_UNKNOWN'], 'frame 24 (a P frame) could not be told');
});

test('a PSM claiming 65,535 bytes, padding (0xBE) and private streams (0xBD, 0xBF) are skipped', () => {
  const src = h264().slice(0, 30);
  const filler = (id: number, len: number): Buffer => {
    const b = Buffer.alloc(6 + len, 0xff);
    b.writeUInt32BE(0x100 | id, 0);
    b.writeUInt16BE(len, 4);
    return b;
  };
  const parts: Buffer[] = [];
  src.forEach((f, i) => {
    parts.push(muxPs(f, P264));
    if (i % 3 === 0) parts.push(filler(0xbe, 300), filler(0xbd, 50), filler(0xbf, 0));
  });
  parts.splice(5, 0, filler(0xbc, 65535));
  const r = run(chunks(Buffer.concat(parts), 1, 1400));
  assert.deepEqual(r.errors, ['BAD_HEADER']);
  assert.deepEqual(summary(r.frames), summary(src));
});

test('33-bit PTS wrap: timestamps continue past 2^33 with steps of 3600', () => {
  const base = 2 ** 33 - 20 * 3600;
  const src = h264()
    .slice(0, 40)
    .map((f, i) => ({ ...f, pts: (base + i * 3600) % 2 ** 33, dts: (base + i * 3600) % 2 ** 33 }));
  const r = run(chunks(Buffer.concat(src.map((f) => muxPs(f, P264))), 1, 1400));
  assert.deepEqual(r.errors, [], 'a wrap is not a jump');
  assert.equal(r.frames.length, 40);
  r.frames.forEach((f, i) => assert.equal(f.pts, base + i * 3600));
});

test('a timestamp jump back (camera restart) is rebased to continue: TIME_JUMP, still monotonic', () => {
  const src = h264()
    .slice(0, 20)
    .map((f, i) => (i < 10 ? { ...f, pts: 10_000_000 + i * 3600, dts: 10_000_000 + i * 3600 } : { ...f, pts: 500 + i * 3600, dts: 500 + i * 3600 }));
  const r = run([Buffer.concat(src.map((f) => muxPs(f, P264)))]);
  assert.deepEqual(r.errors, ['TIME_JUMP']);
  for (let i = 1; i < r.frames.length; i++) assert.equal(r.frames[i].dts - r.frames[i - 1].dts, 3600);
});

test('discard() (RTP loss) drops the frame being assembled; the following frames are intact', () => {
  const src = h264().slice(0, 20);
  const frames: Frame[] = [];
  const d = new PsDemuxer({ onFrame: (f) => frames.push(f) });
  src.forEach((f, i) => {
    const ps = muxPs(f, P264);
    if (i === 7) {
      d.push(ps.subarray(0, ps.length >> 1));
      d.discard();
      d.push(ps.subarray((ps.length >> 1) + 100)); // the rest after the lost packet: no start code, skipped
    } else d.push(ps);
  });
  d.flush();
  // frame 6 was complete: it went out as soon as frame 7's first NAL unit showed where frame 7 begins
  assert.deepEqual(summary(frames), summary(src.filter((_, i) => i !== 7)));
  assert.equal(d.stats.dropped, 1);
});

/** A pack with one PES per element of pes ([pts, bytes]) and optionally a PSM. */
function pack(pes: [number | undefined, Buffer][], psm?: [number, number][], streamId = 0xe0): Buffer {
  const out = Buffer.alloc(14 + 64 + pes.reduce((n, [, b]) => n + 19 + b.length, 0));
  let o = writePackHeader(out, 0, 0, 1000);
  if (psm) o += writePsm(out, o, 0, psm.map(([streamType, id]) => ({ streamType, streamId: id })));
  for (const [pts, b] of pes) {
    o += writePesHeader(out, o, streamId, b.length, pts);
    o += b.copy(out, o);
  }
  return out.subarray(0, o);
}

test('camera layouts: each NAL in its own PES with one PTS; SPS/PPS in a pack of their own with another PTS', () => {
  const src = h264().slice(0, 30);
  const sc = (u: Buffer): Buffer => joinAnnexB([u]);
  // Dahua-like: SPS, PPS, SEI, IDR each in its own PES, all with the frame's PTS
  const a = run([Buffer.concat(src.map((f) => pack(f.units.map((u) => [f.pts, sc(u)]))))]);
  assert.deepEqual(summary(a.frames), summary(src));
  // parameter sets sent ahead with a PTS of their own: carried into the keyframe
  const parts: Buffer[] = [];
  for (const f of src) {
    const ps = f.units.filter((u) => (u[0] & 0x1f) === 7 || (u[0] & 0x1f) === 8);
    const rest = f.units.filter((u) => !ps.includes(u));
    if (ps.length) parts.push(pack([[f.pts - 1, joinAnnexB(ps)]]));
    parts.push(pack([[f.pts, joinAnnexB(rest)]]));
  }
  const b = run(chunks(Buffer.concat(parts), 1, 1400));
  assert.deepEqual(summary(b.frames), summary(src));
  // continuation PES without PTS belong to the picture
  const c = run([Buffer.concat(src.map((f) => pack(f.units.map((u, i) => [i === 0 ? f.pts : undefined, sc(u)]))))]);
  assert.deepEqual(summary(c.frames), summary(src));
});

test('several pictures in one PES are split into frames, unless the SPS allows field pictures (two fields = one frame)', () => {
  const slice = (type: number, tag: number): Buffer => Buffer.from([type === 5 ? 0x65 : 0x41, 0x88, tag, 0x11, 0x22]); // first_mb_in_slice 0
  const progressive = Buffer.from('6742c01ed900b0126c0440000003004000000c83c58b92', 'hex'); // x264 704x576
  const interlaced = Buffer.from('6764001eacd940b424d8088000000300800000190f8a14cb', 'hex'); // x264 720x576i
  const pps = Buffer.from('68ce3c80', 'hex');
  for (const [sps, want] of [
    [progressive, [[7, 8, 5], [1]]],
    [interlaced, [[7, 8, 5, 5]]],
  ] as const) {
    const units = [sps, pps, slice(5, 1), slice(sps === progressive ? 1 : 5, 2)];
    const ps = Buffer.concat([pack([[9000, joinAnnexB(units)]], [[0x1b, 0xe0]]), pack([[16200, joinAnnexB([slice(1, 3)])]])]);
    const r = run([ps]);
    assert.deepEqual(
      r.frames.slice(0, -1).map((f) => f.units.map((u) => u[0] & 0x1f)),
      want,
    );
    // the packed second picture gets the DTS halfway to the next PES's
    if (want.length === 2) assert.deepEqual(r.frames.map((f) => f.dts), [9000, 12600, 16200]);
  }
});

test('a keyframe without parameter sets gets the last ones seen put in front', () => {
  const src = h264().slice(0, 30);
  const bare = src.map((f, i) => (i === 25 ? { ...f, units: f.units.filter((u) => (u[0] & 0x1f) === 5) } : f));
  assert.equal(bare[25].units.length, 1);
  const r = run([Buffer.concat(bare.map((f) => muxPs(f, {})))]);
  assert.deepEqual(
    r.frames[25].units.map((u) => u[0] & 0x1f),
    [7, 8, 5],
  );
  assert.equal(r.frames[25].key, true);
});

test('PSM says H.264 but the stream is H.265: CODEC_MISMATCH once, frames come out as H.265', () => {
  const src = videoFrames(fixture(H265_FILE), 'h265').slice(0, 30);
  const ps = Buffer.concat(src.map((f) => muxPs(f, P264)));
  const r = run(chunks(ps, 1, 1400));
  assert.deepEqual(r.errors, ['CODEC_MISMATCH']);
  assert.deepEqual(summary(r.frames), summary(src));
});

test('MPEG-4 Visual and SVAC pass as one raw unit; keys from the I-VOP / from the PSM before the picture', () => {
  const vop = (type: number, n: number): Buffer => Buffer.concat([Buffer.from([0, 0, 1, 0xb6, type << 6]), Buffer.alloc(n, 0x33)]);
  const mp4: VideoFrame[] = [0, 1, 1, 0, 1].map((t, i) => ({ track: 'video', codec: 'mpeg4', pts: 3600 * i, dts: 3600 * i, key: t === 0, units: [vop(t, 100 + i)] }));
  const r = run([Buffer.concat(mp4.map((f) => muxPs(f, { video: { codec: 'mpeg4', width: 352, height: 288, fps: 25 } })))]);
  assert.deepEqual(summary(r.frames), summary(mp4));
  const svac: VideoFrame[] = [true, false, false, true].map((key, i) => ({ track: 'video', codec: 'svac', pts: 3600 * i, dts: 3600 * i, key, units: [Buffer.alloc(300 + i, 0x44)] }));
  const s = run([Buffer.concat(svac.map((f) => muxPs(f, { video: { codec: 'svac', width: 1920, height: 1080, fps: 25 } })))]);
  assert.deepEqual(summary(s.frames), summary(svac));
});

test('audio the platform does not carry (G.722.1 in the PSM) is dropped quietly, video unaffected', () => {
  const src = h264().slice(0, 10);
  const parts: Buffer[] = [];
  src.forEach((f, i) => {
    parts.push(i === 0 ? pack([[f.pts, joinAnnexB(f.units)]], [[0x1b, 0xe0], [0x92, 0xc0]]) : muxPs(f, {}));
    parts.push(pack([[f.pts, Buffer.alloc(80, 0x55)]], undefined, 0xc0));
  });
  const r = run([Buffer.concat(parts)]);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(summary(r.frames), summary(src));
  assert.equal(r.d.stats.audioFrames, 0);
});

test('audio PES without PTS continue on the audio timeline (G.711: 11.25 ticks per byte)', () => {
  const parts = [pack([[9000, Buffer.alloc(160, 0xd5)]], [[0x90, 0xc0]], 0xc0), pack([[undefined, Buffer.alloc(320, 0xd5)]], undefined, 0xc0), pack([[undefined, Buffer.alloc(160, 0xd5)]], undefined, 0xc0)];
  const r = run([Buffer.concat(parts)]);
  assert.deepEqual(
    r.frames.map((f) => [f.codec, f.pts, f.units[0].length]),
    [
      ['g711a', 9000, 160],
      ['g711a', 10800, 320],
      ['g711a', 14400, 160],
    ],
  );
});

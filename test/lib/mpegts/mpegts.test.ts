import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { AudioFrame, Frame, VideoFrame } from '../../../src/lib/av/frame.js';
import { parsePat, parsePmt, sectionCrcOk, TS_PACKET, TsDemuxer } from '../../../src/lib/mpegts/index.js';
import { accessUnits, chunks, ffmpeg, ffprobeStreams, fixture, FIXTURES, hasFfmpeg, summary } from '../ps/media-helpers.js';

const AV = 'h264-aac.ts';

function demux(pieces: Buffer[]): { video: VideoFrame[]; audio: AudioFrame[]; errors: string[]; d: TsDemuxer } {
  const frames: Frame[] = [];
  const errors: string[] = [];
  const d = new TsDemuxer({ onFrame: (f) => frames.push(f), onError: (c) => errors.push(c) });
  for (const p of pieces) d.push(p);
  d.flush();
  return {
    video: frames.filter((f): f is VideoFrame => f.track === 'video'),
    audio: frames.filter((f): f is AudioFrame => f.track === 'audio'),
    errors,
    d,
  };
}

/** 7 TS packets per RTP payload (RFC 2250) */
const rtpSized = (ts: Buffer): Buffer[] => chunks(ts, 7 * TS_PACKET, 7 * TS_PACKET);

test('H.264 + AAC TS from ffmpeg: 50 pictures (keys at 0 and 25), 95 raw AAC frames, 25 fps timing', () => {
  const { video, audio, errors, d } = demux(rtpSized(fixture(AV)));
  assert.deepEqual(errors, []);
  assert.equal(video.length, 50);
  assert.deepEqual(
    video.flatMap((f, i) => (f.key ? [i] : [])),
    [0, 25],
  );
  for (let i = 1; i < video.length; i++) assert.equal(video[i].dts - video[i - 1].dts, 3600);
  assert.deepEqual(
    video[0].units.map((u) => u[0] & 0x1f),
    [9, 7, 8, 6, 5],
    'AUD, SPS, PPS, SEI, IDR',
  );
  assert.equal(audio.reduce((n, f) => n + f.units.length, 0), 95);
  assert.deepEqual(audio[0].params, { codec: 'aac', sampleRate: 48000, channels: 1, config: Buffer.from('1188', 'hex') });
  // each audio PES holds several ADTS frames: its successor starts 1920 ticks per frame later
  for (let i = 1; i < audio.length; i++) assert.equal(audio[i].pts - audio[i - 1].pts, audio[i - 1].units.length * 1920);
  assert.deepEqual({ pes: d.stats.pes, video: d.stats.videoFrames, dropped: d.stats.dropped }, { pes: 56, video: 50, dropped: 0 });
});

test('H.265 TS: 25 pictures, the first an IRAP with VPS/SPS/PPS', () => {
  const { video, errors } = demux(rtpSized(fixture('h265.ts')));
  assert.deepEqual(errors, []);
  assert.equal(video.length, 25);
  assert.equal(video[0].codec, 'h265');
  assert.deepEqual(
    video.flatMap((f, i) => (f.key ? [i] : [])),
    [0],
  );
  assert.deepEqual(
    video[0].units.slice(0, 4).map((u) => (u[0] >> 1) & 0x3f),
    [35, 32, 33, 34],
  );
});

test('any chunking (1..1400 bytes, one byte at a time) gives the same frames', () => {
  const ts = fixture(AV);
  const ref = demux(rtpSized(ts));
  for (const pieces of [chunks(ts, 1, 1400, 5), chunks(ts.subarray(0, 40 * TS_PACKET), 1, 1, 1)]) {
    const r = demux(pieces);
    assert.deepEqual(r.errors, []);
    const n = r.video.length;
    assert.ok(n > 0);
    assert.deepEqual(summary(r.video), summary(ref.video.slice(0, n)));
    assert.deepEqual(summary(r.audio), summary(ref.audio.slice(0, r.audio.length)));
  }
});

test('a lost TS packet (continuity_counter gap) drops the picture it belonged to', () => {
  const ts = fixture(AV);
  const ref = demux(rtpSized(ts));
  // find a video packet (PID of the first PMT stream) in the middle of a PES, remove it
  const packets = chunks(ts, TS_PACKET, TS_PACKET);
  const pmt = packets.find((p) => ((p[1] & 0x1f) << 8 | p[2]) === 0x1000)!;
  const videoPid = parsePmt(pmt.subarray(5, 5 + 3 + (((pmt[6] & 0x0f) << 8) | pmt[7])))[0].pid;
  const isVideo = (p: Buffer): boolean => (((p[1] & 0x1f) << 8) | p[2]) === videoPid;
  const idx = packets.findIndex((p, i) => i > 100 && isVideo(p) && !(p[1] & 0x40) && isVideo(packets[i + 1]) && !(packets[i + 1][1] & 0x40));
  const r = demux(rtpSized(Buffer.concat(packets.filter((_, i) => i !== idx))));
  assert.deepEqual(r.errors, ['DISCONTINUITY']);
  assert.equal(r.video.length, 49);
  assert.equal(r.d.stats.dropped, 1);
  const lostPts = ref.video.find((f) => !r.video.some((g) => g.pts === f.pts))!.pts;
  assert.deepEqual(summary(r.video), summary(ref.video.filter((f) => f.pts !== lostPts)));
});

test('junk between packets: RESYNC, nothing lost; a packet cut short: RESYNC + DISCONTINUITY, its picture dropped', () => {
  const ts = fixture(AV);
  const ref = demux(rtpSized(ts));
  const at = 120 * TS_PACKET;
  const r = demux([ts.subarray(0, at), Buffer.from('deadbeef00', 'hex'), ts.subarray(at)]);
  assert.deepEqual(r.errors, ['RESYNC']);
  assert.deepEqual(summary(r.video), summary(ref.video));
  assert.deepEqual(summary(r.audio), summary(ref.audio));
  // a video packet in the middle of a picture (no payload_unit_start, next one neither) loses its last 100 bytes
  const packets = chunks(ts, TS_PACKET, TS_PACKET);
  const pid = (p: Buffer): number => ((p[1] & 0x1f) << 8) | p[2];
  const starts = (p: Buffer): boolean => (p[1] & 0x40) !== 0;
  const pictureOf = (k: number): number => packets.slice(0, k + 1).filter((p) => pid(p) === 0x100 && starts(p)).length - 1;
  const mid = packets.findIndex((p, k) => k > 100 && pid(p) === 0x100 && !starts(p) && pid(packets[k + 1]) === 0x100 && !starts(packets[k + 1]));
  const cutAt = (k: number): Buffer => Buffer.concat([ts.subarray(0, k * TS_PACKET + 88), ts.subarray((k + 1) * TS_PACKET)]);
  const c = demux(chunks(cutAt(mid), 1, 1400));
  assert.deepEqual(c.errors, ['RESYNC', 'DISCONTINUITY']);
  assert.deepEqual(summary(c.video), summary(ref.video.filter((_, i) => i !== pictureOf(mid))));
  assert.deepEqual(summary(c.audio), summary(ref.audio));
  // when the lost packet starts a picture, the picture before it (it took the lost one's tail) goes too
  const first = packets.findIndex((p, k) => k > 100 && pid(p) === 0x100 && starts(p));
  const n = pictureOf(first);
  const s = demux(chunks(cutAt(first), 1, 1400));
  assert.deepEqual(summary(s.video), summary(ref.video.filter((_, i) => i !== n - 1 && i !== n)));
});

test('PSI helpers: PAT and PMT of the fixture', () => {
  const packets = chunks(fixture(AV), TS_PACKET, TS_PACKET);
  const pid = (p: Buffer): number => ((p[1] & 0x1f) << 8) | p[2];
  const section = (p: Buffer): Buffer => p.subarray(5, 5 + 3 + (((p[6] & 0x0f) << 8) | p[7])); // pointer_field 0
  const pat = section(packets.find((p) => pid(p) === 0)!);
  assert.ok(sectionCrcOk(pat));
  assert.deepEqual(parsePat(pat), [0x1000]);
  const pmt = section(packets.find((p) => pid(p) === 0x1000)!);
  assert.ok(sectionCrcOk(pmt));
  assert.deepEqual(parsePmt(pmt), [
    { streamType: 0x1b, pid: 0x100 },
    { streamType: 0x0f, pid: 0x101 },
  ]);
  const bad = Buffer.from(pmt);
  bad[bad.length - 1] ^= 1;
  assert.equal(sectionCrcOk(bad), false);
});

test('pictures equal the access units ffmpeg copies out of the TS', { skip: !hasFfmpeg && 'ffmpeg not installed' }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ts-'));
  try {
    const es = path.join(dir, 'v.h264');
    ffmpeg(['-i', path.join(FIXTURES, AV), '-c:v', 'copy', '-an', '-f', 'h264', es]);
    const aus = accessUnits(readFileSync(es), 'h264');
    const { video } = demux(rtpSized(fixture(AV)));
    assert.equal(aus.length, video.length);
    video.forEach((f, i) => {
      assert.equal(f.units.length, aus[i].length, `frame ${i}`);
      f.units.forEach((u, k) => assert.ok(u.equals(aus[i][k]), `frame ${i} unit ${k}`));
    });
    const [v, a] = ffprobeStreams(path.join(FIXTURES, AV));
    assert.equal(v.nb_read_frames, '50');
    assert.equal(a.nb_read_frames, '95');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

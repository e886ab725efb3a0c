import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createWriteStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type { TrackParams } from '../../src/lib/av/frame.js';
import { planDownload, writeDownload, type DownloadPlan } from '../../src/media/record/mp4-download.js';
import type { SegmentFile } from '../../src/media/record/types.js';
import { aacClip, ffprobeJson, tempDir, videoClip } from '../fixtures/mux/media.js';
import { HAVE_FFMPEG } from '../helpers/media-tools.js';
import { slice, writeSegment } from './segment-files.js';

const dir = tempDir('mp4-download-test');
const T0 = 1_700_000_000_000;
const v = videoClip('h264', { seconds: 8 });
const a = aacClip(8);
const params: TrackParams = { video: v.params, audio: a.params };
// two contiguous 4 s segments
const segA = writeSegment(dir, 'a.mp4', params, slice(v.frames, a.frames, 0, 100), T0, { fragmentMs: 400 });
const segB = writeSegment(dir, 'b.mp4', params, slice(v.frames, a.frames, 100, 200), T0 + 4000, { fragmentMs: 400 });

async function toFile(plan: DownloadPlan, name: string, progress?: (d: number, t: number) => void): Promise<string> {
  const file = path.join(dir, name);
  const n = await writeDownload(plan, createWriteStream(file), progress, { end: true });
  assert.equal(n, plan.size);
  return file;
}

function probe(file: string): { streams: any[]; format: any } {
  return ffprobeJson(['-count_frames', '-show_entries', 'stream=codec_type,codec_name,width,height,nb_read_frames:format=duration', file]);
}

/** ffmpeg decodes every frame without a complaint */
function decodesCleanly(file: string): void {
  const err = execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-i', file, '-f', 'null', '-'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(err.trim(), '');
}

test('a 6 s range across two segments: h264 + aac, 6 s ± 0.2, the right frame count, exact size, progress to the total', { skip: !HAVE_FFMPEG }, async () => {
  const start = T0 + 1500;
  const plan = await planDownload([segB, segA], start, start + 6000);
  assert.deepEqual(plan.skipped, []);
  assert.deepEqual(
    plan.used.map((s) => s.id),
    [segA.id, segB.id],
  );
  assert.equal(plan.startMs, start);
  assert.equal(plan.durationMs, 6000);
  // from the keyframe at 1 s (pre-roll 0.5 s) to the frame at 7.48 s, the last before 7.5 s: frames 25..187
  assert.equal(plan.video!.samples, 163);
  const seen: number[] = [];
  const file = await toFile(plan, 'six.mp4', (d, t) => {
    assert.equal(t, plan.size);
    seen.push(d);
  });
  assert.equal(statSync(file).size, plan.size);
  assert.equal(seen[seen.length - 1], plan.size);
  assert.ok(seen.every((d, i) => i === 0 || d > seen[i - 1]), 'progress only grows');
  const p = probe(file);
  const vs = p.streams.find((s) => s.codec_type === 'video');
  const as = p.streams.find((s) => s.codec_type === 'audio');
  assert.ok(Math.abs(Number(p.format.duration) - 6) <= 0.2, `duration ${p.format.duration}`);
  assert.deepEqual([vs.codec_name, vs.width, vs.height], ['h264', 640, 360]);
  assert.equal(Number(vs.nb_read_frames), 150, 'the presented frames (1.52 s … 7.48 s); the pre-roll ones are decoded but not shown');
  assert.equal(as.codec_name, 'aac');
  decodesCleanly(file);
});

test('a corrupt and a missing segment inside the range are skipped and reported; the rest downloads with the gap closed', { skip: !HAVE_FFMPEG }, async () => {
  const garbage = path.join(dir, 'garbage.mp4');
  writeFileSync(garbage, Buffer.alloc(5000, 0xab));
  const corrupt: SegmentFile = { id: 501, channelId: segA.channelId, startMs: T0 + 4000, endMs: T0 + 5000, path: garbage, size: 5000 };
  const missing: SegmentFile = { id: 502, channelId: segA.channelId, startMs: T0 + 5000, endMs: T0 + 6000, path: path.join(dir, 'gone.mp4'), size: 1 };
  const later = { ...segB, id: 503, startMs: T0 + 6000, endMs: T0 + 10_000 };
  const bad: number[] = [];
  const plan = await planDownload([segA, corrupt, missing, later], T0 + 1000, T0 + 9000, { onBadSegment: (s) => bad.push(s.id) });
  assert.deepEqual(
    plan.skipped.map((s) => s.segment.id),
    [501, 502],
  );
  assert.deepEqual(bad, [501, 502]);
  assert.match(plan.skipped[1].reason, /ENOENT/);
  // 1–4 s of A, then 6–9 s of the later segment: 6 s, 150 frames, no pre-roll (1 s is a keyframe)
  assert.equal(plan.durationMs, 6000);
  const file = await toFile(plan, 'holes.mp4');
  const p = probe(file);
  assert.ok(Math.abs(Number(p.format.duration) - 6) <= 0.2, `duration ${p.format.duration}`);
  assert.equal(Number(p.streams.find((s) => s.codec_type === 'video').nb_read_frames), 150);
  decodesCleanly(file);
});

test('co64 downloads play too; an async sink gets the same bytes as a file', { skip: !HAVE_FFMPEG }, async () => {
  const plan = await planDownload([segA, segB], T0 + 500, T0 + 3000, { forceCo64: true });
  assert.equal(plan.co64, true);
  const parts: Buffer[] = [];
  const n = await writeDownload(plan, {
    async write(chunk: Buffer) {
      parts.push(Buffer.from(chunk));
      await new Promise((r) => setImmediate(r));
    },
  });
  assert.equal(n, plan.size);
  const file = await toFile(plan, 'co64.mp4');
  assert.ok(Buffer.concat(parts).equals(readFileSync(file)));
  const p = probe(file);
  assert.ok(Math.abs(Number(p.format.duration) - 2.5) <= 0.1, `duration ${p.format.duration}`);
  // frames at 0.52 s … 2.96 s are presented
  assert.equal(Number(p.streams.find((s) => s.codec_type === 'video').nb_read_frames), 62);
  decodesCleanly(file);
});

test('H.265 with B-frames: hvc1, the presented frames, A/V both there, decodes cleanly', { skip: !HAVE_FFMPEG }, async () => {
  const h = videoClip('h265', { seconds: 8, bframes: 2 });
  const hp: TrackParams = { video: h.params, audio: a.params };
  const s1 = writeSegment(dir, 'h1.mp4', hp, slice(h.frames, a.frames, 0, 100), T0);
  const s2 = writeSegment(dir, 'h2.mp4', hp, slice(h.frames, a.frames, 100, 200), T0 + 4000);
  const plan = await planDownload([s1, s2], T0 + 1500, T0 + 7500);
  const file = await toFile(plan, 'hevc.mp4');
  const p = probe(file);
  const vs = p.streams.find((s) => s.codec_type === 'video');
  assert.deepEqual([vs.codec_name, Number(vs.nb_read_frames)], ['hevc', 150]);
  assert.ok(p.streams.some((s) => s.codec_type === 'audio'));
  assert.ok(Math.abs(Number(p.format.duration) - 6) <= 0.2, `duration ${p.format.duration}`);
  decodesCleanly(file);
});

test('a new SPS between segments: two stsd entries, the new parameter sets in band at the switch, decodes cleanly', { skip: !HAVE_FFMPEG }, async () => {
  // the same picture encoded without and with B-frames: different SPS, so different avcC
  const h2 = videoClip('h264', { seconds: 8, bframes: 2 });
  const s1 = writeSegment(dir, 'sps1.mp4', { video: v.params }, slice(v.frames, [], 0, 100), T0);
  const s2 = writeSegment(dir, 'sps2.mp4', { video: h2.params }, slice(h2.frames, [], 100, 200), T0 + 4000);
  assert.ok(!s1.made.bytes.subarray(0, 1000).equals(s2.made.bytes.subarray(0, 1000)));
  const plan = await planDownload([s1, s2], T0 + 1500, T0 + 7500);
  const stsd = plan.header.indexOf('stsd');
  assert.equal(plan.header.readUInt32BE(stsd + 8), 2, 'two sample entries');
  assert.equal(plan.ranges.filter((r) => r.data).length, 1, 'one in-band parameter set insertion');
  const file = await toFile(plan, 'sps-switch.mp4');
  assert.equal(statSync(file).size, plan.size);
  decodesCleanly(file);
  // the B-frame part presents its pictures later by its composition offset: those last ones fall after the edit
  const delay = (h2.frames[100].pts - h2.frames[100].dts) / 3600;
  assert.equal(Number(probe(file).streams[0].nb_read_frames), 150 - delay);
});

test('a slow writable: writeDownload waits for drain and the bytes arrive complete and in order', async () => {
  const plan = await planDownload([segA, segB], T0, T0 + 8000);
  const parts: Buffer[] = [];
  let maxBuffered = 0;
  const slow = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _enc, cb) {
      parts.push(Buffer.from(chunk));
      setTimeout(cb, 1);
    },
  });
  const n = await writeDownload(plan, slow, () => (maxBuffered = Math.max(maxBuffered, slow.writableLength)), { end: true });
  assert.equal(n, plan.size);
  const all = Buffer.concat(parts);
  assert.equal(all.length, plan.size);
  assert.ok(all.subarray(0, plan.header.length).equals(plan.header));
  // with backpressure, at most one read block (8 MiB) is ever queued
  assert.ok(maxBuffered <= 8 * 1024 * 1024 + plan.header.length, `buffered ${maxBuffered}`);
});

test('ranges with nothing recorded, and inverted ranges, are refused with codes', async () => {
  await assert.rejects(planDownload([segA, segB], T0 + 20_000, T0 + 30_000), (e: any) => e.code === 'NO_RECORDINGS');
  await assert.rejects(planDownload([segA], T0 + 2000, T0 + 2000), (e: any) => e.code === 'RANGE_INVALID');
  const garbage = path.join(dir, 'only-garbage.mp4');
  writeFileSync(garbage, 'x');
  await assert.rejects(planDownload([{ ...segA, path: garbage }], T0, T0 + 1000), (e: any) => e.code === 'NO_RECORDINGS');
});

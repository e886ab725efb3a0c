/**
 * Recording download cost: segment files totalling ≥ 200 MB (a 10 s 1080p 4 Mb/s H.264 + AAC clip made by ffmpeg,
 * muxed by our recorder's fMP4 muxer into 60 s segments with 1 s fragments, then copied with consecutive start
 * times), downloaded over the whole range as one progressive MP4 (planDownload + writeDownload to a file) against
 * `cp` of the same segment files, in the same run. Prints both throughputs and the ratio ours / cp. cp copies inside
 * the kernel (copy_file_range) while we read into memory and write back, so dd with 8 MiB blocks is printed too as
 * the user-space reference.
 *   npx tsx bench/record-download.ts [--mb 200] [--rounds 3]
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { audioSpecificConfig, splitAdts } from '../src/lib/aac/index.js';
import type { Frame, TrackParams } from '../src/lib/av/frame.js';
import { initSegment, mediaSegment } from '../src/lib/fmp4/index.js';
import { h264Params, h264StartsAccessUnit, isH264Keyframe, splitAnnexB } from '../src/lib/h264/index.js';
import { planDownload, writeDownload } from '../src/media/record/mp4-download.js';
import type { SegmentFile } from '../src/media/record/types.js';

const { values: a } = parseArgs({ options: { mb: { type: 'string', default: '200' }, rounds: { type: 'string', default: '3' } } });
const TARGET = Number(a.mb) * 1e6;
const ROUNDS = Number(a.rounds);
const CLIP_S = 10;
const LOOPS = 6; // clip repeats per segment: 60 s segments

const dir = mkdtempSync(path.join(tmpdir(), 'record-download-bench-'));
try {
  // one real clip: 1080p25 H.264 (GOP 50) at 4 Mb/s + 44.1 kHz AAC
  const ff = (args: string[]): void => void execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args]);
  const es = path.join(dir, 'v.h264');
  const adts = path.join(dir, 'a.aac');
  ff(['-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=25', '-t', String(CLIP_S), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-bf', '0', '-b:v', '4M', '-maxrate', '4M', '-bufsize', '2M', '-f', 'h264', es]);
  ff(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', String(CLIP_S), '-c:a', 'aac', '-b:a', '64k', '-f', 'adts', adts]);
  const aus: Buffer[][] = [];
  let vcl = false;
  for (const u of splitAnnexB(readFileSync(es))) {
    if (vcl && h264StartsAccessUnit(u, 0)) {
      aus.push([]);
      vcl = false;
    }
    if (!aus.length) aus.push([]);
    aus[aus.length - 1].push(u);
    if ((u[0] & 0x1f) >= 1 && (u[0] & 0x1f) <= 5) vcl = true;
  }
  const aac = splitAdts(readFileSync(adts))!;
  const params: TrackParams = { video: h264Params(aus[0])!, audio: { codec: 'aac', sampleRate: aac.sampleRate, channels: aac.channels, config: audioSpecificConfig(aac.objectType, aac.sampleRate, aac.channels) } };

  // one 60 s segment: the clip LOOPS times on a continuous clock, cut at keyframes and every second
  const frames: Frame[] = [];
  for (let l = 0; l < LOOPS; l++) {
    const base = 90_000 + l * CLIP_S * 90_000;
    aus.forEach((units, i) => frames.push({ track: 'video', codec: 'h264', pts: base + i * 3600, dts: base + i * 3600, key: isH264Keyframe(units), units }));
    aac.frames.forEach((u, k) => {
      const t = base + Math.round((k * 1024 * 90_000) / aac.sampleRate);
      if (t < base + CLIP_S * 90_000) frames.push({ track: 'audio', codec: 'aac', pts: t, dts: t, key: true, units: [u] });
    });
  }
  frames.sort((x, y) => x.dts - y.dts || (x.track === 'video' ? -1 : 1));
  const parts: Buffer[] = [initSegment(params)];
  let cur: Frame[] = [];
  let since = 0;
  let seq = 1;
  const origin = frames[0].dts;
  for (const f of frames) {
    if (f.track === 'video' && cur.some((x) => x.track === 'video') && (f.key || f.dts - since >= 90_000)) {
      parts.push(mediaSegment(cur, seq++, params, { origin, nextVideoDts: f.dts }));
      cur = [];
    }
    if (f.track === 'video' && !cur.some((x) => x.track === 'video')) since = f.dts;
    cur.push(f);
  }
  parts.push(mediaSegment(cur, seq, params, { origin }));
  const segmentBytes = Buffer.concat(parts);

  const segDir = path.join(dir, 'segments');
  mkdirSync(segDir);
  const segMs = LOOPS * CLIP_S * 1000;
  const count = Math.ceil(TARGET / segmentBytes.length);
  const t0 = Date.UTC(2025, 0, 1);
  const segments: SegmentFile[] = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(segDir, `seg-${String(i).padStart(3, '0')}.mp4`);
    writeFileSync(file, segmentBytes);
    segments.push({ id: i + 1, channelId: '34020000001320000001', startMs: t0 + i * segMs, endMs: t0 + (i + 1) * segMs, path: file, size: segmentBytes.length });
  }
  const total = count * segmentBytes.length;
  const startMs = t0;
  const endMs = t0 + count * segMs;

  const ours = async (out: string): Promise<{ ms: number; planMs: number; bytes: number }> => {
    const t = performance.now();
    const plan = await planDownload(segments, startMs, endMs);
    const planMs = performance.now() - t;
    await writeDownload(plan, createWriteStream(out), undefined, { end: true });
    return { ms: performance.now() - t, planMs, bytes: plan.size };
  };
  const cp = (out: string): { ms: number; bytes: number } => {
    mkdirSync(out);
    const t = performance.now();
    execFileSync('cp', [...segments.map((s) => s.path), out]);
    return { ms: performance.now() - t, bytes: total };
  };

  // a user-space copy for reference (cp and cat copy in the kernel with copy_file_range): dd read/write of 8 MiB
  const dd = (out: string): { ms: number; bytes: number } => {
    const t = performance.now();
    for (const s of segments) execFileSync('dd', [`if=${s.path}`, `of=${out}`, 'bs=8M', 'oflag=append', 'conv=notrunc', 'status=none']);
    return { ms: performance.now() - t, bytes: total };
  };

  // warm the page cache for both, then alternate rounds and keep the best of each
  execFileSync('cat', segments.map((s) => s.path), { stdio: ['ignore', 'ignore', 'inherit'] });
  let bestOurs = { ms: Infinity, planMs: 0, bytes: 0 };
  let bestCp = { ms: Infinity, bytes: 0 };
  let bestDd = { ms: Infinity, bytes: 0 };
  for (let r = 0; r < ROUNDS; r++) {
    const o = path.join(dir, `out-${r}.mp4`);
    const got = await ours(o);
    if (statSync(o).size !== got.bytes) throw new Error(`wrote ${statSync(o).size} of ${got.bytes} bytes`);
    rmSync(o);
    if (got.ms < bestOurs.ms) bestOurs = got;
    const c = path.join(dir, `cp-${r}`);
    const cc = cp(c);
    rmSync(c, { recursive: true });
    if (cc.ms < bestCp.ms) bestCp = cc;
    const d = path.join(dir, `dd-${r}.bin`);
    const dc = dd(d);
    rmSync(d);
    if (dc.ms < bestDd.ms) bestDd = dc;
  }
  const mbs = (bytes: number, ms: number): number => bytes / ms / 1e3;
  const oursMbs = mbs(bestOurs.bytes, bestOurs.ms);
  const cpMbs = mbs(bestCp.bytes, bestCp.ms);
  console.log(
    `segments: ${count} × ${(segmentBytes.length / 1e6).toFixed(1)} MB (${segMs / 1000} s of 1080p25 H.264 4 Mb/s + AAC, ${seq} fragments each) = ${(total / 1e6).toFixed(0)} MB, ${(count * segMs) / 60000} min`,
  );
  console.log(`download (plan ${bestOurs.planMs.toFixed(0)} ms + write): ${bestOurs.ms.toFixed(0)} ms for ${(bestOurs.bytes / 1e6).toFixed(0)} MB → ${oursMbs.toFixed(0)} MB/s`);
  console.log(`cp: ${bestCp.ms.toFixed(0)} ms → ${cpMbs.toFixed(0)} MB/s (in-kernel copy_file_range)`);
  const ddMbs = mbs(bestDd.bytes, bestDd.ms);
  console.log(`dd bs=8M (user-space read/write, for reference): ${bestDd.ms.toFixed(0)} ms → ${ddMbs.toFixed(0)} MB/s; ours / dd ${(oursMbs / ddMbs).toFixed(2)}`);
  console.log(`ratio download / cp throughput: ${(oursMbs / cpMbs).toFixed(2)} (best of ${ROUNDS})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

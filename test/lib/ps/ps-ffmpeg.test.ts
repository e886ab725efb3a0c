// Interoperability with Debian ffmpeg/ffprobe: our PS read by ffprobe, ffmpeg's PS read by us.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { AudioFrame, Frame, TrackParams, VideoFrame } from '../../../src/lib/av/frame.js';
import { splitAdts } from '../../../src/lib/aac/index.js';
import { h264Params } from '../../../src/lib/h264/index.js';
import { h265Params } from '../../../src/lib/h265/index.js';
import { muxPs, PsDemuxer, PsMuxer } from '../../../src/lib/ps/index.js';
import { accessUnits, chunks, ffmpeg, ffprobeStreams, hasFfmpeg, videoFrames } from './media-helpers.js';

const skip = !hasFfmpeg && 'ffmpeg/ffprobe not installed';
let dir = '';
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ps-ffmpeg-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));
const tmp = (name: string): string => path.join(dir, name);

const src10s = (codec: 'h264' | 'h265'): Buffer => {
  const file = tmp(`src.${codec}`);
  const enc =
    codec === 'h264'
      ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-bf', '0', '-f', 'h264']
      : ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'keyint=25:min-keyint=25:bframes=0:log-level=error', '-f', 'hevc'];
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-t', '10', '-pix_fmt', 'yuv420p', ...enc, file]);
  return readFileSync(file);
};

function demuxAll(ps: Buffer): { frames: Frame[]; errors: string[] } {
  const frames: Frame[] = [];
  const errors: string[] = [];
  const d = new PsDemuxer({ onFrame: (f) => frames.push(f), onError: (c) => errors.push(c) });
  for (const c of chunks(ps, 1, 1400)) d.push(c);
  d.flush();
  return { frames, errors };
}

for (const codec of ['h264', 'h265'] as const) {
  test(`ffprobe reads our PS: 10 s ${codec} 640x360 25 fps → 250 frames (and AAC audio alongside)`, { skip }, () => {
    const frames = videoFrames(src10s(codec), codec);
    assert.equal(frames.length, 250);
    const video = (codec === 'h264' ? h264Params : h265Params)(frames[0].units)!;
    assert.deepEqual([video.width, video.height, video.fps], [640, 360, 25]);
    const out = tmp(`out-${codec}.ps`);
    writeFileSync(out, Buffer.concat(frames.map((f) => muxPs(f, { video }))));
    const [s] = ffprobeStreams(out);
    assert.equal(s.codec_name, codec === 'h264' ? 'h264' : 'hevc');
    assert.deepEqual([s.width, s.height, s.nb_read_frames], [640, 360, '250']);

    // with AAC: 10 s of 48 kHz stereo ADTS, 469 frames (as ffprobe counts them in the .aac)
    const aacFile = tmp('a.aac');
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=10', '-ac', '2', '-c:a', 'aac', '-b:a', '64k', '-f', 'adts', aacFile]);
    const adts = splitAdts(readFileSync(aacFile))!;
    const audio: AudioFrame[] = adts.frames.map((u, i) => {
      const pts = 90_000 + Math.round((i * 1024 * 90_000) / 48_000);
      return { track: 'audio', codec: 'aac', pts, dts: pts, key: true, units: [u] };
    });
    const [probedAac] = ffprobeStreams(aacFile);
    const params: TrackParams = { video, audio: { codec: 'aac', sampleRate: 48_000, channels: 2 } };
    const mux = new PsMuxer(params);
    const av = tmp(`av-${codec}.ps`);
    const all: Frame[] = [...frames, ...audio].sort((a, b) => a.dts - b.dts);
    writeFileSync(av, Buffer.concat(all.map((f) => mux.mux(f))));
    const streams = ffprobeStreams(av);
    const v = streams.find((x) => x.codec_type === 'video')!;
    const a = streams.find((x) => x.codec_type === 'audio')!;
    assert.equal(v.nb_read_frames, '250');
    assert.equal(a.codec_name, 'aac');
    assert.deepEqual([a.sample_rate, a.channels], ['48000', 2]);
    assert.equal(a.nb_read_frames, probedAac.nb_read_frames);
    assert.equal(a.nb_read_frames, String(audio.length));
  });
}

/** Our frames against the access units ffmpeg extracts from the same file (-c:v copy to Annex-B). */
function checkAgainstFfmpeg(file: string, expected: number): { frames: VideoFrame[] } {
  const [probed] = ffprobeStreams(file);
  assert.equal(probed.nb_read_frames, String(expected));
  const { frames, errors } = demuxAll(readFileSync(file));
  assert.deepEqual(errors, []);
  const video = frames.filter((f): f is VideoFrame => f.track === 'video');
  assert.equal(video.length, expected);
  const es = tmp('copy.h264');
  ffmpeg(['-i', file, '-c:v', 'copy', '-f', 'h264', es]);
  const aus = accessUnits(readFileSync(es), 'h264');
  assert.equal(aus.length, expected);
  // the same pictures, NAL unit for NAL unit (ffmpeg's h264_mp4toannexb-free copy keeps them as muxed)
  for (let i = 0; i < expected; i++) {
    const vcl = (us: readonly Buffer[]): Buffer[] => us.filter((u) => (u[0] & 0x1f) >= 1 && (u[0] & 0x1f) <= 5);
    const ours = vcl(video[i].units);
    const theirs = vcl(aus[i]);
    assert.equal(ours.length, theirs.length, `frame ${i}`);
    ours.forEach((u, k) => assert.ok(u.equals(theirs[k]), `frame ${i} unit ${k}`));
  }
  for (let i = 1; i < video.length; i++) assert.equal(video[i].dts - video[i - 1].dts, 3600, `dts step at ${i}`);
  assert.deepEqual(
    video.flatMap((f, i) => (f.key ? [i] : [])),
    [0, 25, 50, 75].filter((k) => k < expected),
  );
  return { frames: video };
}

test('ffmpeg -f vob (MPEG-2 PS, 2 KB packs, H.264 with B-frames): frame count, pictures and timing as ffprobe', { skip }, () => {
  const file = tmp('bf.vob');
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-t', '4', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-bf', '2', '-f', 'vob', file]);
  const { frames } = checkAgainstFfmpeg(file, 100);
  assert.ok(frames.some((f) => f.pts !== f.dts), 'B-frames: PTS ≠ DTS');
  // every picture carried its own PTS here: presentation times are exactly 25 fps
  const pts = frames.map((f) => f.pts).sort((a, b) => a - b);
  for (let i = 1; i < pts.length; i++) assert.equal(pts[i] - pts[i - 1], 3600);
});

test('ffmpeg -f vob at a low bit rate (several pictures per PES, most without PTS): every picture still comes out', { skip }, () => {
  const file = tmp('low.vob');
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25', '-t', '4', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-bf', '2', '-b:v', '100k', '-f', 'vob', file]);
  checkAgainstFfmpeg(file, 100);
});

test('ffmpeg -f mpeg (MPEG-1 system stream: MPEG-1 pack and PES headers)', { skip }, () => {
  const file = tmp('m1.mpg');
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25', '-t', '2', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-bf', '0', '-f', 'mpeg', file]);
  checkAgainstFfmpeg(file, 50);
});

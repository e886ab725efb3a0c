import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/core/logger.js';
import type { AudioFrame, Frame, VideoFrame } from '../../src/lib/av/frame.js';
import { FlvMuxer } from '../../src/lib/flv/index.js';
import { joinAnnexB } from '../../src/lib/h264/index.js';
import { AccessUnitSplitter } from '../../src/media/ffmpeg/au-splitter.js';
import { pictureTag, readPictureTag, takePictureTag } from '../../src/media/ffmpeg/picture-tag.js';
import {
  continuousSnapshots,
  FfmpegError,
  FfmpegRunner,
  FfmpegUnavailableError,
  isJpeg,
  NoVideoError,
  snapshotJpeg,
  snapshotZipEntries,
  streamSnapshot,
  takeSnapshotFrames,
  takeSnapshotPicture,
  TranscodeLimiter,
  Transcoder,
  zipJpegs,
} from '../../src/media/ffmpeg/index.js';
import { Hub, type Stream } from '../../src/stream/index.js';
import { accessUnits, type Clip, encodeG711a, encodeVideo, feed, haveFfmpeg } from './helpers/feed.js';

const silent = createLogger('silent');
const skip = !haveFfmpeg && 'ffmpeg/ffprobe not installed (apt-get install ffmpeg)';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Probed {
  codec_name: string;
  width?: number;
  height?: number;
  nb_read_frames?: string;
}

function ffprobe(file: string, args: string[] = []): Probed {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_streams', '-of', 'json', ...args, file], { encoding: 'utf8' });
  const s = (JSON.parse(out) as { streams: Probed[] }).streams[0];
  assert.ok(s, `ffprobe found no video stream in ${file}`);
  return s;
}

/** ffmpeg processes that are children of this test process (the tools must leave none behind) */
function ffmpegChildren(): string[] {
  const out = execFileSync('ps', ['--ppid', String(process.pid), '-o', 'pid=,stat=,comm='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /ffmpeg/.test(l));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Pictures of an Annex-B stream decoded to 160x90 grey (one Buffer each), to compare contents. */
function greyPictures(es: Buffer, fmt: 'h264' | 'hevc'): Buffer[] {
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-f', fmt, '-i', 'pipe:0', '-vf', 'scale=160:90', '-pix_fmt', 'gray', '-f', 'rawvideo', 'pipe:1'], { input: es, maxBuffer: 1 << 28 });
  const n = 160 * 90;
  const out: Buffer[] = [];
  for (let o = 0; o + n <= raw.length; o += n) out.push(raw.subarray(o, o + n));
  return out;
}

function meanDiff(a: Buffer, b: Buffer): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += Math.abs(a[i] - b[i]);
  return d / a.length;
}

const desc = (key: string) => ({ key, channelId: key.split('/')[1], kind: 'live' as const, variant: key.split('/')[2] });

// ---- no ffmpeg needed ----

describe('ffmpeg tools without ffmpeg', () => {
  test('a missing binary: available false, every call rejects with a clear error', async () => {
    const runner = new FfmpegRunner({ bin: 'no-such-ffmpeg', maxConcurrent: 2, log: silent });
    assert.equal(runner.available, false);
    assert.equal(runner.features.libx264, false);
    await assert.rejects(runner.run(['-version']), (e: Error) => e instanceof FfmpegUnavailableError && /no-such-ffmpeg/.test(e.message) && /install/.test(e.message));
    const hub = new Hub({ lingerMs: 60_000, stallMs: 60_000 });
    try {
      const s = hub.open(desc('live/34020000001310000001/main'));
      const key: VideoFrame = { track: 'video', codec: 'h264', pts: 0, dts: 0, key: true, units: [Buffer.from([0x65, 0x88])] };
      await assert.rejects(snapshotJpeg(runner, [key], { video: { codec: 'h264', width: 16, height: 16, fps: 25 } }), FfmpegUnavailableError);
      await assert.rejects(continuousSnapshots(runner, s, { count: 2, intervalMs: 200 }), FfmpegUnavailableError);
      const tr = new Transcoder({ runner, source: s, target: hub.open(desc('live/34020000001310000001/h264')), log: silent });
      assert.throws(() => tr.start(), FfmpegUnavailableError);
      assert.equal(tr.running, false);
      const tr2 = new Transcoder({ bin: 'no-such-ffmpeg', source: s, target: hub.open(desc('live/34020000001310000001/h264b')), log: silent });
      assert.throws(() => tr2.start(), /not available/);
      assert.equal(s.readerCount, 0, 'nothing stays attached');
    } finally {
      hub.close();
    }
  });

  test('continuousSnapshots checks count and interval', async () => {
    const runner = new FfmpegRunner({ bin: 'no-such-ffmpeg', maxConcurrent: 1, log: silent });
    const hub = new Hub({ lingerMs: 60_000, stallMs: 60_000 });
    try {
      const s = hub.open(desc('live/34020000001310000002/main'));
      await assert.rejects(continuousSnapshots(runner, s, { count: 101, intervalMs: 400 }), RangeError);
      await assert.rejects(continuousSnapshots(runner, s, { count: 0, intervalMs: 400 }), RangeError);
      await assert.rejects(continuousSnapshots(runner, s, { count: 5, intervalMs: 199 }), RangeError);
    } finally {
      hub.close();
    }
  });

  test('TranscodeLimiter', () => {
    const l = new TranscodeLimiter(2);
    assert.equal(l.tryAcquire(), true);
    assert.equal(l.tryAcquire(), true);
    assert.equal(l.tryAcquire(), false);
    assert.equal(l.inUse, 2);
    l.release();
    assert.equal(l.inUse, 1);
    assert.equal(l.tryAcquire(), true);
    l.release();
    l.release();
    l.release();
    assert.equal(l.inUse, 0, 'never below zero');
  });

  test('zipJpegs: a store-only ZIP that python zipfile and unzip read back byte for byte', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sharpeye-zip-'));
    try {
      const files = [
        { name: 'a.jpg', data: Buffer.from([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]), at: new Date(2024, 4, 1, 12, 30, 44) },
        { name: 'dir/b.jpg', data: Buffer.alloc(70_000, 7) },
        { name: '抓拍-3.jpg', data: Buffer.alloc(0) },
      ];
      const zip = zipJpegs(files);
      const file = join(dir, 'x.zip');
      writeFileSync(file, zip);
      const py = `import zipfile,sys,json\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(json.dumps([[i.filename,i.file_size,list(i.date_time),z.read(i).hex()[:16]] for i in z.infolist()]))`;
      const listed = JSON.parse(execFileSync('python3', ['-c', py, file], { encoding: 'utf8' })) as [string, number, number[], string][];
      assert.deepEqual(
        listed.map((l) => [l[0], l[1]]),
        files.map((f) => [f.name, f.data.length]),
      );
      assert.deepEqual(listed[0][2], [2024, 5, 1, 12, 30, 44]);
      assert.equal(listed[1][3], '0707070707070707');
      execFileSync('unzip', ['-q', '-o', file, '-d', join(dir, 'out')]);
      assert.deepEqual(readFileSync(join(dir, 'out', 'dir', 'b.jpg')), files[1].data);
      assert.throws(() => zipJpegs([{ name: '../evil.jpg', data: Buffer.alloc(1) }]), RangeError);
      assert.throws(() => zipJpegs([{ name: '/abs.jpg', data: Buffer.alloc(1) }]), RangeError);
      assert.throws(() => zipJpegs([{ name: 'x.jpg', data: Buffer.alloc(1) }, { name: 'x.jpg', data: Buffer.alloc(1) }]), RangeError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('picture tag: round trip, stripped from the access unit', () => {
    for (const seq of [0, 1, 255, 0x123456789]) {
      const nal = pictureTag('h264', seq);
      assert.equal(nal.includes(Buffer.from([0, 0])), false, 'no emulation prevention needed');
      assert.equal(readPictureTag(nal), seq);
    }
    const h265 = pictureTag('h265', 7, Buffer.from([0x02, 0x03]));
    assert.equal((h265[0] >> 1) & 0x3f, 39, 'prefix SEI');
    assert.equal(h265[1], 0x03, 'TemporalId of the picture');
    const slice = Buffer.from([0x65, 0x88, 0x84]);
    const r = takePictureTag([Buffer.from([0x67, 1]), pictureTag('h264', 42), slice]);
    assert.equal(r.seq, 42);
    assert.deepEqual(r.units, [Buffer.from([0x67, 1]), slice]);
    assert.equal(takePictureTag([slice]).seq, undefined);
  });
});

// ---- with ffmpeg ----

describe('ffmpeg tools: snapshots and the H.264 rendition', { skip }, () => {
  let dir: string;
  let hub: Hub;
  let runner: FfmpegRunner;
  let h264: Clip;
  let h265: Clip;
  let s264: Stream;
  let s265: Stream;
  /** every video pts pushed into s265, with when */
  const src265 = new Map<number, number>();
  const stops: Array<() => void> = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sharpeye-ffmpeg-tools-'));
    h264 = encodeVideo(dir, 'h264', '1920x1080', 4);
    h265 = encodeVideo(dir, 'h265', '640x360', 4);
    hub = new Hub({ lingerMs: 600_000, stallMs: 600_000 });
    runner = new FfmpegRunner({ maxConcurrent: 2, log: silent });
    s264 = hub.open(desc('live/34020000001320000001/main'));
    s265 = hub.open(desc('live/34020000001320000002/main'));
    s265.on('frame', (f) => {
      if (f.track === 'video') src265.set(f.pts, Date.now());
    });
    stops.push(feed(s264, h264), feed(s265, h265));
    await Promise.all([s264.whenLive(), s265.whenLive()]);
    await sleep(600); // some GOP cache behind the key frame
  });

  after(async () => {
    for (const s of stops) s();
    hub?.close();
    await runner?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('AccessUnitSplitter: arbitrary chunks give the access units of the stream', { timeout: 30_000 }, () => {
    const es = Buffer.concat(h264.aus.slice(0, 30).map((au) => joinAnnexB(au)));
    const want = accessUnits(es, 'h264');
    const sp = new AccessUnitSplitter('h264');
    const got: Buffer[][] = [];
    let seed = 7;
    for (let o = 0; o < es.length; ) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const n = 1 + (seed % 5000);
      got.push(...sp.push(es.subarray(o, o + n)));
      o += n;
    }
    assert.equal(got.length, want.length - 1, 'all but the last access unit before flush (one frame of delay, not two)');
    got.push(...sp.flush());
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) assert.deepEqual(got[i], want[i], `access unit ${i}`);
    // byte by byte: start codes split every way
    const small = Buffer.concat(h264.aus.slice(0, 4).map((au) => joinAnnexB(au)));
    const sp1 = new AccessUnitSplitter('h264');
    const got1: Buffer[][] = [];
    for (let o = 0; o < small.length; o += 3) got1.push(...sp1.push(small.subarray(o, o + 3)));
    got1.push(...sp1.flush());
    assert.deepEqual(got1, accessUnits(small, 'h264'));
  });

  test('snapshotJpeg: the newest 1080p picture as JPEG', { timeout: 30_000 }, async (t) => {
    const t0 = Date.now();
    const frames = await takeSnapshotFrames(s264, 2000);
    const took = Date.now() - t0;
    assert.ok(took < 100, `GOP cache handed over at once (${took} ms)`);
    assert.equal(frames[0].track, 'video');
    assert.equal((frames[0] as VideoFrame).key, true, 'starts at a key frame');
    assert.ok(frames.every((f) => f.track === 'video'));
    assert.equal(s264.readerCount, 0, 'the short-lived reader is gone');

    const t1 = Date.now();
    const jpeg = await snapshotJpeg(runner, frames, s264.params);
    const latency = Date.now() - t1;
    t.diagnostic(`1080p snapshot: ${frames.length} frames decoded, ${jpeg.length} bytes JPEG in ${latency} ms`);
    assert.ok(isJpeg(jpeg), 'SOI … EOI');
    assert.equal(jpeg.readUInt16BE(0), 0xffd8);
    assert.equal(jpeg.readUInt16BE(jpeg.length - 2), 0xffd9);
    const file = join(dir, 'snap.jpg');
    writeFileSync(file, jpeg);
    const p = ffprobe(file);
    assert.equal(p.codec_name, 'mjpeg');
    assert.equal(`${p.width}x${p.height}`, '1920x1080');

    // frameIndex picks another picture (testsrc2 moves), maxWidth scales down
    if (frames.length > 1) {
      const first = await snapshotJpeg(runner, frames, s264.params, { frameIndex: 0 });
      assert.ok(isJpeg(first));
      assert.notDeepEqual(first, jpeg, 'the key frame picture differs from the newest');
    }
    const small = await snapshotJpeg(runner, frames, s264.params, { maxWidth: 640, quality: 8 });
    writeFileSync(join(dir, 'small.jpg'), small);
    const ps = ffprobe(join(dir, 'small.jpg'));
    assert.equal(`${ps.width}x${ps.height}`, '640x360');

    const t2 = Date.now();
    const one = await streamSnapshot(runner, s265, 2000);
    t.diagnostic(`360p H.265 snapshot (take + encode): ${Date.now() - t2} ms`);
    writeFileSync(join(dir, 'h265.jpg'), one.jpeg);
    assert.equal(`${ffprobe(join(dir, 'h265.jpg')).width}x${ffprobe(join(dir, 'h265.jpg')).height}`, '640x360');
  });

  test('a stream without video: the snapshot rejects within the timeout', { timeout: 30_000 }, async () => {
    const empty = hub.open(desc('live/34020000001320000009/main'));
    let t0 = Date.now();
    await assert.rejects(takeSnapshotFrames(empty, 300), NoVideoError);
    let took = Date.now() - t0;
    assert.ok(took >= 290 && took < 800, `rejected after ${took} ms`);
    assert.equal(empty.readerCount, 0);

    // audio only (G.711): still no picture
    const audioOnly = hub.open(desc('live/34020000001320000010/main'));
    const timer = setInterval(() => {
      const pts = Date.now() * 90;
      const f: AudioFrame = { track: 'audio', codec: 'g711a', pts, dts: pts, key: true, units: [Buffer.alloc(320, 0xd5)] };
      audioOnly.push(f);
    }, 40);
    try {
      t0 = Date.now();
      await assert.rejects(streamSnapshot(runner, audioOnly, 300), /no video picture/);
      took = Date.now() - t0;
      assert.ok(took < 800, `rejected after ${took} ms`);
    } finally {
      clearInterval(timer);
    }

    // a stream that ends while waiting rejects at once
    const ending = hub.open(desc('live/34020000001320000011/main'));
    t0 = Date.now();
    const p = takeSnapshotPicture(ending, 5000);
    setTimeout(() => hub.remove(ending.key, 'test'), 100);
    await assert.rejects(p, /closed \(stream-ended\)/);
    assert.ok(Date.now() - t0 < 1000);
  });

  test('continuousSnapshots: 5 pictures 400 ms apart, zipped', { timeout: 30_000 }, async (t) => {
    const progress: number[] = [];
    const t0 = Date.now();
    const shots = await continuousSnapshots(runner, s264, { count: 5, intervalMs: 400, onProgress: (n) => progress.push(n) });
    const took = Date.now() - t0;
    t.diagnostic(`5 × 1080p at 400 ms: ${took} ms, ${shots.map((s) => s.jpeg.length).join('/')} bytes`);
    assert.equal(shots.length, 5);
    assert.deepEqual(progress, [1, 2, 3, 4, 5]);
    assert.ok(took >= 1600, `spread over 4 intervals (${took} ms)`);
    for (const s of shots) assert.ok(isJpeg(s.jpeg));
    for (let i = 1; i < shots.length; i++) {
      const gap = shots[i].at.getTime() - shots[i - 1].at.getTime();
      assert.ok(gap > 250 && gap < 600, `picture ${i} taken ${gap} ms after the previous`);
    }
    assert.equal(new Set(shots.map((s) => s.jpeg.toString('base64'))).size, 5, 'five different pictures');
    assert.equal(s264.readerCount, 0, 'reader detached');

    const entries = snapshotZipEntries(shots, 'cam1');
    const file = join(dir, 'shots.zip');
    writeFileSync(file, zipJpegs(entries));
    const list = execFileSync('unzip', ['-l', file], { encoding: 'utf8' });
    for (const e of entries) assert.ok(list.includes(e.name), `${e.name} listed`);
    assert.match(entries[0].name, /^cam1-001-\d{8}T\d{6}\.\d{3}Z\.jpg$/);
    execFileSync('python3', ['-m', 'zipfile', '-t', file]);
    const out = join(dir, 'unzipped');
    mkdirSync(out);
    execFileSync('unzip', ['-q', file, '-d', out]);
    assert.equal(readdirSync(out).length, 5);
    const p = ffprobe(join(out, entries[4].name));
    assert.equal(`${p.codec_name} ${p.width}x${p.height}`, 'mjpeg 1920x1080');
  });

  test('runner: queued beyond maxConcurrent, a stuck ffmpeg is killed on timeout', { timeout: 30_000 }, async () => {
    const r = new FfmpegRunner({ maxConcurrent: 1, timeoutMs: 400, log: silent });
    const forever = ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'null', '-'];
    const t0 = Date.now();
    const jobs = [r.run(forever), r.run(forever), r.run(['-f', 'lavfi', '-i', 'testsrc2=size=64x64:rate=1', '-frames:v', '1', '-c:v', 'mjpeg', '-f', 'image2pipe', 'pipe:1'])];
    assert.equal(r.running, 1);
    assert.equal(r.queued, 2);
    const pid = r.pids[0];
    const res = await Promise.allSettled(jobs);
    const took = Date.now() - t0;
    assert.equal(res[0].status, 'rejected');
    const err = (res[0] as PromiseRejectedResult).reason as FfmpegError;
    assert.ok(err instanceof FfmpegError && err.timedOut, String(err));
    assert.match(err.message, /killed after 400 ms/);
    assert.equal(res[1].status, 'rejected', 'the second one times out too');
    assert.equal(res[2].status, 'fulfilled');
    assert.ok(isJpeg((res[2] as PromiseFulfilledResult<Buffer>).value));
    assert.ok(took >= 800 && took < 3000, `one after the other (${took} ms)`);
    assert.equal(alive(pid), false, 'the stuck process is gone');
    assert.deepEqual(r.pids, []);
    // bad arguments: the stderr tail is in the error
    await assert.rejects(r.run(['-f', 'lavfi', '-i', 'nosuchfilter', '-f', 'null', '-']), (e: Error) => e instanceof FfmpegError && /nosuchfilter|No such filter/i.test(e.message));
    await r.close();
  });

  test('transcoder: H.265 360p → H.264 rendition with the source timestamps; stop leaves no ffmpeg', { timeout: 30_000 }, async (t) => {
    const target = hub.open(desc('live/34020000001320000002/h264'));
    const srcAt = src265;
    const startedAt = Date.now();
    const out: VideoFrame[] = [];
    const delays: number[] = [];
    target.on('frame', (f) => {
      if (f.track !== 'video') return;
      out.push(f);
      const at = srcAt.get(f.pts);
      if (at !== undefined && at >= startedAt + 1000) delays.push(Date.now() - at); // live pictures, not the GOP-cache replay
    });
    const tr = new Transcoder({ runner, source: s265, target, log: silent });
    tr.start();
    try {
      assert.equal(tr.running, true);
      assert.equal(s265.readerCount, 1);
      await target.whenLive();
      const firstMs = Date.now() - startedAt;
      const pid = tr.stats().pid;
      assert.ok(pid, 'ffmpeg running');
      await sleep(1000); // past the GOP-cache replay, which ffmpeg transcodes faster than real time
      const cpu0 = cpuSeconds(pid);
      const n0 = out.length;
      const w0 = Date.now();
      await sleep(3000);
      const n1 = out.length;
      const secs = (Date.now() - w0) / 1000;
      const cores = (cpuSeconds(pid) - cpu0) / secs;
      const fps = (n1 - n0) / secs;

      const v = target.params.video;
      assert.ok(v);
      assert.equal(`${v.codec} ${v.width}x${v.height}`, 'h264 640x360');
      assert.ok(fps > 22 && fps < 28, `rendition at ${fps.toFixed(1)} frames/s`);
      // timestamps: every rendition picture has a source picture's pts, in order, none missing after the first
      for (const f of out) assert.ok(srcAt.has(f.pts), `pts ${f.pts} is a source pts`);
      for (let i = 1; i < out.length; i++) assert.equal(out[i].pts - out[i - 1].pts, 3600, `picture ${i} one frame after the previous`);
      assert.equal(out[0].key, true, 'starts with an IDR');
      assert.ok(out.every((f) => f.dts === f.pts && f.codec === 'h264'));
      const st = tr.stats();
      assert.equal(st.dropped, 0);
      assert.equal(st.lost, 0);
      assert.equal(st.processes, 1);
      delays.sort((a, b) => a - b);
      t.diagnostic(`360p H.265→H.264: first picture after ${firstMs} ms (GOP cache replay), ${fps.toFixed(1)} fps, ffmpeg ${(cores * 100).toFixed(0)} % of a core, source→rendition delay median ${delays[delays.length >> 1]} ms, p90 ${delays[Math.floor(delays.length * 0.9)]} ms`);

      // and each rendition picture shows its source picture: decoded side by side, the source picture with the same
      // pts is the closest one (testsrc2 moves: neighbours differ ~10× more than the transcode error)
      const rendition = greyPictures(Buffer.concat(out.slice(0, 60).map((f) => joinAnnexB(f.units))), 'h264');
      const source = greyPictures(Buffer.concat(h265.aus.map((au) => joinAnnexB(au))), 'hevc');
      assert.equal(rendition.length, Math.min(60, out.length));
      const L = source.length;
      for (let i = 0; i < rendition.length; i++) {
        const k = ((out[i].pts - 900_000) / 3600) % L;
        const same = meanDiff(rendition[i], source[k]);
        const prev = meanDiff(rendition[i], source[(k + L - 1) % L]);
        const next = meanDiff(rendition[i], source[(k + 1) % L]);
        assert.ok(same < prev && same < next, `picture ${i} (pts ${out[i].pts}) matches its source picture: ${same.toFixed(2)} vs ${prev.toFixed(2)} / ${next.toFixed(2)}`);
      }

      // the rendition through FLV: an H.264 file ffprobe reads
      const mux = new FlvMuxer();
      const parts = [mux.header(target.params, 0)];
      for (const f of out) {
        const tag = mux.tag(f);
        if (tag) parts.push(tag);
      }
      const flv = join(dir, 'rendition.flv');
      writeFileSync(flv, Buffer.concat(parts));
      const p = ffprobe(flv, ['-count_frames']);
      assert.equal(p.codec_name, 'h264');
      assert.equal(`${p.width}x${p.height}`, '640x360');
      assert.ok(Math.abs(Number(p.nb_read_frames) - out.length) <= 1, `${p.nb_read_frames} of ${out.length} pictures decoded`);

      await tr.stop();
      assert.equal(tr.running, false);
      assert.equal(s265.readerCount, 0, 'detached from the source');
      assert.equal(alive(pid), false, 'ffmpeg exited');
      assert.deepEqual(ffmpegChildren(), [], 'no ffmpeg child left (not even a zombie)');
      const count = out.length;
      await sleep(300);
      assert.equal(out.length, count, 'nothing pushed after stop');
    } finally {
      await tr.stop();
    }
    hub.remove(target.key, 'test');
  });

  test('transcoder: ffmpeg falling behind drops source frames up to a key frame instead of queueing', { timeout: 30_000 }, async (t) => {
    const target = hub.open(desc('live/34020000001320000002/h264-slow'));
    const out: VideoFrame[] = [];
    target.on('frame', (f) => {
      if (f.track === 'video') out.push(f);
    });
    const srcPts = src265;
    const tr = new Transcoder({ runner, source: s265, target, log: silent, maxPendingBytes: 64 * 1024 });
    tr.start();
    try {
      await target.whenLive();
      const pid = tr.stats().pid as number;
      process.kill(pid, 'SIGSTOP'); // a transcode that cannot keep up at all
      let maxPending = 0;
      await until(
        () => {
          maxPending = Math.max(maxPending, tr.stats().pendingBytes);
          return tr.stats().dropped > 10;
        },
        5000,
        'frames dropped',
      );
      process.kill(pid, 'SIGCONT');
      const gapAt = () => out.findIndex((f, i) => i > 0 && f.pts - out[i - 1].pts > 3600);
      await until(() => gapAt() > 0 && out.length > gapAt() + 10, 8000, 'the rendition to resume after the dropped stretch');
      const st = tr.stats();
      t.diagnostic(`dropped ${st.dropped} source frames while ffmpeg was stopped; stdin backlog peaked at ${maxPending} bytes`);
      assert.ok(maxPending <= 64 * 1024 + 64 * 1024, `bounded stdin backlog (${maxPending} bytes)`);
      assert.equal(st.processes, 1, 'the same ffmpeg went on');
      assert.equal(st.lost, 0);
      // timestamps stay the source's; resumed at a source key frame
      for (const f of out) assert.ok(srcPts.has(f.pts));
      const gaps = out.slice(1).map((f, i) => f.pts - out[i].pts);
      assert.ok(gaps.every((g) => g > 0), 'increasing');
      const resumed = out[gapAt()].pts;
      const keyPts = new Set(h265.keys.map((k, i) => (k ? i : -1)).filter((i) => i >= 0));
      assert.ok(keyPts.has(((resumed - 900_000) / 3600) % h265.aus.length), 'resumed at a source key frame');
    } finally {
      await tr.stop();
      hub.remove(target.key, 'test');
    }
    assert.deepEqual(ffmpegChildren(), []);
  });

  test('transcoder: 1080p H.264 → 720p rendition (maxWidth), CPU measured', { timeout: 30_000 }, async (t) => {
    const target = hub.open(desc('live/34020000001320000001/h264-720'));
    const out: VideoFrame[] = [];
    target.on('frame', (f) => {
      if (f.track === 'video') out.push(f);
    });
    const tr = new Transcoder({ runner, source: s264, target, log: silent, maxWidth: 1280, bitrateKbps: 2000 });
    tr.start();
    try {
      await target.whenLive();
      await sleep(1000); // past the GOP-cache replay
      const pid = tr.stats().pid as number;
      const c0 = cpuSeconds(pid);
      const n0 = out.length;
      const w0 = Date.now();
      await sleep(3000);
      const secs = (Date.now() - w0) / 1000;
      const st = tr.stats();
      t.diagnostic(`1080p H.264→720p H.264: ${((out.length - n0) / secs).toFixed(1)} fps out, ffmpeg ${(((cpuSeconds(pid) - c0) / secs) * 100).toFixed(0)} % of a core, dropped ${st.dropped}`);
      const v = target.params.video;
      assert.equal(`${v?.codec} ${v?.width}x${v?.height}`, 'h264 1280x720');
      assert.ok(out.length - n0 > 20, 'pictures keep coming');
    } finally {
      await tr.stop();
      hub.remove(target.key, 'test');
    }
    assert.deepEqual(ffmpegChildren(), []);
  });

  test('transcoder: audio passes through in step with the video; the source ending stops it and its ffmpeg', { timeout: 30_000 }, async () => {
    const src = hub.open(desc('live/34020000001320000012/main'));
    const stop = feed(src, h265, encodeG711a(dir, 4));
    const target = hub.open(desc('live/34020000001320000012/h264'));
    const got: Frame[] = [];
    target.on('frame', (f) => got.push(f));
    let stopped: string | undefined;
    const tr = new Transcoder({ runner, source: src, target, log: silent, onStopped: (why) => (stopped = why) });
    try {
      tr.start();
      await target.whenLive();
      await sleep(1500);
      const pid = tr.stats().pid as number;
      const audio = got.filter((f) => f.track === 'audio');
      assert.ok(audio.length > 20, `${audio.length} audio frames passed through`);
      assert.equal(target.params.audio?.codec, 'g711a');
      assert.equal(got[0].track, 'video', 'the rendition starts with video');
      // interleaved as in the source: no audio ahead of the video pushed before it
      let lastVideo = -1;
      for (const f of got) {
        if (f.track === 'video') lastVideo = f.dts;
        else assert.ok(f.dts <= lastVideo, `audio ${f.dts} after video ${lastVideo}`);
      }
      hub.remove(src.key, 'camera gone');
      assert.match(stopped ?? '', /source closed \(stream-ended\)/);
      assert.equal(tr.running, false);
      await until(() => !alive(pid), 3000, 'ffmpeg to exit');
    } finally {
      stop();
      await tr.stop();
      hub.remove(target.key, 'test');
    }
    assert.deepEqual(ffmpegChildren(), []);
  });

  test('transcoder: a codec / resolution change restarts ffmpeg with the new parameters', { timeout: 30_000 }, async () => {
    const src = hub.open(desc('live/34020000001320000013/main'));
    let stop = feed(src, h265);
    const target = hub.open(desc('live/34020000001320000013/h264'));
    const tr = new Transcoder({ runner, source: src, target, log: silent, maxWidth: 960 });
    try {
      tr.start();
      await target.whenLive();
      await sleep(500);
      assert.equal(`${target.params.video?.width}x${target.params.video?.height}`, '640x360');
      const pid1 = tr.stats().pid as number;
      stop();
      stop = feed(src, h264, undefined, 900_000 + 3600 * 10_000); // the camera switched to H.264 1080p
      await until(() => target.params.video?.width === 960, 8000, 'the new rendition');
      assert.equal(`${target.params.video?.codec} ${target.params.video?.width}x${target.params.video?.height}`, 'h264 960x540');
      assert.equal(tr.stats().processes, 2);
      assert.notEqual(tr.stats().pid, pid1);
      await until(() => !alive(pid1), 3000, 'the old ffmpeg to exit');
    } finally {
      stop();
      await tr.stop();
      hub.remove(src.key, 'test');
      hub.remove(target.key, 'test');
    }
    assert.deepEqual(ffmpegChildren(), []);
  });
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Frame, TrackParams } from '../../../src/lib/av/frame.js';
import { initSegment, mediaSegment } from '../../../src/lib/fmp4/index.js';
import {
  children,
  iterateBoxes,
  mdatHeader,
  parseInit,
  parseMoof,
  progressiveHeader,
  SampleTable,
  type Box,
  type FragmentSample,
  type ProgressiveTrack,
} from '../../../src/lib/mp4/index.js';
import { aacClip, ffprobeJson, interleave, tempDir, videoClip } from '../../fixtures/mux/media.js';
import { HAVE_FFMPEG } from '../../helpers/media-tools.js';

const dir = tempDir('mp4-progressive-test');

/** init + one fragment per GOP, as the recorder writes (origin = first dts). */
function fragmented(params: TrackParams, frames: Frame[]): Buffer {
  const parts = [initSegment(params)];
  let cur: Frame[] = [];
  const origin = frames[0].dts;
  let seq = 1;
  for (const f of frames) {
    if (f.track === 'video' && f.key && cur.some((x) => x.track === 'video')) {
      parts.push(mediaSegment(cur, seq++, params, { origin, nextVideoDts: f.dts }));
      cur = [];
    }
    cur.push(f);
  }
  parts.push(mediaSegment(cur, seq, params, { origin }));
  return Buffer.concat(parts);
}

/**
 * fMP4 → progressive MP4 with the library: one chunk per (fragment, track) run, samples copied in file order.
 * `fromSample` drops video samples before it (a keyframe); `presentFrom` (90 kHz after that keyframe) is the edit.
 */
function remux(fmp4: Buffer, opts: { forceCo64?: boolean; fromSample?: number; presentFrom?: number } = {}): { file: Buffer; tables: SampleTable[]; co64: boolean } {
  const init = parseInit(fmp4);
  const tables = init.tracks.map(() => new SampleTable());
  const payload: Buffer[] = [];
  let rel = 0;
  const nextDts = new Map<number, number>();
  let videoIndex = 0;
  const from = opts.fromSample ?? 0;
  for (const b of iterateBoxes(fmp4)) {
    if (b.type !== 'moof') continue;
    const { samples } = parseMoof(fmp4.subarray(b.start), b.start, init.tracks, nextDts);
    let prev: FragmentSample | undefined;
    for (const s of samples) {
      const ti = init.tracks.findIndex((t) => t.id === s.trackId);
      const video = init.tracks[ti].kind === 'video';
      if (video && videoIndex++ < from) continue;
      if (!video && from > 0 && tables[0].count === 0) continue;
      if (!prev || prev.trackId !== s.trackId || prev.fileOffset + prev.size !== s.fileOffset) tables[ti].chunk(rel, s.entry);
      tables[ti].add(s.duration, s.size, s.cto, s.key);
      payload.push(fmp4.subarray(s.fileOffset, s.fileOffset + s.size));
      rel += s.size;
      prev = s;
    }
  }
  const tracks: ProgressiveTrack[] = init.tracks.map((t, i) => ({
    kind: t.kind as 'video' | 'audio',
    timescale: t.timescale,
    sampleEntries: t.sampleEntries,
    width: t.width,
    height: t.height,
    table: tables[i],
    edit: opts.presentFrom !== undefined && t.kind === 'video' ? { mediaTime: opts.presentFrom } : undefined,
  }));
  const head = progressiveHeader({ tracks, payloadSize: rel, forceCo64: opts.forceCo64 });
  return { file: Buffer.concat([head.header, ...payload]), tables, co64: head.co64 };
}

function probe(file: string): { streams: any[]; format: any } {
  return ffprobeJson(['-count_frames', '-count_packets', '-show_entries', 'stream=codec_type,codec_name,width,height,nb_read_frames,nb_read_packets,sample_rate,duration:format=duration', file]);
}

function write(name: string, b: Buffer): string {
  const f = path.join(dir, name);
  writeFileSync(f, b);
  return f;
}

/** The top-level and nested box types of a file head, e.g. to find stco / co64. */
function types(b: Buffer): string[] {
  const out: string[] = [];
  const walk = (bx: Box): void => {
    out.push(bx.type);
    if (['moov', 'trak', 'mdia', 'minf', 'stbl', 'edts'].includes(bx.type)) for (const c of children(bx)) walk(c);
  };
  for (const bx of iterateBoxes(b.subarray(0, b.indexOf('mdat') - 4))) walk(bx);
  return out;
}

test('progressive H.264: ffprobe reads avc1 640x360, every frame, the duration; stss and stco, no ctts without B-frames', { skip: !HAVE_FFMPEG }, () => {
  const v = videoClip('h264');
  const { file, co64 } = remux(fragmented({ video: v.params }, v.frames));
  assert.equal(co64, false);
  const t = types(file);
  assert.ok(t.includes('stco') && t.includes('stss') && !t.includes('co64') && !t.includes('ctts') && !t.includes('edts'), t.join(','));
  const p = probe(write('h264.mp4', file));
  const [vs] = p.streams;
  assert.deepEqual([vs.codec_name, vs.width, vs.height, Number(vs.nb_read_frames)], ['h264', 640, 360, v.frames.length]);
  assert.ok(Math.abs(Number(p.format.duration) - 4) < 0.05, `duration ${p.format.duration}`);
});

test('co64: forced 64-bit chunk offsets play the same frames as stco (decoded pictures identical)', { skip: !HAVE_FFMPEG }, () => {
  const v = videoClip('h264', { bframes: 2 });
  const frag = fragmented({ video: v.params }, v.frames);
  const a = write('stco.mp4', remux(frag).file);
  const big = remux(frag, { forceCo64: true });
  assert.equal(big.co64, true);
  const t = types(big.file);
  assert.ok(t.includes('co64') && !t.includes('stco') && t.includes('ctts'), t.join(','));
  const b = write('co64.mp4', big.file);
  const pb = probe(b);
  assert.equal(Number(pb.streams[0].nb_read_frames), v.frames.length);
  const md5 = (f: string): string => execFileSync('ffmpeg', ['-v', 'error', '-i', f, '-map', '0:v', '-f', 'md5', '-'], { encoding: 'utf8' }).trim();
  assert.equal(md5(b), md5(a));
});

test('edit list pre-roll: the file starts at a keyframe, the presentation 0.4 s later; ffprobe duration is the requested one', { skip: !HAVE_FFMPEG }, () => {
  const v = videoClip('h264');
  // from the keyframe at 1 s; present from 1.4 s: 2.6 s of the 4 s clip
  assert.ok(v.frames[25].key);
  const { file } = remux(fragmented({ video: v.params }, v.frames), { fromSample: 25, presentFrom: 0.4 * 90000 });
  assert.ok(types(file).includes('elst'));
  const p = probe(write('preroll.mp4', file));
  assert.ok(Math.abs(Number(p.format.duration) - 2.6) < 0.05, `duration ${p.format.duration}`);
  // the 10 pre-roll pictures are decoded but not presented
  assert.equal(Number(p.streams[0].nb_read_frames), 75 - 10);
});

test('progressive H.264 + AAC and H.265: both tracks probe with every packet', { skip: !HAVE_FFMPEG }, () => {
  const v = videoClip('h264');
  const a = aacClip();
  const params: TrackParams = { video: v.params, audio: a.params };
  const { file } = remux(fragmented(params, interleave<Frame>(v.frames, a.frames)));
  const p = probe(write('h264-aac.mp4', file));
  const [vs, as] = p.streams;
  assert.equal(vs.codec_name, 'h264');
  assert.equal(Number(vs.nb_read_frames), v.frames.length);
  assert.deepEqual([as.codec_name, Number(as.sample_rate), Number(as.nb_read_packets)], ['aac', 44100, a.frames.length]);

  const h = videoClip('h265');
  const hp = probe(write('h265.mp4', remux(fragmented({ video: h.params }, h.frames)).file));
  assert.deepEqual([hp.streams[0].codec_name, Number(hp.streams[0].nb_read_frames)], ['hevc', h.frames.length]);
});

test('beyond 4 GiB: co64 chosen by itself and the mdat header takes the 64-bit largesize', () => {
  const table = new SampleTable();
  for (let i = 0; i < 3; i++) {
    table.chunk(i * 2_500_000_000);
    table.add(3600, 2_500_000_000, 0, i === 0);
  }
  const entry = parseInit(initSegment({ video: videoClip('h264').params })).tracks[0].sampleEntry;
  const head = progressiveHeader({ tracks: [{ kind: 'video', timescale: 90000, sampleEntries: [entry], table }], payloadSize: 7_500_000_000 });
  assert.equal(head.co64, true);
  assert.equal(head.largeMdat, true);
  const mdat = head.header.subarray(head.header.length - 16);
  assert.equal(mdat.readUInt32BE(0), 1);
  assert.equal(mdat.toString('latin1', 4, 8), 'mdat');
  assert.equal(Number(mdat.readBigUInt64BE(8)), 7_500_000_016);
  // the co64 entries are the absolute offsets
  const co = head.header.indexOf('co64');
  assert.equal(head.header.readUInt32BE(co + 8), 3);
  assert.equal(Number(head.header.readBigUInt64BE(co + 28)), head.header.length + 5_000_000_000);
  assert.equal(mdatHeader(2 ** 32 - 9).length, 8);
  assert.equal(mdatHeader(2 ** 32 - 8).length, 16);
  assert.throws(() => progressiveHeader({ tracks: [{ kind: 'video', timescale: 90000, sampleEntries: [entry], table }], payloadSize: 5 }));
});

test('several sample entries: stsc rows switch sample_description_index, stsd lists every entry', () => {
  const v = videoClip('h264');
  const entry = parseInit(initSegment({ video: v.params })).tracks[0].sampleEntry;
  const other = parseInit(initSegment({ video: { ...v.params, width: 320, height: 180 } })).tracks[0].sampleEntry;
  const table = new SampleTable();
  let off = 0;
  for (const [n, e] of [[2, 1], [2, 1], [3, 2], [3, 2], [2, 1]] as const) {
    table.chunk(off, e);
    for (let i = 0; i < n; i++) table.add(3600, 10, 0, i === 0);
    off += n * 10;
  }
  const head = progressiveHeader({ tracks: [{ kind: 'video', timescale: 90000, sampleEntries: [entry, other], table }], payloadSize: off });
  const stsd = head.header.indexOf('stsd');
  assert.equal(head.header.readUInt32BE(stsd + 8), 2);
  const stsc = head.header.indexOf('stsc');
  const rows = [];
  for (let i = 0; i < head.header.readUInt32BE(stsc + 8); i++) rows.push([0, 4, 8].map((k) => head.header.readUInt32BE(stsc + 12 + i * 12 + k)));
  assert.deepEqual(rows, [
    [1, 2, 1],
    [3, 3, 2],
    [5, 2, 1],
  ]);
  const stss = head.header.indexOf('stss');
  assert.equal(head.header.readUInt32BE(stss + 8), 5, 'one sync sample per chunk');
});

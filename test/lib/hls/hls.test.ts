import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import type { Frame, TrackParams, VideoFrame } from '../../../src/lib/av/frame.js';
import { initSegment, mediaSegment } from '../../../src/lib/fmp4/index.js';
import { HlsError, livePlaylist, mediaPlaylist, multivariantPlaylist, Segmenter, withQuery, type CutSegment, type HlsSegment } from '../../../src/lib/hls/index.js';
import { aacClip, ffprobeJsonAsync, interleave, tempDir, videoClip } from '../../fixtures/mux/media.js';

const segs = (n: number, dur = 2): HlsSegment[] => Array.from({ length: n }, (_, i) => ({ seq: i, duration: dur, uri: `seg${i}.m4s` }));

test('live playlist: header, sliding window, 3-decimal EXTINF, token on every URI', () => {
  const list = segs(8).map((s, i) => ({ ...s, duration: 2 + i / 1000 + 0.0004 }));
  const text = mediaPlaylist(list, { map: 'init.mp4', window: 5, targetDuration: 2, query: 'token=a%2Bb' });
  assert.equal(
    text,
    [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-TARGETDURATION:2',
      '#EXT-X-MEDIA-SEQUENCE:3',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-MAP:URI="init.mp4?token=a%2Bb"',
      '#EXTINF:2.003,',
      'seg3.m4s?token=a%2Bb',
      '#EXTINF:2.004,',
      'seg4.m4s?token=a%2Bb',
      '#EXTINF:2.005,',
      'seg5.m4s?token=a%2Bb',
      '#EXTINF:2.006,',
      'seg6.m4s?token=a%2Bb',
      '#EXTINF:2.007,',
      'seg7.m4s?token=a%2Bb',
      '',
    ].join('\n'),
  );
  assert.ok(!text.includes('ENDLIST'));
});

test('playlist: target duration covers the longest rounded segment; ENDLIST, PDT, discontinuity, map change', () => {
  const list: HlsSegment[] = [
    { seq: 10, duration: 2, uri: 'a/10.m4s?x=1', programDateTime: Date.UTC(2024, 0, 2, 3, 4, 5, 678) },
    { seq: 11, duration: 3.6, uri: 'a/11.m4s', programDateTime: new Date(Date.UTC(2024, 0, 2, 3, 4, 7, 678)) },
    { seq: 12, duration: 1, uri: 'a/12.m4s', discontinuity: true, map: 'init2.mp4' },
  ];
  const text = mediaPlaylist(list, { map: 'init.mp4', targetDuration: 2, ended: true, query: '?token=t' });
  const lines = text.trim().split('\n');
  assert.ok(lines.includes('#EXT-X-TARGETDURATION:4'));
  assert.ok(lines.includes('#EXT-X-MEDIA-SEQUENCE:10'));
  assert.ok(lines.includes('#EXT-X-PROGRAM-DATE-TIME:2024-01-02T03:04:05.678Z'));
  assert.ok(lines.includes('#EXT-X-PROGRAM-DATE-TIME:2024-01-02T03:04:07.678Z'));
  assert.ok(lines.includes('a/10.m4s?x=1&token=t'));
  assert.ok(lines.includes('#EXTINF:3.600,'));
  const d = lines.indexOf('#EXT-X-DISCONTINUITY');
  assert.deepEqual(lines.slice(d, d + 4), ['#EXT-X-DISCONTINUITY', '#EXT-X-MAP:URI="init2.mp4?token=t"', '#EXTINF:1.000,', 'a/12.m4s?token=t']);
  assert.equal(lines.at(-1), '#EXT-X-ENDLIST');
  assert.equal(lines.filter((l) => l.startsWith('#EXT-X-MAP')).length, 2);
  // 2.4 s rounds to 2: stays within a 2 s target (RFC 8216 §4.3.3.1)
  assert.ok(mediaPlaylist(segs(1, 2.4), { map: 'i.mp4', targetDuration: 2 }).includes('#EXT-X-TARGETDURATION:2\n'));
  assert.ok(mediaPlaylist([], { map: 'i.mp4' }).includes('#EXT-X-MEDIA-SEQUENCE:0'));
  assert.throws(() => mediaPlaylist([{ seq: 0, duration: 1, uri: 'x\n#EXT-X-ENDLIST' }], { map: 'i.mp4' }), HlsError);
  assert.throws(() => mediaPlaylist(segs(1), { map: 'i"nit.mp4' }), HlsError);
  assert.equal(livePlaylist({ segments: list, mapUri: 'init.mp4', targetDuration: 2, ended: true, query: '?token=t' }), text);
  assert.equal(withQuery('a.m4s#t=1', 'k=v'), 'a.m4s?k=v#t=1');
  assert.equal(withQuery('a.m4s', ''), 'a.m4s');
  assert.equal(
    multivariantPlaylist([{ uri: 'live.m3u8', bandwidth: 2e6, codecs: ['avc1.64001e', 'mp4a.40.2'], width: 640, height: 360, frameRate: 25 }], 'token=t'),
    '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-STREAM-INF:BANDWIDTH=2000000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=25.000\nlive.m3u8?token=t\n',
  );
});

function vf(dts: number, key: boolean): VideoFrame {
  return { track: 'video', codec: 'h264', pts: dts, dts, key, units: [Buffer.from([key ? 0x65 : 0x41])] };
}

test('segmenter: cuts at the first key frame after the target, drops what precedes the first key frame', () => {
  const s = new Segmenter({ targetDuration: 2, firstSeq: 5 });
  const out: CutSegment[] = [];
  const audio: Frame = { track: 'audio', codec: 'aac', pts: 0, dts: 0, key: true, units: [Buffer.alloc(1)] };
  assert.equal(s.push(audio), undefined);
  assert.equal(s.push(vf(0, false)), undefined);
  // GOP of 1.5 s (37.5 frames at 25 fps → key every 13500 ticks): cut at 3 s, 6 s, …
  for (let i = 1; i <= 200; i++) {
    const r = s.push(vf(i * 3600, i % 37 === 1));
    if (r) out.push(r);
  }
  assert.equal(s.pendingDuration > 0, true);
  const last = s.flush();
  assert.ok(last);
  out.push(last);
  assert.equal(s.flush(), undefined);
  assert.deepEqual(
    out.map((x) => [x.seq, x.frames.length, x.duration, (x.frames[0] as VideoFrame).key]),
    [
      [5, 74, 2.96, true],
      [6, 74, 2.96, true],
      [7, 52, 2.08, true],
    ],
  );
  assert.equal(out[0].startDts, 3600);
  assert.equal(out[0].endDts, out[1].startDts);
  assert.equal(out[0].nextVideoDts, out[1].startDts);
  assert.equal(s.nextSeq, 8);
  // audio-only: cut on any audio frame once the target is reached
  const a = new Segmenter({ video: false, targetDuration: 1 });
  let cuts = 0;
  for (let i = 0; i < 100; i++) if (a.push({ ...audio, dts: i * 1920, pts: i * 1920 })) cuts++;
  assert.equal(cuts, Math.floor((99 * 1920) / 90000));
  // auto: audio before the first video frame is dropped once video shows up…
  const auto = new Segmenter();
  for (let i = 0; i < 10; i++) assert.equal(auto.push({ ...audio, dts: i * 1920, pts: i * 1920 }), undefined);
  assert.equal(auto.push(vf(20_000, false)), undefined);
  assert.equal(auto.pendingDuration, 0);
  for (let i = 0; i < 100; i++) auto.push(vf(30_000 + i * 3600, i % 25 === 0));
  const first = auto.flush()!;
  assert.equal((first.frames[0] as VideoFrame).dts, 30_000 + 50 * 3600, 'segments start at key frames');
  // …and an audio-only stream is cut on audio after a target duration without video
  const auto2 = new Segmenter({ targetDuration: 1 });
  let audioCuts = 0;
  for (let i = 0; i < 100; i++) {
    const c = auto2.push({ ...audio, dts: i * 1920, pts: i * 1920 });
    if (c) {
      audioCuts++;
      assert.equal(c.nextVideoDts, undefined);
    }
  }
  assert.equal(audioCuts, 2);
});

/** frames → Segmenter → init + segments on disk; returns the segment list and the frame counts. */
function writeHls(dirPath: string, params: TrackParams, frames: Frame[], target = 2): HlsSegment[] {
  writeFileSync(path.join(dirPath, 'init.mp4'), initSegment(params));
  const seg = new Segmenter({ targetDuration: target });
  const list: HlsSegment[] = [];
  const emit = (c: CutSegment): void => {
    writeFileSync(path.join(dirPath, `seg${c.seq}.m4s`), mediaSegment(c.frames, c.seq + 1, params, { nextVideoDts: c.endDts }));
    list.push({ seq: c.seq, duration: c.duration, uri: `seg${c.seq}.m4s` });
  };
  for (const f of frames) {
    const c = seg.push(f);
    if (c) emit(c);
  }
  const c = seg.flush();
  if (c) emit(c);
  return list;
}

test('HLS chain H.264 + AAC over HTTP with ?token= on every URI: ffprobe reads h264 640x360 25 fps and every frame', async () => {
  const dir = tempDir('hls-avc');
  const v = videoClip('h264', { seconds: 6 });
  const a = aacClip(6);
  const params: TrackParams = { video: v.params, audio: a.params };
  const list = writeHls(dir, params, interleave<Frame>(v.frames, a.frames));
  assert.equal(list.length, 3);
  assert.deepEqual(
    list.map((s) => s.duration),
    [2, 2, 2],
  );
  writeFileSync(path.join(dir, 'live.m3u8'), mediaPlaylist(list, { map: 'init.mp4', targetDuration: 2, ended: true, query: 'token=s3cret' }));

  const seen: string[] = [];
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    seen.push(u.pathname);
    const file = path.join(dir, path.basename(u.pathname));
    if (u.searchParams.get('token') !== 's3cret') {
      res.writeHead(403).end();
      return;
    }
    if (!existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp4' }).end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    const out = await ffprobeJsonAsync(['-count_frames', '-count_packets', '-show_entries', 'stream=codec_type,codec_name,width,height,r_frame_rate,nb_read_frames,nb_read_packets,sample_rate', `http://127.0.0.1:${port}/live.m3u8?token=s3cret`]);
    const vs = out.streams.find((s: { codec_type: string }) => s.codec_type === 'video');
    const as = out.streams.find((s: { codec_type: string }) => s.codec_type === 'audio');
    assert.equal(vs.codec_name, 'h264');
    assert.equal(vs.width, 640);
    assert.equal(vs.height, 360);
    assert.equal(vs.r_frame_rate, '25/1');
    assert.equal(Number(vs.nb_read_frames), v.frames.length);
    assert.equal(as.codec_name, 'aac');
    assert.equal(Number(as.nb_read_packets), a.frames.length);
  } finally {
    server.close();
  }
  for (const f of ['/live.m3u8', '/init.mp4', '/seg0.m4s', '/seg1.m4s', '/seg2.m4s']) assert.ok(seen.includes(f), `${f} was fetched with the token`);
});

test('HLS chain H.265 (hvc1) from files: ffprobe reads hevc 640x360 25 fps and every frame', async () => {
  const dir = tempDir('hls-hevc');
  const v = videoClip('h265', { bframes: 3 });
  const list = writeHls(dir, { video: v.params }, v.frames);
  assert.equal(list.length, 2);
  const playlist = path.join(dir, 'live.m3u8');
  writeFileSync(playlist, mediaPlaylist(list, { map: 'init.mp4', targetDuration: 2, ended: true }));
  const out = await ffprobeJsonAsync(['-count_frames', '-show_entries', 'stream=codec_name,codec_tag_string,width,height,r_frame_rate,nb_read_frames', `file:${playlist}`]);
  const [vs] = out.streams;
  assert.equal(vs.codec_name, 'hevc');
  assert.equal(vs.width, 640);
  assert.equal(vs.height, 360);
  assert.equal(vs.r_frame_rate, '25/1');
  assert.equal(Number(vs.nb_read_frames), v.frames.length);
});

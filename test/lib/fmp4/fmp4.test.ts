import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Frame, TrackParams, VideoFrame } from '../../../src/lib/av/frame.js';
import { Fmp4Error, initSegment, mediaSegment } from '../../../src/lib/fmp4/index.js';
import { avcDecoderConfigurationRecord } from '../../../src/lib/h264/index.js';
import { hevcDecoderConfigurationRecord, parseHevcDecoderConfigurationRecord } from '../../../src/lib/h265/index.js';
import { aacClip, BASE, ffprobeJson, interleave, tempDir, videoClip } from '../../fixtures/mux/media.js';

const dir = tempDir('fmp4-test');

interface Box {
  type: string;
  start: number;
  size: number;
  body: Buffer;
}

/** The boxes of one level (14496-12 §4.2). */
function boxes(b: Buffer, base = 0): Box[] {
  const out: Box[] = [];
  let o = 0;
  while (o < b.length) {
    const size = b.readUInt32BE(o);
    assert.ok(size >= 8 && o + size <= b.length, `box size ${size} at ${o}`);
    out.push({ type: b.toString('latin1', o + 4, o + 8), start: base + o, size, body: b.subarray(o + 8, o + size) });
    o += size;
  }
  return out;
}

function child(b: Box | Buffer, ...path: string[]): Box {
  let cur: Box | undefined = Buffer.isBuffer(b) ? { type: '', start: 0, size: b.length, body: b } : b;
  for (const t of path) {
    cur = boxes(cur!.body, cur!.start + 8).find((x) => x.type === t);
    assert.ok(cur, `no ${t} box`);
  }
  return cur!;
}

/** Cuts frames into GOP-aligned segments (every key frame) and muxes init + segments. */
function muxFile(params: TrackParams, frames: Frame[]): { file: Buffer; segments: Buffer[] } {
  const segments: Buffer[] = [];
  let cur: Frame[] = [];
  let seq = 1;
  for (const f of frames) {
    if (f.track === 'video' && f.key && cur.some((x) => x.track === 'video')) {
      segments.push(mediaSegment(cur, seq++, params, { nextVideoDts: f.dts }));
      cur = [];
    }
    cur.push(f);
  }
  segments.push(mediaSegment(cur, seq++, params));
  return { file: Buffer.concat([initSegment(params), ...segments]), segments };
}

function probe(file: string): any[] {
  return ffprobeJson(['-count_frames', '-count_packets', '-show_entries', 'stream=codec_type,codec_name,codec_tag_string,width,height,nb_read_frames,nb_read_packets,r_frame_rate,sample_rate,channels', file]).streams;
}

/** The sample entry (avc1 / hvc1 / mp4a) of a trak. */
function sampleEntry(trak: Box): Box {
  const stsd = child(trak, 'mdia', 'minf', 'stbl', 'stsd');
  return boxes(stsd.body.subarray(8), stsd.start + 16)[0];
}

test('init segments carry avcC / hvcC with the stream parameter sets, and the VisualSampleEntry size', () => {
  const h = videoClip('h264');
  const avc1 = sampleEntry(child(initSegment({ video: h.params }), 'moov', 'trak'));
  assert.equal(avc1.type, 'avc1');
  assert.equal(avc1.body.readUInt16BE(24), 640);
  assert.equal(avc1.body.readUInt16BE(26), 360);
  const avcC = boxes(avc1.body.subarray(78), avc1.start + 86).find((b) => b.type === 'avcC')!;
  assert.ok(avcC.body.equals(avcDecoderConfigurationRecord(h.params.sps!, h.params.pps!)));

  const v = videoClip('h265');
  const hvc1 = sampleEntry(child(initSegment({ video: v.params }, { pixelAspect: [1, 1] }), 'moov', 'trak'));
  assert.equal(hvc1.type, 'hvc1');
  const inner = boxes(hvc1.body.subarray(78), hvc1.start + 86);
  assert.deepEqual(
    inner.map((b) => b.type),
    ['hvcC', 'pasp'],
  );
  assert.ok(inner[0].body.equals(hevcDecoderConfigurationRecord(v.params.vps!, v.params.sps!, v.params.pps!)));
  const p = parseHevcDecoderConfigurationRecord(inner[0].body);
  assert.ok(p.vps[0].equals(v.params.vps!) && p.sps[0].equals(v.params.sps!) && p.pps[0].equals(v.params.pps!));
});

test('H.264 + AAC init + GOP segments: ffprobe reads avc1 640x360 25 fps, every frame, and the AAC track', () => {
  const v = videoClip('h264');
  const a = aacClip();
  const params: TrackParams = { video: v.params, audio: a.params };
  const { file: mp4, segments } = muxFile(params, interleave<Frame>(v.frames, a.frames));
  assert.equal(segments.length, 4);
  const file = path.join(dir, 'avc-aac.mp4');
  writeFileSync(file, mp4);
  const [vs, as] = probe(file);
  assert.equal(vs.codec_name, 'h264');
  assert.equal(vs.codec_tag_string, 'avc1');
  assert.equal(vs.width, 640);
  assert.equal(vs.height, 360);
  assert.equal(vs.r_frame_rate, '25/1');
  assert.equal(Number(vs.nb_read_frames), v.frames.length);
  assert.equal(as.codec_name, 'aac');
  assert.equal(Number(as.sample_rate), 44100);
  assert.equal(Number(as.channels), 1);
  assert.equal(Number(as.nb_read_packets), a.frames.length);
});

test('segment layout: mfhd sequence, tfdt, trun data offsets into mdat, sync flags, durations', () => {
  const v = videoClip('h264');
  const a = aacClip();
  const params: TrackParams = { video: v.params, audio: a.params };
  const frames = interleave<Frame>(v.frames.slice(0, 25), a.frames.filter((f) => f.dts < v.frames[25].dts));
  const seg = mediaSegment(frames, 7, params, { nextVideoDts: v.frames[25].dts, origin: BASE });
  const [moof, mdat] = boxes(seg);
  assert.equal(moof.type, 'moof');
  assert.equal(mdat.type, 'mdat');
  assert.equal(child(moof, 'mfhd').body.readUInt32BE(4), 7);
  const trafs = boxes(moof.body, moof.start + 8).filter((b) => b.type === 'traf');
  assert.equal(trafs.length, 2);
  const expect = [
    { id: 1, count: 25, base: 0 },
    { id: 2, count: frames.length - 25, base: 0 },
  ];
  trafs.forEach((traf, t) => {
    const tfhd = child(traf, 'tfhd').body;
    assert.equal(tfhd.readUInt32BE(0), 0x00020000, 'default-base-is-moof');
    assert.equal(tfhd.readUInt32BE(4), expect[t].id);
    const tfdt = child(traf, 'tfdt').body;
    assert.equal(tfdt[0], 1);
    assert.equal(Number(tfdt.readBigUInt64BE(4)), expect[t].base);
    const trun = child(traf, 'trun').body;
    assert.equal(trun.readUInt32BE(0), 0x01000f01);
    const n = trun.readUInt32BE(4);
    assert.equal(n, expect[t].count);
    const off = trun.readInt32BE(8);
    let pos = moof.start + off;
    for (let i = 0; i < n; i++) {
      const [dur, size, flags, cto] = [0, 4, 8, 12].map((k) => trun.readUInt32BE(12 + i * 16 + k));
      assert.ok(pos >= mdat.start + 8 && pos + size <= mdat.start + mdat.size, 'sample inside mdat');
      if (t === 0) {
        assert.equal(dur, 3600);
        assert.equal(flags, i === 0 ? 0x02000000 : 0x01010000);
        assert.equal(cto, 0);
        // the sample is the frame's NAL units minus SPS/PPS, 4-byte length prefixed
        const want = v.frames[i].units.filter((u) => ![7, 8, 9].includes(u[0] & 0x1f));
        let p = pos;
        for (const u of want) {
          assert.equal(seg.readUInt32BE(p), u.length);
          assert.ok(seg.subarray(p + 4, p + 4 + u.length).equals(u));
          p += 4 + u.length;
        }
        assert.equal(p - pos, size);
      } else {
        assert.equal(dur, 1024);
        assert.ok(seg.subarray(pos, pos + size).equals(a.frames[i].units[0]));
      }
      pos += size;
    }
  });
});

test('H.264 with B-frames: signed composition offsets give ffprobe the frames’ pts', () => {
  const v = videoClip('h264', { bframes: 2 });
  const { file: mp4 } = muxFile({ video: v.params }, v.frames);
  const file = path.join(dir, 'avc-b.mp4');
  writeFileSync(file, mp4);
  const [vs] = probe(file);
  assert.equal(Number(vs.nb_read_frames), v.frames.length);
  const pk = ffprobeJson(['-show_entries', 'packet=pts,dts', file]).packets as { pts: number; dts: number }[];
  assert.equal(pk.length, v.frames.length);
  pk.forEach((p, i) => {
    assert.equal(p.dts, v.frames[i].dts, `dts ${i}`);
    assert.equal(p.pts, v.frames[i].pts, `pts ${i}`);
  });
});

test('H.265: hvc1 + hvcC segments; ffprobe reads hevc 640x360 25 fps with every frame', () => {
  const v = videoClip('h265', { bframes: 3 });
  const { file: mp4 } = muxFile({ video: v.params }, v.frames);
  const file = path.join(dir, 'hevc.mp4');
  writeFileSync(file, mp4);
  const [vs] = probe(file);
  assert.equal(vs.codec_name, 'hevc');
  assert.equal(vs.codec_tag_string, 'hvc1');
  assert.equal(vs.width, 640);
  assert.equal(vs.height, 360);
  assert.equal(vs.r_frame_rate, '25/1');
  assert.equal(Number(vs.nb_read_frames), v.frames.length);
});

test('init segment: ftyp brands, track ids, timescales; styp option; codecs it cannot carry', () => {
  const v = videoClip('h264');
  const init = initSegment({ video: v.params, audio: { codec: 'aac', sampleRate: 48000, channels: 2 } });
  const [ftyp, moov] = boxes(init);
  assert.equal(ftyp.type, 'ftyp');
  assert.equal(ftyp.body.toString('latin1', 0, 4), 'iso6');
  assert.equal(moov.type, 'moov');
  const traks = boxes(moov.body, moov.start + 8).filter((b) => b.type === 'trak');
  assert.deepEqual(
    traks.map((t) => child(t, 'tkhd').body.readUInt32BE(12)),
    [1, 2],
  );
  assert.deepEqual(
    traks.map((t) => child(t, 'mdia', 'mdhd').body.readUInt32BE(12)),
    [90000, 48000],
  );
  const mp4a = sampleEntry(traks[1]);
  assert.equal(mp4a.type, 'mp4a');
  assert.ok(mp4a.body.includes(Buffer.from([0x05, 0x02, 0x11, 0x90])), 'DecoderSpecificInfo with a 48 kHz stereo ASC');
  assert.equal(boxes(child(moov, 'mvex').body).length, 2);

  const seg = mediaSegment(v.frames.slice(0, 2), 1, { video: v.params }, { styp: true });
  assert.deepEqual(
    boxes(seg).map((b) => b.type),
    ['styp', 'moof', 'mdat'],
  );
  // G.711 and MPEG-4 Part 2 are not carried: a video-only init, and an error when nothing is left
  assert.equal(boxes(child(initSegment({ video: v.params, audio: { codec: 'g711a', sampleRate: 8000, channels: 1 } }), 'moov').body).filter((b) => b.type === 'trak').length, 1);
  assert.throws(() => initSegment({ video: { codec: 'mpeg4', width: 640, height: 360, fps: 25 } }), Fmp4Error);
  const f: VideoFrame = { ...v.frames[0], codec: 'mpeg4' };
  assert.throws(() => mediaSegment([f], 1, { video: v.params }), Fmp4Error);
});

test('last sample duration: next dts, else the default, else 90000/fps; audio tfdt in its own timescale', () => {
  const v = videoClip('h264');
  const params: TrackParams = { video: { ...v.params, fps: 0 } };
  const lastDur = (seg: Buffer): number => {
    const trun = child(child(seg, 'moof'), 'traf', 'trun').body;
    const n = trun.readUInt32BE(4);
    return trun.readUInt32BE(12 + (n - 1) * 16);
  };
  assert.equal(lastDur(mediaSegment(v.frames.slice(0, 3), 1, params, { nextVideoDts: v.frames[2].dts + 3000 })), 3000);
  assert.equal(lastDur(mediaSegment(v.frames.slice(0, 3), 1, params, { defaultVideoDuration: 3003 })), 3003);
  assert.equal(lastDur(mediaSegment(v.frames.slice(0, 3), 1, { video: v.params })), 3600);
  assert.equal(lastDur(mediaSegment(v.frames.slice(0, 3), 1, params)), 3600, 'the previous interval');

  const a = aacClip();
  const seg = mediaSegment(a.frames.slice(10, 12), 1, { audio: a.params }, { origin: BASE });
  const tfdt = child(child(seg, 'moof'), 'traf', 'tfdt').body;
  assert.equal(Number(tfdt.readBigUInt64BE(4)), 10 * 1024);
});

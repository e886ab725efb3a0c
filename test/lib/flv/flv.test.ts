import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Frame, TrackParams, VideoFrame } from '../../../src/lib/av/frame.js';
import {
  Amf0EcmaArray,
  decodeAmf0,
  encodeAmf0,
  FlvMuxer,
  FlvParseError,
  FlvReader,
  parseAudioTag,
  parseFlv,
  parseScriptTag,
  parseVideoTag,
  splitLengthPrefixed,
  TAG_AUDIO,
  TAG_SCRIPT,
  TAG_VIDEO,
  type FlvTag,
} from '../../../src/lib/flv/index.js';
import { parseAvcDecoderConfigurationRecord } from '../../../src/lib/h264/index.js';
import { parseHevcDecoderConfigurationRecord } from '../../../src/lib/h265/index.js';
import { aacClip, alawClip, BASE, ffprobeJson, interleave, tempDir, toAnnexB, videoClip } from '../../fixtures/mux/media.js';

const dir = tempDir('flv-test');

function muxAll(m: FlvMuxer, params: TrackParams, frames: Frame[]): Buffer {
  const parts = [m.header(params)];
  for (const f of frames) {
    const t = m.tag(f);
    if (t) parts.push(t);
  }
  return Buffer.concat(parts);
}

function probe(file: string): any[] {
  return ffprobeJson(['-count_frames', '-count_packets', '-show_entries', 'stream=codec_type,codec_name,width,height,nb_read_frames,nb_read_packets,r_frame_rate,sample_rate,channels,start_time', file]).streams;
}

/** Checks the FLV framing itself: every PreviousTagSize equals 11 + DataSize of the tag before it (§E.3). */
function checkFraming(b: Buffer): void {
  let o = 9;
  assert.equal(b.readUInt32BE(o), 0, 'PreviousTagSize0');
  o += 4;
  while (o < b.length) {
    const size = b.readUIntBE(o + 1, 3);
    assert.equal(b.readUIntBE(o + 8, 3), 0, 'StreamID');
    assert.equal(b.readUInt32BE(o + 11 + size), 11 + size, `PreviousTagSize after the tag at ${o}`);
    o += 11 + size + 4;
  }
  assert.equal(o, b.length);
}

test('AMF0 round trip of onMetaData-style values', () => {
  const ecma = new Amf0EcmaArray({ width: 640, height: 360, stereo: true, encoder: 'sharpeye', nested: { a: [1, 'x', null] } });
  const b = encodeAmf0('onMetaData', ecma);
  assert.equal(b[0], 2); // string marker
  assert.equal(b[13], 8); // ECMA array marker after "onMetaData"
  assert.equal(b.readUInt32BE(14), 5);
  assert.deepEqual(decodeAmf0(b), ['onMetaData', { width: 640, height: 360, stereo: true, encoder: 'sharpeye', nested: { a: [1, 'x', null] } }]);
  const proto = decodeAmf0(encodeAmf0({ ['__proto__']: 1 } as never));
  assert.equal(Object.getPrototypeOf(proto[0]), Object.prototype);
  assert.throws(() => decodeAmf0(Buffer.from([0, 1, 2])), /truncated/);
});

test('H.264 + AAC: ffprobe reads h264 640x360 25 fps and every frame; the stream re-parses in 7-byte chunks', () => {
  const v = videoClip('h264');
  const a = aacClip();
  const params: TrackParams = { video: v.params, audio: a.params };
  const flv = muxAll(new FlvMuxer(), params, interleave<Frame>(v.frames, a.frames));
  checkFraming(flv);
  const file = path.join(dir, 'avc-aac.flv');
  writeFileSync(file, flv);
  const [vs, as] = probe(file);
  assert.equal(vs.codec_name, 'h264');
  assert.equal(vs.width, 640);
  assert.equal(vs.height, 360);
  assert.equal(vs.r_frame_rate, '25/1');
  assert.equal(Number(vs.nb_read_frames), v.frames.length);
  assert.equal(as.codec_name, 'aac');
  assert.equal(Number(as.sample_rate), 44100);
  assert.equal(Number(as.nb_read_packets), a.frames.length);

  const r = new FlvReader();
  const tags: FlvTag[] = [];
  let header = 0;
  for (let o = 0; o < flv.length; o += 7)
    for (const e of r.push(flv.subarray(o, o + 7))) {
      if (e.kind === 'header') {
        header++;
        assert.deepEqual(e.header, { version: 1, hasAudio: true, hasVideo: true });
      } else tags.push(e.tag);
    }
  assert.equal(header, 1);
  assert.equal(r.pending, 0);
  assert.equal(tags[0].type, TAG_SCRIPT);
  const meta = parseScriptTag(tags[0].data);
  assert.equal(meta.name, 'onMetaData');
  assert.deepEqual(meta.value, { duration: 0, width: 640, height: 360, framerate: 25, videocodecid: 7, audiocodecid: 10, audiosamplerate: 44100, audiosamplesize: 16, stereo: false, encoder: 'sharpeye' });
  const seq = parseVideoTag(tags[1].data);
  assert.equal(seq.packet, 'config');
  const avcc = parseAvcDecoderConfigurationRecord(seq.data);
  assert.ok(avcc.sps[0].equals(v.params.sps!));
  assert.ok(avcc.pps[0].equals(v.params.pps!));
  const aseq = parseAudioTag(tags[2].data);
  assert.equal(aseq.packet, 'config');
  assert.ok(aseq.data.equals(a.params.config!));
  const videoTags = tags.filter((t) => t.type === TAG_VIDEO).slice(1);
  assert.equal(videoTags.length, v.frames.length);
  videoTags.forEach((t, i) => {
    const p = parseVideoTag(t.data);
    assert.equal(t.timestamp, i * 40);
    assert.equal(p.key, v.frames[i].key);
    assert.equal(p.packet, 'frames');
    // SPS/PPS/AUD stay in the sequence header; the SEI and slices are carried
    const types = splitLengthPrefixed(p.data).map((n) => n[0] & 0x1f);
    assert.ok(!types.includes(7) && !types.includes(8));
    assert.equal(types.length, v.frames[i].units.filter((u) => ![7, 8, 9].includes(u[0] & 0x1f)).length);
  });
  assert.equal(tags.filter((t) => t.type === TAG_AUDIO).length, a.frames.length + 1);
});

test('H.264 with B-frames: composition time gives ffprobe the right pts, dts increase', () => {
  const v = videoClip('h264', { bframes: 2 });
  assert.ok(v.frames.some((f) => f.pts !== f.dts), 'the clip has reordered frames');
  const m = new FlvMuxer();
  const flv = muxAll(m, { video: v.params }, v.frames);
  const file = path.join(dir, 'avc-b.flv');
  writeFileSync(file, flv);
  const [vs] = probe(file);
  assert.equal(Number(vs.nb_read_frames), v.frames.length);
  const pk = ffprobeJson(['-show_entries', 'packet=pts,dts', file]).packets as { pts: number; dts: number }[];
  assert.equal(pk.length, v.frames.length);
  const origin = v.frames[0].dts;
  pk.forEach((p, i) => {
    assert.equal(p.dts, Math.floor((v.frames[i].dts - origin) / 90), `dts of frame ${i}`);
    assert.equal(p.pts, Math.floor((v.frames[i].pts - origin) / 90), `pts of frame ${i}`);
  });
  assert.equal(m.origin, origin);
});

test('shared tags: one Buffer per frame for every reader; a late reader starts at a key frame with its own header', () => {
  const v = videoClip('h264');
  const m = new FlvMuxer();
  const params: TrackParams = { video: v.params };
  const first = m.tag(v.frames[0])!;
  assert.equal(m.tag(v.frames[0]), first, 'the same Buffer, not a copy');
  for (const f of v.frames.slice(1, 50)) m.tag(f);
  // a viewer joining at the key frame of the 3rd GOP: header stamped at that frame, then the shared tags
  const k = v.frames.findIndex((f, i) => i >= 50 && f.key);
  assert.equal(k, 50);
  const late = Buffer.concat([m.header(params, m.timestamp(v.frames[k].dts)), ...v.frames.slice(k).map((f) => m.tag(f)!)]);
  checkFraming(late);
  const file = path.join(dir, 'late.flv');
  writeFileSync(file, late);
  const streams = probe(file);
  assert.equal(streams.length, 1, 'no data stream from the header tags');
  const [vs] = streams;
  assert.equal(Number(vs.nb_read_frames), v.frames.length - k);
  assert.equal(Number(vs.start_time), 2);
  assert.equal(vs.width, 640);
  // the default stamp of header() is the last key frame muxed (frame 75 now): where a GOP-cache replay starts
  const parsed = parseFlv(Buffer.concat([m.header(params), m.tag(v.frames[75])!]));
  assert.deepEqual(
    parsed.tags.map((t) => t.timestamp),
    [0, 3000, 3000],
  );
});

test('H.265 as Enhanced RTMP (hvc1): SequenceStart + CodedFrames/CodedFramesX parse back to an Annex-B stream ffprobe decodes', () => {
  const v = videoClip('h265', { bframes: 3 });
  const flv = muxAll(new FlvMuxer(), { video: v.params }, v.frames);
  checkFraming(flv);
  const { header, tags } = parseFlv(flv);
  assert.deepEqual(header, { version: 1, hasAudio: false, hasVideo: true });
  assert.equal((parseScriptTag(tags[0].data).value as Record<string, unknown>).videocodecid, 0x68766331); // FourCC 'hvc1'
  const seqTag = tags[1];
  assert.equal(seqTag.data[0], 0x90); // IsExHeader | FrameType 1 | PacketType 0 SequenceStart
  assert.equal(seqTag.data.toString('latin1', 1, 5), 'hvc1');
  const seq = parseVideoTag(seqTag.data);
  assert.equal(seq.packet, 'config');
  const hvcc = parseHevcDecoderConfigurationRecord(seq.data);
  assert.ok(hvcc.vps[0].equals(v.params.vps!) && hvcc.sps[0].equals(v.params.sps!) && hvcc.pps[0].equals(v.params.pps!));
  assert.equal(hvcc.lengthSize, 4);
  const nals: Buffer[] = [...hvcc.vps, ...hvcc.sps, ...hvcc.pps];
  const frameTags = tags.slice(2);
  assert.equal(frameTags.length, v.frames.length);
  const origin = v.frames[0].dts;
  let codedX = 0;
  frameTags.forEach((t, i) => {
    const p = parseVideoTag(t.data);
    assert.equal(p.codec, 'hevc');
    assert.equal(p.enhanced, true);
    assert.equal(p.key, v.frames[i].key);
    const pt = t.data[0] & 0x0f;
    if (pt === 3) codedX++;
    assert.equal(pt, p.cts === 0 ? 3 : 1, 'CodedFramesX exactly when cts = 0');
    assert.equal(t.timestamp, Math.floor((v.frames[i].dts - origin) / 90));
    assert.equal(t.timestamp + p.cts, Math.floor((v.frames[i].pts - origin) / 90));
    nals.push(...splitLengthPrefixed(p.data));
  });
  assert.ok(codedX > 0 && codedX < frameTags.length, 'both packet types occur');
  const file = path.join(dir, 'hevc-from-flv.h265');
  writeFileSync(file, toAnnexB(nals));
  const [vs] = probe(file);
  assert.equal(vs.codec_name, 'hevc');
  assert.equal(vs.width, 640);
  assert.equal(vs.height, 360);
  assert.equal(Number(vs.nb_read_frames), v.frames.length);
});

test('G.711 A-law audio tags: ffprobe reads pcm_alaw 8 kHz with every packet', () => {
  const g = alawClip();
  const v = videoClip('h264');
  const flv = muxAll(new FlvMuxer(), { video: v.params, audio: g.params }, interleave<Frame>(v.frames, g.frames));
  const file = path.join(dir, 'alaw.flv');
  writeFileSync(file, flv);
  const streams = probe(file);
  const as = streams.find((s) => s.codec_type === 'audio');
  assert.equal(as.codec_name, 'pcm_alaw');
  assert.equal(Number(as.sample_rate), 8000);
  assert.equal(Number(as.nb_read_packets), g.frames.length);
  const vs = streams.find((s) => s.codec_type === 'video');
  assert.equal(Number(vs.nb_read_frames), v.frames.length);
  const audio = parseFlv(flv).tags.filter((t) => t.type === TAG_AUDIO);
  assert.equal(audio.length, g.frames.length, 'no sequence header for G.711');
  assert.deepEqual(parseAudioTag(audio[0].data), { soundFormat: 7, soundRate: 0, sampleBits: 16, stereo: false, packet: 'raw', data: g.frames[0].units[0] });
  // a muxer for browser players leaves G.711 out
  const browser = new FlvMuxer({ g711: false });
  const b = parseFlv(muxAll(browser, { video: v.params, audio: g.params }, interleave<Frame>(v.frames, g.frames)));
  assert.deepEqual(b.header, { version: 1, hasAudio: false, hasVideo: true });
  assert.equal(b.tags.filter((t) => t.type === TAG_AUDIO).length, 0);
  assert.equal((parseScriptTag(b.tags[0].data).value as Record<string, unknown>).audiocodecid, undefined);
});

test('codecs FLV cannot carry are skipped; several AAC frames in one AudioFrame become several tags', () => {
  const m = new FlvMuxer({ origin: 0 });
  const mp4v: VideoFrame = { track: 'video', codec: 'mpeg4', pts: 0, dts: 0, key: true, units: [Buffer.from([0, 0, 1, 0xb6])] };
  assert.equal(m.tag(mp4v), undefined);
  assert.equal(m.tag({ ...mp4v, codec: 'svac' }), undefined);
  m.header({ audio: { codec: 'aac', sampleRate: 48000, channels: 2 } });
  const two = m.tag({ track: 'audio', codec: 'aac', pts: 90_000, dts: 90_000, key: true, units: [Buffer.from([1, 2]), Buffer.from([3])] })!;
  const { tags } = parseFlv(Buffer.concat([Buffer.from('FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00', 'latin1'), two]));
  assert.deepEqual(
    tags.map((t) => [t.timestamp, [...t.data]]),
    [
      [1000, [0xaf, 1, 1, 2]],
      [1021, [0xaf, 1, 3]], // + 1024 samples at 48 kHz = 21.33 ms
    ],
  );
});

test('timestamps past 24 bits use TimestampExtended; 2^32 ms wraps', () => {
  const m = new FlvMuxer({ origin: BASE });
  const ms = 0x12345678;
  const f: VideoFrame = { track: 'video', codec: 'h264', pts: BASE + ms * 90, dts: BASE + ms * 90, key: false, units: [Buffer.from([0x41, 0x9a, 0x00])] };
  const t = m.tag(f)!;
  assert.equal(t.readUIntBE(4, 3), 0x345678);
  assert.equal(t[7], 0x12);
  const { tags } = parseFlv(Buffer.concat([Buffer.from('FLV\x01\x01\x00\x00\x00\x09\x00\x00\x00\x00', 'latin1'), t]));
  assert.equal(tags[0].timestamp, ms);
  assert.equal(m.timestamp(BASE + 2 ** 32 * 90 + 900), 10);
});

test('a key frame with new in-band SPS/PPS is preceded by a new sequence header in the shared tag', () => {
  const v = videoClip('h264');
  const m = new FlvMuxer();
  m.header({ video: v.params });
  const plain = m.tag(v.frames[0])!;
  assert.equal(parseFlv(Buffer.concat([flvHead(), plain])).tags.length, 1, 'same sets as the header: no repeat');
  const sps2 = Buffer.from(v.params.sps!);
  sps2[3] = 0x29; // level 4.1: another SPS
  const key2: VideoFrame = { ...v.frames[25], units: v.frames[25].units.map((u) => ((u[0] & 0x1f) === 7 ? sps2 : u)) };
  const { tags } = parseFlv(Buffer.concat([flvHead(), m.tag(key2)!]));
  assert.equal(tags.length, 2);
  const seq = parseVideoTag(tags[0].data);
  assert.equal(seq.packet, 'config');
  assert.ok(parseAvcDecoderConfigurationRecord(seq.data).sps[0].equals(sps2));
  assert.equal(tags[0].timestamp, tags[1].timestamp);
  // the next reader's header carries the new sets
  const h = parseFlv(m.header({ video: { ...v.params, sps: undefined, pps: undefined } }));
  assert.ok(parseAvcDecoderConfigurationRecord(parseVideoTag(h.tags[1].data).data).sps[0].equals(sps2));
});

function flvHead(): Buffer {
  return Buffer.from('FLV\x01\x01\x00\x00\x00\x09\x00\x00\x00\x00', 'latin1');
}

test('the reader rejects what is not FLV and waits for truncated tags', () => {
  assert.throws(() => new FlvReader().push(Buffer.from('GIF89a\x00\x00\x00\x00\x00\x00\x00')), FlvParseError);
  const v = videoClip('h264');
  const flv = muxAll(new FlvMuxer(), { video: v.params }, v.frames.slice(0, 3));
  const r = new FlvReader();
  const ev = r.push(flv.subarray(0, flv.length - 1));
  assert.equal(ev.filter((e) => e.kind === 'tag').length, 4, 'script + sequence header + 2 frames; the 3rd waits');
  assert.equal(r.push(flv.subarray(flv.length - 1)).length, 1);
  assert.throws(() => parseFlv(flv.subarray(0, flv.length - 5)), /truncated/);
  assert.throws(() => new FlvReader({ maxTagSize: 100 }).push(flv), /exceeds/);
});

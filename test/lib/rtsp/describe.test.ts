import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aacLcConfig, buildRtspSdp, h264ProfileLevelId, parseRtspTracks, resolveControl } from '../../../src/lib/rtsp/index.js';
import { parseSdp } from '../../../src/lib/sdp/index.js';
import { accessUnits, splitAnnexB } from '../../fixtures/rtp/annexb.js';
import { loadFixture } from '../../fixtures/rtp/capture.js';

const h264 = loadFixture('h264', 'h264');
const au0 = accessUnits(splitAnnexB(h264.ref), (n) => (n[0] & 0x1f) === 9)[0];
const sps = au0.find((n) => (n[0] & 0x1f) === 7)!;
const pps = au0.find((n) => (n[0] & 0x1f) === 8)!;
const h265 = loadFixture('h265', 'hevc');
const hau0 = accessUnits(splitAnnexB(h265.ref), (n) => ((n[0] >> 1) & 0x3f) === 35)[0];
const [vps, hsps, hpps] = hau0.slice(1, 4);

test('H.264 + AAC DESCRIBE body: the fmtp ffmpeg writes for the same SPS/PPS', () => {
  assert.equal(h264ProfileLevelId(sps), '64000D');
  const text = buildRtspSdp(
    { video: { codec: 'h264', width: 320, height: 240, fps: 25, sps, pps }, audio: { codec: 'aac', sampleRate: 44100, channels: 1, config: Buffer.from('1208', 'hex') } },
    { ip: '10.0.0.1', sessionId: '1700000000' },
  );
  assert.equal(
    text,
    [
      'v=0',
      'o=- 1700000000 1 IN IP4 10.0.0.1',
      's=sharpeye',
      'c=IN IP4 10.0.0.1',
      't=0 0',
      'a=control:*',
      'a=range:npt=now-',
      'm=video 0 RTP/AVP 96',
      'a=rtpmap:96 H264/90000',
      'a=fmtp:96 packetization-mode=1;profile-level-id=64000D;sprop-parameter-sets=Z2QADazZQUH7ARAAAAMAEAAAAwMg8UKZYA==,aO+CnLA=',
      'a=framerate:25',
      'a=x-dimensions:320,240',
      'a=control:trackID=0',
      'm=audio 0 RTP/AVP 97',
      'a=rtpmap:97 MPEG4-GENERIC/44100/1',
      'a=fmtp:97 streamtype=5; profile-level-id=1; mode=AAC-hbr; sizelength=13; indexlength=3; indexdeltalength=3; config=1208',
      'a=control:trackID=1',
      '',
    ].join('\r\n'),
  );
  // ffmpeg's own SDP for this encoder carries the same parameter sets and profile
  const ff = parseRtspTracks(h264.sdp, 'rtsp://x/y')[0];
  assert.deepEqual([ff.sps, ff.pps, ff.fmtp['profile-level-id']], [sps, pps, '64000D']);
});

test('H.265 sprop-vps/sps/pps equal ffmpeg\'s; G.711 uses static payload types; recordings get a range', () => {
  const text = buildRtspSdp({ video: { codec: 'h265', width: 320, height: 240, fps: 0, vps, sps: hsps, pps: hpps }, audio: { codec: 'g711a', sampleRate: 8000, channels: 1 } }, { duration: 3600.5 });
  const tracks = parseRtspTracks(text, 'rtsp://10.0.0.1:554/live/cam1');
  assert.equal(tracks.length, 2);
  assert.deepEqual([tracks[0].codec, tracks[0].vps, tracks[0].sps, tracks[0].pps, tracks[0].control], ['h265', vps, hsps, hpps, 'rtsp://10.0.0.1:554/live/cam1/trackID=0']);
  const ff = parseRtspTracks(h265.sdp, 'rtsp://x')[0];
  assert.deepEqual([ff.vps, ff.sps, ff.pps], [vps, hsps, hpps]);
  assert.deepEqual([tracks[1].codec, tracks[1].payloadType, tracks[1].clockRate, tracks[1].channels], ['g711a', 8, 8000, 1]);
  assert.match(text, /\r\na=range:npt=0-3600.5\r\n/);
  assert.doesNotMatch(text, /framerate/);
  const pcmu16k = parseSdp(buildRtspSdp({ audio: { codec: 'g711u', sampleRate: 16000, channels: 1 } }));
  assert.deepEqual(pcmu16k.media[0].formats, ['97']);
  // MPEG-4 Part 2 is not offered over RTSP
  assert.equal(parseSdp(buildRtspSdp({ video: { codec: 'mpeg4', width: 1, height: 1, fps: 0 } })).media.length, 0);
});

test('AAC without a config gets an AAC-LC AudioSpecificConfig; parse gives the AU-header layout', () => {
  assert.deepEqual(aacLcConfig(44100, 2), Buffer.from('1210', 'hex'));
  assert.deepEqual(aacLcConfig(8000, 1), Buffer.from('1588', 'hex'));
  assert.throws(() => aacLcConfig(12345, 1), RangeError);
  const t = parseRtspTracks(buildRtspSdp({ audio: { codec: 'aac', sampleRate: 48000, channels: 2 } }), 'rtsp://h/s')[0];
  assert.deepEqual([t.codec, t.clockRate, t.channels, t.config, t.sizeLength, t.indexLength, t.indexDeltaLength], ['aac', 48000, 2, Buffer.from('1190', 'hex'), 13, 3, 3]);
  const ff = parseRtspTracks(loadFixture('aac', 'adts').sdp, 'rtsp://h/s')[0];
  assert.deepEqual([ff.payloadType, ff.encoding, ff.config], [97, 'MPEG4-GENERIC', Buffer.from('120856E500', 'hex')]);
});

test('control URLs (RFC 2326 §C.1.1): relative, absolute, session-level base, "*"', () => {
  assert.equal(resolveControl('rtsp://h/live', 'trackID=1'), 'rtsp://h/live/trackID=1');
  assert.equal(resolveControl('rtsp://h/live/', 'trackID=1'), 'rtsp://h/live/trackID=1');
  assert.equal(resolveControl('rtsp://h/live', 'rtsp://other/a'), 'rtsp://other/a');
  assert.equal(resolveControl('rtsp://h/live', '*'), 'rtsp://h/live');
  assert.equal(resolveControl('rtsp://h/live', undefined), 'rtsp://h/live');
  const sdp = 'v=0\r\ns=x\r\nt=0 0\r\na=control:rtsp://cam/Streaming/Channels/101/\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=1\r\nm=application 0 RTP/AVP 107\r\na=control:trackID=3\r\n';
  const tracks = parseRtspTracks(sdp, 'rtsp://cam/Streaming/Channels/101');
  assert.equal(tracks.length, 1); // the metadata track has no rtpmap: skipped
  assert.equal(tracks[0].control, 'rtsp://cam/Streaming/Channels/101/trackID=1');
});

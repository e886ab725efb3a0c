import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { attr, connectionAddress, direction, fmtp, parseSdp, rtpMaps, SdpError, writeSdp } from '../../../src/lib/sdp/index.js';
import { FIXTURES } from '../../fixtures/rtp/capture.js';

// RFC 4566 §5 example
const RFC4566 = [
  'v=0',
  'o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5',
  's=SDP Seminar',
  'i=A Seminar on the session description protocol',
  'u=http://www.example.com/seminars/sdp.pdf',
  'e=j.doe@example.com (Jane Doe)',
  'c=IN IP4 224.2.17.12/127',
  't=2873397496 2873404696',
  'a=recvonly',
  'm=audio 49170 RTP/AVP 0',
  'm=video 51372 RTP/AVP 99',
  'a=rtpmap:99 h263-1998/90000',
  '',
].join('\r\n');

test('RFC 4566 §5 example: every field', () => {
  const s = parseSdp(RFC4566);
  assert.equal(s.version, 0);
  assert.deepEqual(s.origin, { username: 'jdoe', sessionId: '2890844526', sessionVersion: '2890842807', netType: 'IN', addrType: 'IP4', address: '10.47.16.5' });
  assert.equal(s.sessionName, 'SDP Seminar');
  assert.equal(s.info, 'A Seminar on the session description protocol');
  assert.equal(s.uri, 'http://www.example.com/seminars/sdp.pdf');
  assert.deepEqual(s.connection, { netType: 'IN', addrType: 'IP4', address: '224.2.17.12/127' });
  assert.equal(connectionAddress(s), '224.2.17.12');
  assert.deepEqual(s.timing, [{ start: 2873397496, stop: 2873404696 }]);
  assert.deepEqual(s.attributes, [{ name: 'recvonly' }]);
  assert.equal(s.media.length, 2);
  assert.deepEqual(s.media[0], { type: 'audio', port: 49170, proto: 'RTP/AVP', formats: ['0'], bandwidths: [], attributes: [] });
  assert.deepEqual(rtpMaps(s.media[0]), [{ payloadType: 0, encoding: 'PCMU', clockRate: 8000, channels: 1, implied: true }]);
  assert.deepEqual(rtpMaps(s.media[1]), [{ payloadType: 99, encoding: 'h263-1998', clockRate: 90000 }]);
  assert.equal(direction(s, s.media[1]), 'recvonly'); // session-level default
});

test('write → parse is lossless for what we model (e= is not modelled)', () => {
  const s = parseSdp(RFC4566);
  const text = writeSdp(s);
  assert.equal(text, RFC4566.replace('e=j.doe@example.com (Jane Doe)\r\n', ''));
  assert.deepEqual(parseSdp(text), s);
});

test('tolerant: LF-only, CR-only, blank lines, spaces around "=", upper-case letters, PLAY', () => {
  const messy = '\n\nV=0\no=34020000001320000001 0 0 IN IP4 192.168.1.64\nS = PLAY  \n\nC=IN  IP4   192.168.1.64\nt=0 0\nM=video   15060 RTP/AVP   96\nA=sendonly\na = rtpmap:96  PS/90000\nY = 0200000001\nF = \n';
  for (const text of [messy, messy.replace(/\n/g, '\r')]) {
    const s = parseSdp(text);
    assert.equal(s.sessionName, 'PLAY');
    assert.equal(s.connection?.address, '192.168.1.64');
    assert.equal(s.media[0].port, 15060);
    assert.deepEqual(s.media[0].formats, ['96']);
    assert.deepEqual(s.media[0].attributes, [{ name: 'sendonly' }, { name: 'rtpmap', value: '96  PS/90000' }]);
    assert.deepEqual(rtpMaps(s.media[0]), [{ payloadType: 96, encoding: 'PS', clockRate: 90000 }]);
    assert.equal(s.media[0].ssrc, '0200000001');
    assert.equal(s.media[0].format, '');
  }
});

test('missing lines are tolerated; text that is no SDP is refused', () => {
  const s = parseSdp('m=video 6000 RTP/AVP 96\r\n');
  assert.equal(s.origin, undefined);
  assert.equal(s.sessionName, '');
  assert.deepEqual(s.timing, []);
  assert.equal(s.media[0].port, 6000);
  assert.throws(() => parseSdp('SIP/2.0 200 OK\r\n\r\n'), SdpError);
  assert.throws(() => parseSdp(''), SdpError);
  assert.throws(() => parseSdp('v=0\r\n'.repeat(20000)), SdpError);
});

test('ffmpeg SDPs: rtpmap and fmtp parameters', () => {
  const h264 = parseSdp(readFileSync(join(FIXTURES, 'h264.sdp'), 'utf8'));
  assert.equal(attr(h264.attributes, 'tool'), 'libavformat LIBAVFORMAT_VERSION');
  const v = h264.media[0];
  assert.deepEqual(rtpMaps(v), [{ payloadType: 96, encoding: 'H264', clockRate: 90000 }]);
  const f = fmtp(v, 96);
  assert.equal(f['packetization-mode'], '1');
  assert.equal(f['profile-level-id'], '64000D');
  assert.equal(f['sprop-parameter-sets'], 'Z2QADazZQUH7ARAAAAMAEAAAAwMg8UKZYA==,aO+CnLA=');
  const aac = parseSdp(readFileSync(join(FIXTURES, 'aac.sdp'), 'utf8')).media[0];
  assert.deepEqual(rtpMaps(aac), [{ payloadType: 97, encoding: 'MPEG4-GENERIC', clockRate: 44100, channels: 1 }]);
  assert.deepEqual(aac.bandwidths, [{ type: 'AS', value: 64 }]);
  assert.deepEqual(fmtp(aac, 97), { 'profile-level-id': '1', mode: 'AAC-hbr', sizelength: '13', indexlength: '3', indexdeltalength: '3', config: '120856E500' });
  assert.deepEqual(fmtp(aac, 96), {});
});

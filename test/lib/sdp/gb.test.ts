import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  answerSetup,
  buildGbAnswerSdp,
  buildGbInviteSdp,
  formatGbFormat,
  formatGbSsrc,
  parseGbAnswer,
  parseGbFormat,
  parseGbOffer,
  parseGbSsrc,
  SdpError,
  streamSelectorAttributes,
} from '../../../src/lib/sdp/index.js';

// GB/T 28181-2016 附录 example exchange (live play, UDP): the SIP server's offer and the device's answer.
const STD_OFFER = 'v=0\r\no=64010000002020000001 0 0 IN IP4 172.20.16.3\r\ns=Play\r\nc=IN IP4 172.20.16.3\r\nt=0 0\r\nm=video 6000 RTP/AVP 96 98 97\r\na=recvonly\r\na=rtpmap:96 PS/90000\r\na=rtpmap:98 H264/90000\r\na=rtpmap:97 MPEG4/90000\r\ny=0100000001\r\nf=\r\n';
const STD_ANSWER = 'v=0\r\no=64010000041310000345 0 0 IN IP4 172.20.16.6\r\ns=Play\r\nc=IN IP4 172.20.16.6\r\nt=0 0\r\nm=video 6000 RTP/AVP 96\r\na=sendonly\r\na=rtpmap:96 PS/90000\r\ny=0100000001\r\nf=\r\n';
// A Hikvision platform (NCG) answer as reported in WVP-GB28181-pro issue #127: its own SSRC, a=filesize:-1.
const HIK_ANSWER = 'v=0\r\no=34020000001320000001 0 0 IN IP4 192.168.1.64\r\ns=Play\r\nc=IN IP4 192.168.1.64\r\nt=0 0\r\nm=video 5490 RTP/AVP 96\r\na=rtpmap:96 PS/90000\r\na=sendonly\r\na=filesize:-1\r\ny=0703001718\r\n';
// A device answering a tcp-passive offer: it connects to us (setup:active), Dahua-style stream attributes, an f= line.
const TCP_ANSWER = 'v=0\r\no=34020000001310000001 0 0 IN IP4 192.168.1.108\r\ns=Play\r\ni=VCam Live Video\r\nc=IN IP4 192.168.1.108\r\nt=0 0\r\nm=video 10032 TCP/RTP/AVP 96\r\na=sendonly\r\na=rtpmap:96 PS/90000\r\na=streamprofile:0\r\na=streamnumber:0\r\na=setup:active\r\na=connection:new\r\ny=0200005549\r\nf=v/0/0/0/0/0a/0/0/0\r\n';

test('reads the standard answer: address, port, UDP, SSRC, PS', () => {
  const a = parseGbAnswer(STD_ANSWER);
  assert.deepEqual(a, {
    subject: 'Play',
    originId: '64010000041310000345',
    ip: '172.20.16.6',
    port: 6000,
    media: 'video',
    transport: 'udp',
    ssrc: '0100000001',
    ssrcNumber: 100000001,
    codecs: [{ payloadType: 96, encoding: 'PS', clockRate: 90000 }],
    rtpmap: { 96: 'PS' },
    direction: 'sendonly',
  });
});

test('reads the standard offer as a device would', () => {
  const o = parseGbOffer(STD_OFFER);
  assert.equal(o.direction, 'recvonly');
  assert.deepEqual(o.rtpmap, { 96: 'PS', 98: 'H264', 97: 'MPEG4' });
  assert.deepEqual(o.codecs.map((c) => c.payloadType), [96, 98, 97]);
  assert.equal(o.ssrc, '0100000001');
  assert.equal(o.transport, 'udp');
  assert.equal(o.setup, undefined);
  assert.equal(o.startTime, undefined);
});

test('Hikvision answer: its own y=, filesize -1', () => {
  const a = parseGbAnswer(HIK_ANSWER);
  assert.equal(a.ssrc, '0703001718');
  assert.equal(a.ssrcNumber, 703001718);
  assert.equal(a.fileSize, -1);
  assert.equal(a.port, 5490);
  assert.equal(a.ip, '192.168.1.64');
});

test('TCP answer: setup, stream number, f= media description', () => {
  const a = parseGbAnswer(TCP_ANSWER);
  assert.equal(a.transport, 'tcp');
  assert.equal(a.setup, 'active');
  assert.equal(a.port, 10032);
  assert.equal(a.streamNumber, 0);
  assert.deepEqual(a.format, { video: { codec: 0, resolution: '0', frameRate: 0, bitrateType: 0, bitrate: 0 }, audio: { codec: 0, bitrate: 0, sampleRate: 0 } });
});

test('tolerant answer: LF only, upper-case PLAY, no rtpmap (96 means PS by GB convention), no c= (o= address)', () => {
  const a = parseGbAnswer('v=0\no=34020000001320000001 0 0 IN IP4 10.1.2.3\ns=PLAY\nt=0 0\nm=video 20000 RTP/AVP 96\na=sendonly\ny=0200000002\n');
  assert.equal(a.subject, 'PLAY');
  assert.equal(a.ip, '10.1.2.3');
  assert.deepEqual(a.codecs, [{ payloadType: 96, encoding: 'PS', clockRate: 90000, implied: true }]);
  assert.deepEqual(a.rtpmap, { 96: 'PS' });
  assert.throws(() => parseGbAnswer('v=0\r\ns=Play\r\n'), SdpError);
});

test('INVITE for live play over UDP', () => {
  const sdp = buildGbInviteSdp({ subject: 'Play', deviceChannelId: '34020000001320000001', ip: '192.168.1.10', port: 30000, transport: 'udp', ssrc: '0200000001' });
  assert.equal(
    sdp,
    'v=0\r\no=34020000001320000001 0 0 IN IP4 192.168.1.10\r\ns=Play\r\nc=IN IP4 192.168.1.10\r\nt=0 0\r\nm=video 30000 RTP/AVP 96 98 97 99\r\n' +
      'a=recvonly\r\na=rtpmap:96 PS/90000\r\na=rtpmap:98 H264/90000\r\na=rtpmap:97 MPEG4/90000\r\na=rtpmap:99 H265/90000\r\ny=0200000001\r\n',
  );
  const back = parseGbOffer(sdp);
  assert.deepEqual(back.rtpmap, { 96: 'PS', 98: 'H264', 97: 'MPEG4', 99: 'H265' });
  assert.equal(back.port, 30000);
});

test('INVITE for playback, tcp-passive (we listen): u=, t= Unix seconds, setup:passive, connection:new', () => {
  const sdp = buildGbInviteSdp({
    subject: 'Playback',
    deviceChannelId: '34020000001320000001',
    ip: '10.0.0.5',
    port: 30002,
    transport: 'tcp-passive',
    ssrc: '1200000001',
    startTime: 1760457600,
    endTime: 1760461200,
  });
  assert.equal(
    sdp,
    'v=0\r\no=34020000001320000001 0 0 IN IP4 10.0.0.5\r\ns=Playback\r\nu=34020000001320000001:0\r\nc=IN IP4 10.0.0.5\r\nt=1760457600 1760461200\r\n' +
      'm=video 30002 TCP/RTP/AVP 96 98 97 99\r\na=recvonly\r\na=rtpmap:96 PS/90000\r\na=rtpmap:98 H264/90000\r\na=rtpmap:97 MPEG4/90000\r\na=rtpmap:99 H265/90000\r\n' +
      'a=setup:passive\r\na=connection:new\r\ny=1200000001\r\n',
  );
  const o = parseGbOffer(sdp);
  assert.deepEqual([o.subject, o.uriChannelId, o.startTime, o.endTime, o.transport, o.setup], ['Playback', '34020000001320000001', 1760457600, 1760461200, 'tcp', 'passive']);
});

test('INVITE for download, tcp-active (the device listens): setup:active, downloadspeed', () => {
  const sdp = buildGbInviteSdp({
    subject: 'Download',
    deviceChannelId: '34020000001320000001',
    ip: '10.0.0.5',
    port: 30004,
    transport: 'tcp-active',
    ssrc: '1200000002',
    startTime: 1760457600,
    endTime: 1760461200,
    downloadSpeed: 4,
  });
  const o = parseGbOffer(sdp);
  assert.equal(o.subject, 'Download');
  assert.equal(o.setup, 'active');
  assert.equal(o.downloadSpeed, 4);
  assert.match(sdp, /\r\na=setup:active\r\na=connection:new\r\na=downloadspeed:4\r\ny=1200000002\r\n$/);
});

test('sub-stream selection per vendor profile', () => {
  const base = { subject: 'Play' as const, deviceChannelId: '34020000001320000001', ip: '10.0.0.5', port: 30000, transport: 'udp' as const, ssrc: '0200000003' };
  const lines = (sdp: string) => sdp.split('\r\n').filter((l) => /^a=stream/i.test(l));
  assert.deepEqual(lines(buildGbInviteSdp({ ...base, streamNumber: 1 })), ['a=streamnumber:1']);
  assert.deepEqual(lines(buildGbInviteSdp({ ...base, streamNumber: 1, streamProfile: 'hikvision' })), ['a=streamnumber:1']);
  assert.deepEqual(lines(buildGbInviteSdp({ ...base, streamNumber: 1, streamProfile: 'dahua' })), ['a=streamprofile:1']);
  assert.deepEqual(lines(buildGbInviteSdp({ ...base, streamNumber: 0, streamProfile: 'tplink' })), ['a=streamMode:main']);
  assert.deepEqual(lines(buildGbInviteSdp({ ...base, streamNumber: 1, streamProfile: 'generic' })), ['a=stream:1']);
  assert.deepEqual(lines(buildGbInviteSdp({ ...base, streamNumber: 1, streamProfile: 'none' })), []);
  assert.deepEqual(lines(buildGbInviteSdp({ ...base, streamNumber: 1, streamProfile: 'all' })), ['a=streamnumber:1', 'a=streamprofile:1', 'a=stream:1', 'a=streamMode:sub']);
  assert.deepEqual(lines(buildGbInviteSdp(base)), []);
  assert.deepEqual(streamSelectorAttributes(1, 'tplink'), [{ name: 'streamMode', value: 'sub' }]);
  // a device reads any of them back
  for (const p of ['gb2022', 'dahua', 'tplink', 'generic'] as const) assert.equal(parseGbOffer(buildGbInviteSdp({ ...base, streamNumber: 1, streamProfile: p })).streamNumber, 1, p);
});

test('builder refuses impossible values', () => {
  const base = { subject: 'Play' as const, deviceChannelId: '34020000001320000001', ip: '10.0.0.5', port: 30000, transport: 'udp' as const, ssrc: '0200000003' };
  assert.throws(() => buildGbInviteSdp({ ...base, ssrc: '02000000031' }), SdpError);
  assert.throws(() => buildGbInviteSdp({ ...base, ssrc: 'abc' }), SdpError);
  assert.throws(() => buildGbInviteSdp({ ...base, port: 70000 }), SdpError);
  assert.throws(() => buildGbInviteSdp({ ...base, ip: '' }), SdpError);
});

test('device answer: UDP, and TCP with the role opposite to the offer', () => {
  const udp = buildGbAnswerSdp({ subject: 'Play', deviceChannelId: '34020000001320000001', ip: '192.168.1.64', port: 15060, transport: 'udp', ssrc: '0200000001' });
  assert.equal(udp, 'v=0\r\no=34020000001320000001 0 0 IN IP4 192.168.1.64\r\ns=Play\r\nc=IN IP4 192.168.1.64\r\nt=0 0\r\nm=video 15060 RTP/AVP 96\r\na=sendonly\r\na=rtpmap:96 PS/90000\r\ny=0200000001\r\n');
  const offer = parseGbOffer(buildGbInviteSdp({ subject: 'Download', deviceChannelId: '34020000001320000001', ip: '10.0.0.5', port: 30004, transport: 'tcp-active', ssrc: '1200000002', startTime: 100, endTime: 200, downloadSpeed: 4 }));
  const setup = answerSetup(offer.setup);
  assert.equal(setup, 'passive');
  assert.equal(answerSetup('passive'), 'active');
  const tcp = buildGbAnswerSdp({ subject: offer.subject, deviceChannelId: '34020000001320000001', ip: '192.168.1.64', port: 15061, transport: 'tcp', setup, ssrc: offer.ssrc!, startTime: offer.startTime, endTime: offer.endTime, fileSize: 1048576, format: { video: { codec: 2, resolution: '6', frameRate: 25, bitrateType: 1, bitrate: 4096 } } });
  const a = parseGbAnswer(tcp);
  assert.deepEqual([a.transport, a.setup, a.port, a.ip, a.fileSize, a.ssrc, a.direction, a.startTime, a.endTime], ['tcp', 'passive', 15061, '192.168.1.64', 1048576, '1200000002', 'sendonly', 100, 200]);
  assert.match(tcp, /\r\ny=1200000002\r\nf=v\/2\/6\/25\/1\/4096a\/\/\/\r\n$/);
});

test('f= media description: parse and format', () => {
  assert.deepEqual(parseGbFormat('v/2/4/25/1/1024a/1/8/1'), { video: { codec: 2, resolution: '4', frameRate: 25, bitrateType: 1, bitrate: 1024 }, audio: { codec: 1, bitrate: 8, sampleRate: 1 } });
  assert.deepEqual(parseGbFormat('v/2/4/25/1/1024 a///'), { video: { codec: 2, resolution: '4', frameRate: 25, bitrateType: 1, bitrate: 1024 } });
  assert.deepEqual(parseGbFormat('v/5/1920x1080/30//a///'), { video: { codec: 5, resolution: '1920x1080', frameRate: 30 } });
  assert.equal(parseGbFormat(''), undefined);
  assert.equal(parseGbFormat('v/////a///'), undefined);
  assert.equal(parseGbFormat('garbage'), undefined);
  assert.equal(formatGbFormat({ video: { codec: 2, resolution: '4', frameRate: 25, bitrateType: 1, bitrate: 1024 }, audio: { codec: 1, bitrate: 8, sampleRate: 1 } }), 'v/2/4/25/1/1024a/1/8/1');
  assert.equal(formatGbFormat({}), 'v/////a///');
});

test('GB SSRC strings and numbers', () => {
  assert.equal(formatGbSsrc(200005452), '0200005452');
  assert.equal(parseGbSsrc('0200005452'), 200005452);
  assert.equal(parseGbSsrc(' 1100000001 '), 1100000001);
  assert.equal(parseGbSsrc('9999999999'), undefined); // above 2^32-1
  assert.equal(parseGbSsrc('x1'), undefined);
  assert.equal(parseGbSsrc(undefined), undefined);
});

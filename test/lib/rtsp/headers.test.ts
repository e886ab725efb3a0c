import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRange, formatRtpInfo, formatSession, formatTransport, parseRange, parseRtpInfo, parseSession, parseTransport, RtspParseError } from '../../../src/lib/rtsp/index.js';

test('Transport: UDP unicast with ports and ssrc (RFC 2326 §12.39 example)', () => {
  const [t] = parseTransport('RTP/AVP;unicast;client_port=4588-4589;server_port=6256-6257;ssrc=0A1B2C3D;mode="PLAY"');
  assert.deepEqual(
    { ...t, params: undefined },
    { profile: 'RTP/AVP', lowerTransport: 'UDP', unicast: true, clientPort: [4588, 4589], serverPort: [6256, 6257], ssrc: 0x0a1b2c3d, mode: 'PLAY', params: undefined },
  );
  assert.equal(t.params.unicast, true);
  assert.equal(formatTransport(t), 'RTP/AVP;unicast;client_port=4588-4589;server_port=6256-6257;ssrc=0A1B2C3D;mode="PLAY"');
});

test('Transport: interleaved TCP, alternatives, single values, odd case', () => {
  const ts = parseTransport('rtp/avp/tcp;UNICAST;interleaved=2-3, RTP/AVP;unicast;client_port=5000, RTP/AVP;multicast;destination=224.2.0.1;port=3456-3457;ttl=16');
  assert.equal(ts.length, 3);
  assert.deepEqual([ts[0].lowerTransport, ts[0].profile, ts[0].interleaved, ts[0].unicast], ['TCP', 'RTP/AVP', [2, 3], true]);
  assert.deepEqual(ts[1].clientPort, [5000, 5001]);
  assert.deepEqual([ts[2].unicast, ts[2].destination, ts[2].port, ts[2].ttl], [false, '224.2.0.1', [3456, 3457], 16]);
  assert.equal(formatTransport({ profile: 'RTP/AVP', lowerTransport: 'TCP', unicast: true, interleaved: [0, 1], ssrc: 255 }), 'RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=000000FF');
  assert.throws(() => parseTransport('RAW'), RtspParseError);
  assert.throws(() => parseTransport('RTP/AVP/SCTP;unicast'), RtspParseError);
  assert.throws(() => parseTransport('RTP/AVP;client_port=abc'), RtspParseError);
  assert.throws(() => parseTransport(' , '), RtspParseError);
});

test('Range: npt (seconds, h:m:s, now), clock, smpte; format round-trip', () => {
  assert.deepEqual(parseRange('npt=0-'), { unit: 'npt', start: 0 });
  assert.deepEqual(parseRange('npt=now-'), { unit: 'npt', start: 'now' });
  assert.deepEqual(parseRange('npt=12.5-30'), { unit: 'npt', start: 12.5, end: 30 });
  assert.deepEqual(parseRange('npt=1:02:03.5-'), { unit: 'npt', start: 3723.5 });
  assert.deepEqual(parseRange('npt=-20'), { unit: 'npt', end: 20 });
  assert.deepEqual(parseRange('clock=19961108T143720.25Z-19961108T143820Z'), { unit: 'clock', start: Date.UTC(1996, 10, 8, 14, 37, 20, 250), end: Date.UTC(1996, 10, 8, 14, 38, 20) });
  assert.deepEqual(parseRange('smpte=10:12:33:20-;time=19970123T153600Z'), { unit: 'smpte', start: '10:12:33:20', time: '19970123T153600Z' });
  assert.equal(formatRange({ unit: 'npt', start: 12.5, end: 30 }), 'npt=12.5-30');
  assert.equal(formatRange({ unit: 'npt', start: 'now' }), 'npt=now-');
  assert.equal(formatRange({ unit: 'clock', start: Date.UTC(1996, 10, 8, 14, 37, 20, 250) }), 'clock=19961108T143720.25Z-');
  assert.throws(() => parseRange('npt=abc-'), RtspParseError);
  assert.throws(() => parseRange('frames=1-2'), RtspParseError);
  assert.throws(() => parseRange('npt'), RtspParseError);
});

test('Session with timeout (RFC 2326 §12.37) and RTP-Info (§12.33)', () => {
  assert.deepEqual(parseSession('47112344;timeout=60'), { id: '47112344', timeout: 60 });
  assert.deepEqual(parseSession(' 12345678 '), { id: '12345678' });
  assert.equal(formatSession({ id: 'abc', timeout: 30 }), 'abc;timeout=30');
  const info = parseRtpInfo('url=rtsp://foo.com/bar.avi/streamid=0;seq=45102;rtptime=3450012, url=rtsp://foo.com/bar.avi/streamid=1;seq=30211');
  assert.deepEqual(info, [
    { url: 'rtsp://foo.com/bar.avi/streamid=0', seq: 45102, rtptime: 3450012 },
    { url: 'rtsp://foo.com/bar.avi/streamid=1', seq: 30211 },
  ]);
  assert.equal(formatRtpInfo(info), 'url=rtsp://foo.com/bar.avi/streamid=0;seq=45102;rtptime=3450012,url=rtsp://foo.com/bar.avi/streamid=1;seq=30211');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cseqOf,
  parseRtspMessage,
  RtspHeaders,
  RtspParseError,
  RtspStreamParser,
  rtspRequest,
  rtspResponse,
  serializeRtspMessage,
  type RtspMessage,
} from '../../../src/lib/rtsp/index.js';

// RFC 2326 §14.1 (media on demand), the DESCRIBE exchange between client C and media server V
const DESCRIBE = 'DESCRIBE rtsp://audio.example.com/twister/audio.en RTSP/1.0\r\nCSeq: 1\r\n\r\n';
const DESCRIBE_OK_BODY = 'v=0\r\no=- 2890844526 2890842807 IN IP4 192.16.24.202\r\ns=RTSP Session\r\nm=audio 3456 RTP/AVP 0\r\na=control:rtsp://audio.example.com/twister/audio.en\r\n';
const DESCRIBE_OK = `RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Length: ${DESCRIBE_OK_BODY.length}\r\n\r\n${DESCRIBE_OK_BODY}`;

test('parses a request and a response with a body (RFC 2326 §14.1)', () => {
  const req = parseRtspMessage(Buffer.from(DESCRIBE));
  assert.equal(req.kind, 'request');
  if (req.kind !== 'request') return;
  assert.deepEqual([req.method, req.uri, req.version, cseqOf(req), req.body.length], ['DESCRIBE', 'rtsp://audio.example.com/twister/audio.en', 'RTSP/1.0', 1, 0]);
  const res = parseRtspMessage(Buffer.from(DESCRIBE_OK));
  assert.equal(res.kind, 'response');
  if (res.kind !== 'response') return;
  assert.deepEqual([res.status, res.reason, res.headers.get('content-type'), res.body.toString()], [200, 'OK', 'application/sdp', DESCRIBE_OK_BODY]);
});

test('tolerates LF-only lines, header case, folding; serialises canonically', () => {
  const m = parseRtspMessage(Buffer.from('setup rtsp://h/x/trackID=0 RTSP/1.0\ncseq: 3\nTRANSPORT: RTP/AVP/TCP;\n interleaved=0-1\n\n'));
  assert.equal(m.kind, 'request');
  if (m.kind !== 'request') return;
  assert.equal(m.method, 'SETUP');
  assert.equal(m.headers.get('Transport'), 'RTP/AVP/TCP; interleaved=0-1');
  assert.equal(serializeRtspMessage(m).toString(), 'SETUP rtsp://h/x/trackID=0 RTSP/1.0\r\ncseq: 3\r\nTRANSPORT: RTP/AVP/TCP; interleaved=0-1\r\n\r\n');
});

test('builders: CSeq echoed first, Content-Length from the body, reason phrase', () => {
  const req = rtspRequest('OPTIONS', '*', { CSeq: 7, 'User-Agent': 'sharpeye' });
  assert.equal(serializeRtspMessage(req).toString(), 'OPTIONS * RTSP/1.0\r\nCSeq: 7\r\nUser-Agent: sharpeye\r\n\r\n');
  const res = rtspResponse(454, req, { Server: 'sharpeye' }, 'gone');
  assert.equal(serializeRtspMessage(res).toString(), 'RTSP/1.0 454 Session Not Found\r\nCSeq: 7\r\nServer: sharpeye\r\nContent-Length: 4\r\n\r\ngone');
  const round = parseRtspMessage(serializeRtspMessage(res));
  assert.equal(round.kind === 'response' && round.status, 454);
  const h = new RtspHeaders([['Public', 'A'], ['public', 'B']]);
  assert.deepEqual(h.getAll('PUBLIC'), ['A', 'B']);
  h.set('Public', 'C');
  assert.deepEqual(h.entries(), [['Public', 'C']]);
});

test('refuses what is not RTSP', () => {
  assert.throws(() => parseRtspMessage(Buffer.from('HELLO\r\n\r\n')), RtspParseError);
  assert.throws(() => parseRtspMessage(Buffer.from('GET / HTTP/1.1\r\n\r\n')), RtspParseError);
  assert.throws(() => parseRtspMessage(Buffer.from('OPTIONS * RTSP/1.0\r\nCSeq 1\r\n\r\n')), RtspParseError);
  assert.throws(() => parseRtspMessage(Buffer.from('OPTIONS * RTSP/1.0\r\nContent-Length: 10\r\n\r\nabc')), RtspParseError);
  assert.throws(() => parseRtspMessage(Buffer.from('OPTIONS * RTSP/1.0\r\nContent-Length: -1\r\n\r\n')), RtspParseError);
});

function collect(chunks: Buffer[]) {
  const events: (RtspMessage | { channel: number; data: Buffer })[] = [];
  const p = new RtspStreamParser({ onMessage: (m) => events.push(m), onInterleaved: (channel, data) => events.push({ channel, data: Buffer.from(data) }) });
  let maxBuffered = 0;
  for (const c of chunks) {
    p.push(c);
    maxBuffered = Math.max(maxBuffered, p.buffered);
  }
  return { events, p, maxBuffered };
}

test('stream parser: messages and $-frames interleaved (RFC 2326 §10.12), split at every byte', () => {
  const rtp = Buffer.alloc(1500, 0xab);
  const rtcp = Buffer.from('80c80006', 'hex');
  const frame = (ch: number, d: Buffer) => Buffer.concat([Buffer.from([0x24, ch, d.length >> 8, d.length & 0xff]), d]);
  const stream = Buffer.concat([
    Buffer.from(DESCRIBE_OK),
    frame(0, rtp),
    Buffer.from('\r\n'), // stray CRLF some servers send
    frame(1, rtcp),
    Buffer.from('GET_PARAMETER rtsp://h/x RTSP/1.0\r\nCSeq: 9\r\nSession: 12345678\r\n\r\n'),
    frame(0, Buffer.alloc(0)),
    frame(2, rtp.subarray(0, 10)),
  ]);
  for (const size of [1, 2, 3, 5, 64, 1000, stream.length]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size));
    const { events, p, maxBuffered } = collect(chunks);
    assert.equal(events.length, 6, `chunk ${size}`);
    const [a, b, c, d, e, f] = events as any[];
    assert.equal(a.kind === 'response' && a.body.toString(), DESCRIBE_OK_BODY);
    assert.deepEqual([b.channel, b.data], [0, rtp]);
    assert.deepEqual([c.channel, c.data], [1, rtcp]);
    assert.equal(d.kind === 'request' && d.method, 'GET_PARAMETER');
    assert.deepEqual([e.channel, e.data.length], [0, 0]);
    assert.deepEqual([f.channel, f.data], [2, rtp.subarray(0, 10)]);
    assert.equal(p.buffered, 0);
    assert.ok(maxBuffered <= 1504, `holds at most one item (${maxBuffered})`);
  }
});

test('stream parser: interleaved data handed over as a view when it arrives whole', () => {
  const views: Buffer[] = [];
  const p = new RtspStreamParser({ onMessage: () => {}, onInterleaved: (_c, d) => views.push(d) });
  const chunk = Buffer.from([0x24, 0, 0, 2, 7, 8, 0x24, 1, 0, 1, 9]);
  p.push(chunk);
  assert.deepEqual(views.map((v) => [...v]), [[7, 8], [9]]);
  assert.ok(views.every((v) => v.buffer === chunk.buffer));
});

test('stream parser: garbage and oversized input fail fast, memory stays bounded', () => {
  assert.throws(() => collect([Buffer.from([0x00, 0x01, 0x02])]), /unexpected byte/);
  assert.throws(() => collect([Buffer.from('\x16\x03\x01 TLS hello')]), RtspParseError);
  assert.throws(() => collect([Buffer.from('HTTP/1.1 200 OK\r\n\r\n')]), RtspParseError);
  assert.throws(() => collect([Buffer.from('OPTIONS * RTSP/1.0\r\nX: ' + 'a'.repeat(20000))]), /too large/);
  assert.throws(() => collect([Buffer.from('ANNOUNCE rtsp://h/x RTSP/1.0\r\nContent-Length: 99999999\r\n\r\n')]), /too large/);
  // a long head that is still arriving is fine until the limit
  const { p } = collect([Buffer.from('DESCRIBE rtsp://h/x RTSP/1.0\r\nUser-Agent: '), Buffer.from('x'.repeat(1000))]);
  assert.ok(p.buffered > 1000);
  p.push(Buffer.from('\r\n\r\n'));
  assert.equal(p.buffered, 0);
  // once broken, it stays broken
  const q = new RtspStreamParser({ onMessage: () => {}, onInterleaved: () => {} });
  assert.throws(() => q.push(Buffer.from([1])));
  assert.throws(() => q.push(Buffer.from(DESCRIBE)), RtspParseError);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  answerChallenge,
  digestResponse,
  parseAuthParams,
  parseCSeq,
  parseNameAddr,
  parseSipMessage,
  parseVia,
  serializeSipMessage,
  SipParseError,
  SipStreamFramer,
  tagOf,
  userOf,
  verifyDigest,
} from '../../../src/lib/sip/index.js';

// A GB/T 28181 IPC first REGISTER as such cameras send it (CRLF, GB IDs, Expires 3600, no Max-Forwards order).
const REGISTER =
  'REGISTER sip:35020000002000000001@3502000000 SIP/2.0\r\n' +
  'Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1371463273\r\n' +
  'From: <sip:35020000001320000001@3502000000>;tag=2043466181\r\n' +
  'To: <sip:35020000001320000001@3502000000>\r\n' +
  'Call-ID: 1011047669\r\n' +
  'CSeq: 1 REGISTER\r\n' +
  'Contact: <sip:35020000001320000001@192.168.1.64:5060>\r\n' +
  'Max-Forwards: 70\r\n' +
  'User-Agent: IP Camera\r\n' +
  'Expires: 3600\r\n' +
  'Content-Length: 0\r\n\r\n';

test('parses a device REGISTER and reads its parts', () => {
  const m = parseSipMessage(Buffer.from(REGISTER));
  assert.equal(m.kind, 'request');
  if (m.kind !== 'request') return;
  assert.equal(m.method, 'REGISTER');
  assert.equal(m.uri, 'sip:35020000002000000001@3502000000');
  assert.equal(userOf(m.headers.get('from')), '35020000001320000001');
  assert.equal(tagOf(m.headers.get('from')), '2043466181');
  const via = parseVia(m.headers.get('via')!);
  assert.deepEqual(via, { transport: 'UDP', host: '192.168.1.64', port: 5060, params: { rport: null, branch: 'z9hG4bK1371463273' } });
  assert.deepEqual(parseCSeq(m.headers.get('cseq')!), { seq: 1, method: 'REGISTER' });
  assert.equal(m.body.length, 0);
});

test('tolerates LF-only lines, odd header case, compact forms, folding, no Max-Forwards', () => {
  const raw =
    'MESSAGE sip:35020000002000000001@3502000000 SIP/2.0\n' +
    'v: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKabc\n' +
    'f: <sip:35020000001180000001@3502000000>;tag=1\n' +
    't: <sip:35020000002000000001@3502000000>\n' +
    'i: 77\n' +
    'cseq: 20 MESSAGE\n' +
    'CONTENT-TYPE: Application/MANSCDP+xml\n' +
    'Subject: a\n  folded\n' +
    'l: 5\n\nhello';
  const m = parseSipMessage(Buffer.from(raw));
  assert.equal(m.headers.get('Call-ID'), '77');
  assert.equal(m.headers.get('content-type'), 'Application/MANSCDP+xml');
  assert.equal(m.headers.get('subject'), 'a folded');
  assert.equal(m.body.toString(), 'hello');
  assert.equal(m.headers.get('max-forwards'), undefined);
});

test('serialises canonically with the right Content-Length; round trip keeps GB18030 body bytes', () => {
  const body = Buffer.from([0x3c, 0xd6, 0xd0, 0xce, 0xc4, 0x3e]); // "<中文>" in GB2312
  const m = parseSipMessage(Buffer.from(REGISTER));
  const out = serializeSipMessage({ ...m, body } as typeof m);
  const text = out.toString('latin1');
  assert.match(text, /\r\nCall-ID: 1011047669\r\n/);
  assert.match(text, /\r\nCSeq: 1 REGISTER\r\n/);
  assert.match(text, /\r\nContent-Length: 6\r\n\r\n/);
  assert.ok(parseSipMessage(out).body.equals(body));
});

test('UTF-8 header text (display names, Subject) is decoded as UTF-8', () => {
  const raw = Buffer.from('MESSAGE sip:a@b SIP/2.0\r\nFrom: "东门摄像机" <sip:35020000001320000001@3502000000>;tag=1\r\nSubject: 通道一:0\r\nContent-Length: 0\r\n\r\n', 'utf8');
  const m = parseSipMessage(raw);
  assert.equal(parseNameAddr(m.headers.get('from')!).displayName, '东门摄像机');
  assert.equal(m.headers.get('subject'), '通道一:0');
});

test('responses; multiple Via in one line are split', () => {
  const m = parseSipMessage(Buffer.from('SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP a:1;branch=z9hG4bK1, SIP/2.0/UDP b:2;branch=z9hG4bK2\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n'));
  assert.equal(m.kind, 'response');
  if (m.kind !== 'response') return;
  assert.equal(m.status, 401);
  assert.equal(m.reason, 'Unauthorized');
  assert.deepEqual(
    m.headers.getAll('via').map((v) => parseVia(v).host),
    ['a', 'b'],
  );
});

test('bad input: typed errors, not crashes', () => {
  const bad = [
    'garbage\r\n\r\n',
    'REGISTER sip:x SIP/2.0\r\nNoColonHere\r\n\r\n',
    'REGISTER sip:x SIP/2.0\r\nContent-Length: 99\r\n\r\nshort',
    'REGISTER sip:x SIP/2.0\r\nContent-Length: -1\r\n\r\n',
    `REGISTER sip:x SIP/2.0\r\nX: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
  ];
  for (const b of bad) assert.throws(() => parseSipMessage(Buffer.from(b)), SipParseError, b.slice(0, 40));
  assert.throws(() => parseNameAddr('<sip:unclosed'), SipParseError);
  assert.throws(() => parseVia('SIP/3.0 nonsense'), SipParseError);
});

test('TCP framer splits by Content-Length across chunk boundaries and skips CRLF keepalives', () => {
  const msg = (n: number) => `MESSAGE sip:a@b SIP/2.0\r\nCall-ID: ${n}\r\nContent-Length: 3\r\n\r\nab${n}`;
  const stream = Buffer.from(`\r\n\r\n${msg(1)}${msg(2)}\r\n${msg(3)}`);
  const f = new SipStreamFramer();
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i += 7) out.push(...f.push(stream.subarray(i, i + 7)));
  assert.deepEqual(
    out.map((b) => parseSipMessage(b, { stream: true }).headers.get('call-id')),
    ['1', '2', '3'],
  );
  assert.equal(f.buffered, 0);
  assert.throws(() => new SipStreamFramer().push(Buffer.from('MESSAGE sip:a@b SIP/2.0\r\nCall-ID: 1\r\n\r\n')), /Content-Length/);
  assert.throws(() => new SipStreamFramer().push(Buffer.alloc(70 * 1024, 0x41)), /too large/);
});

test('digest: RFC 2617 §3.5 vector, qop and no-qop, answerChallenge ↔ verifyDigest', () => {
  // RFC 2617 §3.5: Mufasa / "Circle Of Life"
  assert.equal(
    digestResponse({ username: 'Mufasa', realm: 'testrealm@host.com', password: 'Circle Of Life', method: 'GET', uri: '/dir/index.html', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', qop: 'auth', nc: '00000001', cnonce: '0a4f113b' }),
    '6629fae49393a05397450978507c4ef1',
  );
  for (const qop of [true, false]) {
    const challenge = `Digest realm="3502000000", nonce="abc123"${qop ? ', qop="auth"' : ''}, algorithm=MD5`;
    const auth = answerChallenge(challenge, { username: '35020000001320000001', password: '12345678', method: 'REGISTER', uri: 'sip:35020000002000000001@3502000000' });
    const { scheme, params } = parseAuthParams(auth);
    assert.equal(scheme, 'Digest');
    assert.equal(params.qop, qop ? 'auth' : undefined);
    assert.equal(verifyDigest(params, 'REGISTER', '12345678'), true);
    assert.equal(verifyDigest(params, 'REGISTER', 'wrong'), false);
  }
});

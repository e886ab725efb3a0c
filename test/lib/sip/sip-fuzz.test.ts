import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAuthParams, parseNameAddr, parseSipMessage, parseVia, SipParseError, SipStreamFramer } from '../../../src/lib/sip/index.js';

const SEEDS = [
  'REGISTER sip:35020000002000000001@3502000000 SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1\r\nFrom: <sip:35020000001320000001@3502000000>;tag=1\r\nTo: <sip:35020000001320000001@3502000000>\r\nCall-ID: 1\r\nCSeq: 1 REGISTER\r\nAuthorization: Digest username="a", realm="b", nonce="c", uri="sip:x", response="d", qop=auth, nc=00000001, cnonce="e"\r\nContent-Length: 0\r\n\r\n',
  'MESSAGE sip:a@b SIP/2.0\nv: SIP/2.0/TCP 1.2.3.4;branch=z9hG4bKx\nf: "名字" <sip:a@b>;tag=2\nt: sip:c@d\ni: x\ncseq: 3 MESSAGE\nl: 4\n\n<a/>',
  'SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP a:1;branch=z9hG4bK1, SIP/2.0/UDP b:2\r\nWWW-Authenticate: Digest realm="3502000000", nonce="x", qop="auth"\r\nContent-Length: 0\r\n\r\n',
];

/** xorshift32: a seeded generator so a failure can be replayed with FUZZ_SEED. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

function mutate(buf: Buffer, r: () => number): Buffer {
  const b = Buffer.from(buf);
  const ops = 1 + Math.floor(r() * 6);
  let out = b;
  for (let i = 0; i < ops; i++) {
    const pos = Math.floor(r() * out.length);
    const k = r();
    if (k < 0.4) out[pos] = Math.floor(r() * 256);
    else if (k < 0.6) out = Buffer.concat([out.subarray(0, pos), out.subarray(pos + 1 + Math.floor(r() * 20))]);
    else if (k < 0.8) out = Buffer.concat([out.subarray(0, pos), Buffer.from(['\r\n', ':', ';', '"', '<', '>', ',', ' ', '\n\n', 'Content-Length: 5\r\n'][Math.floor(r() * 10)]), out.subarray(pos)]);
    else out = Buffer.concat([out.subarray(0, pos), out.subarray(pos, pos + Math.floor(r() * 50)), out.subarray(pos)]);
  }
  return out;
}

test('SIP parsing survives random mutation: a message or a SipParseError, never anything else, never slow', () => {
  const seed = Number(process.env.FUZZ_SEED ?? 20261125);
  const ms = Number(process.env.FUZZ_MS ?? 1500);
  const r = rng(seed);
  const until = Date.now() + ms;
  let n = 0;
  while (Date.now() < until) {
    const input = mutate(Buffer.from(SEEDS[n % SEEDS.length]), r);
    const t0 = performance.now();
    try {
      const m = parseSipMessage(input);
      for (const v of m.headers.getAll('via')) {
        try {
          parseVia(v);
        } catch (e) {
          assert.ok(e instanceof SipParseError, `parseVia threw ${e}`);
        }
      }
      for (const h of ['from', 'to', 'contact']) {
        const v = m.headers.get(h);
        if (v === undefined) continue;
        try {
          parseNameAddr(v);
        } catch (e) {
          assert.ok(e instanceof SipParseError, `parseNameAddr threw ${e}`);
        }
      }
      const auth = m.headers.get('authorization');
      if (auth) parseAuthParams(auth);
    } catch (e) {
      assert.ok(e instanceof SipParseError, `seed ${seed} case ${n}: ${String(e)} on ${JSON.stringify(input.toString('latin1').slice(0, 200))}`);
    }
    try {
      new SipStreamFramer().push(input);
    } catch (e) {
      assert.ok(e instanceof SipParseError, `framer: ${String(e)}`);
    }
    assert.ok(performance.now() - t0 < 200, `case ${n} took too long`);
    n++;
  }
  assert.ok(n > 500, `only ${n} cases ran`);
});

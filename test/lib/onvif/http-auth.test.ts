import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authorizationFor, canAnswerDigest, parseChallenges, pickChallenge } from '../../../src/lib/onvif/index.js';
import { parseAuthParams, verifyDigest } from '../../../src/lib/sip/digest.js';

test('parseChallenges splits headers joined by fetch and keeps quoted commas', () => {
  const list = parseChallenges('Digest realm="IP Camera(C1234)", qop="auth,auth-int", nonce="4e6a4d3a", opaque="", stale="FALSE", Basic realm="IP, Camera"');
  assert.deepEqual(list, [
    { scheme: 'digest', params: { realm: 'IP Camera(C1234)', qop: 'auth,auth-int', nonce: '4e6a4d3a', opaque: '', stale: 'FALSE' } },
    { scheme: 'basic', params: { realm: 'IP, Camera' } },
  ]);
  assert.deepEqual(parseChallenges(['Basic realm="x"', 'Digest realm="y", nonce=abc, algorithm=SHA-256']), [
    { scheme: 'basic', params: { realm: 'x' } },
    { scheme: 'digest', params: { realm: 'y', nonce: 'abc', algorithm: 'SHA-256' } },
  ]);
  assert.deepEqual(parseChallenges(null), []);
});

test('pickChallenge prefers SHA-256 Digest over MD5 over Basic; refuses auth-int-only and unknown algorithms', () => {
  const list = parseChallenges('Basic realm="r", Digest realm="r", nonce="n1", qop="auth", Digest realm="r", nonce="n2", qop="auth", algorithm=SHA-256');
  assert.equal(pickChallenge(list)?.params.nonce, 'n2');
  assert.equal(pickChallenge(parseChallenges('Basic realm="r"'))?.scheme, 'basic');
  assert.equal(canAnswerDigest({ scheme: 'digest', params: { nonce: 'n', qop: 'auth-int' } }), false);
  assert.equal(canAnswerDigest({ scheme: 'digest', params: { nonce: 'n', algorithm: 'SHA-512-256' } }), false);
  assert.equal(pickChallenge(parseChallenges('Negotiate')), undefined);
});

test('Digest MD5 with qop=auth: the RFC 2617 §3.5 example', () => {
  const c = parseChallenges('Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"')[0];
  const h = authorizationFor(c, { username: 'Mufasa', password: 'Circle Of Life', method: 'GET', uri: '/dir/index.html', nc: 1, cnonce: '0a4f113b' });
  const { scheme, params } = parseAuthParams(h);
  assert.equal(scheme, 'Digest');
  assert.equal(params.response, '6629fae49393a05397450978507c4ef1');
  assert.deepEqual([params.qop, params.nc, params.cnonce, params.opaque], ['auth', '00000001', '0a4f113b', '5ccc069c403ebaf9f0171e9517f40e41']);
  // The SIP stack's independent verifier agrees.
  assert.equal(verifyDigest(params, 'GET', 'Circle Of Life'), true);
});

test('Digest SHA-256 and MD5: the RFC 7616 §3.9.1 examples', () => {
  const base = 'realm="http-auth@example.org", qop="auth, auth-int", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';
  const args = { username: 'Mufasa', password: 'Circle of Life', method: 'GET', uri: '/dir/index.html', nc: 1, cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ' };
  const sha = parseAuthParams(authorizationFor(parseChallenges(`Digest ${base}, algorithm=SHA-256`)[0], args)).params;
  assert.equal(sha.response, '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  assert.equal(sha.algorithm, 'SHA-256');
  const md5 = parseAuthParams(authorizationFor(parseChallenges(`Digest ${base}, algorithm=MD5`)[0], args)).params;
  assert.equal(md5.response, '8ca523f5e9506fed4657c9700eebdbec');
});

test('Digest without qop (RFC 2069 form) and Basic', () => {
  const c = { scheme: 'digest', params: { realm: 'r', nonce: 'n' } };
  const { params } = parseAuthParams(authorizationFor(c, { username: 'u', password: 'p', method: 'POST', uri: '/onvif/device_service' }));
  assert.equal(params.qop, undefined);
  assert.equal(verifyDigest(params, 'POST', 'p'), true);
  assert.equal(authorizationFor({ scheme: 'basic', params: {} }, { username: 'admin', password: 'a:b', method: 'POST', uri: '/' }), `Basic ${Buffer.from('admin:a:b').toString('base64')}`);
});

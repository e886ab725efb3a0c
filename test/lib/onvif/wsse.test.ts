import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { formatCreated, OnvifError, passwordDigest, usernameToken } from '../../../src/lib/onvif/index.js';

test('passwordDigest reproduces the ONVIF Application Programmer\'s Guide example', () => {
  // Guide §6.1.1.3: Nonce LKqI6G/AikKCQrN0zqZFlg==, Created 2010-09-16T07:50:45Z, password "userpassword".
  const nonce = Buffer.from('LKqI6G/AikKCQrN0zqZFlg==', 'base64');
  assert.equal(passwordDigest(nonce, '2010-09-16T07:50:45Z', 'userpassword'), 'tuOSpGlFlIXsozq4HFNeeGeFLEI=');
});

test('passwordDigest hashes UTF-8 bytes of Created and password after the raw nonce bytes', () => {
  const nonce = Buffer.from([0, 1, 2, 255]);
  const expected = createHash('sha1').update(Buffer.concat([nonce, Buffer.from('2024-01-01T00:00:00Z'), Buffer.from('pässwörd', 'utf8')])).digest('base64');
  assert.equal(passwordDigest(nonce, '2024-01-01T00:00:00Z', 'pässwörd'), expected);
});

test('formatCreated: UTC, whole seconds, Z', () => {
  assert.equal(formatCreated(new Date(Date.UTC(2023, 10, 14, 6, 21, 7, 999))), '2023-11-14T06:21:07Z');
  assert.throws(() => formatCreated(new Date(NaN)), (e) => e instanceof OnvifError && e.code === 'INVALID_ARGUMENT');
});

test('usernameToken: header a camera can verify (namespaces, Type, EncodingType, escaping)', () => {
  const nonce = Buffer.from('LKqI6G/AikKCQrN0zqZFlg==', 'base64');
  const xml = usernameToken({ username: 'ad<m>&in', password: 'userpassword', created: new Date('2010-09-16T07:50:45.123Z'), nonce });
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' }).parse(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>${xml}</s:Header></s:Envelope>`);
  const sec = doc['s:Envelope']['s:Header']['wsse:Security'];
  assert.equal(sec['@_xmlns:wsse'], 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd');
  assert.equal(sec['@_xmlns:wsu'], 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd');
  assert.equal(sec['@_s:mustUnderstand'], '1');
  const tok = sec['wsse:UsernameToken'];
  assert.ok(xml.includes('<wsse:Username>ad&lt;m&gt;&amp;in</wsse:Username>')); // escaped on the wire
  assert.equal(tok['wsse:Username'], 'ad<m>&in');
  assert.equal(tok['wsse:Password']['#text'], 'tuOSpGlFlIXsozq4HFNeeGeFLEI=');
  assert.equal(tok['wsse:Password']['@_Type'], 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest');
  assert.equal(tok['wsse:Nonce']['#text'], 'LKqI6G/AikKCQrN0zqZFlg==');
  assert.equal(tok['wsse:Nonce']['@_EncodingType'], 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary');
  assert.equal(tok['wsu:Created'], '2010-09-16T07:50:45Z');
});

test('usernameToken draws a fresh 16-byte nonce each time', () => {
  const a = usernameToken({ username: 'u', password: 'p', created: new Date() });
  const b = usernameToken({ username: 'u', password: 'p', created: new Date() });
  const nonceOf = (x: string) => /<wsse:Nonce[^>]*>([^<]+)</.exec(x)![1];
  assert.notEqual(nonceOf(a), nonceOf(b));
  assert.equal(Buffer.from(nonceOf(a), 'base64').length, 16);
});

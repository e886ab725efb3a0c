import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { parseForm } from '../../src/api/routes/seed-images.js';
import { CONTENT_MARK, decodeImage, fillContents, parseFaceJson, parseVehicleJson, readImageJson } from '../../src/images/seed-parse.js';
import { SeedError, failBody, okBody, parseSeedTime, seedCompactTime, seedDateTime } from '../../src/images/seed-protocol.js';

// The pure parts of the seed interfaces: strict base64, imageJsonData shapes, times, answer bodies, form bodies.

const code = (fn: () => unknown): string => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return e instanceof SeedError ? e.code : `other: ${(e as Error).message}`;
  }
};

describe('seed parsing', () => {
  test('base64: standard, URL-safe, data URI, line breaks and un-encoded + (space) accepted; anything skipped is refused', () => {
    const b = randomBytes(1000);
    const s = b.toString('base64');
    assert.deepEqual(decodeImage(s, 'x', 10_000), b);
    assert.deepEqual(decodeImage(s.replace(/=+$/, ''), 'x', 10_000), b);
    assert.deepEqual(decodeImage(b.toString('base64url'), 'x', 10_000), b);
    assert.deepEqual(decodeImage(`data:image/jpeg;base64,${s}`, 'x', 10_000), b);
    assert.deepEqual(decodeImage(s.replace(/(.{76})/g, '$1\r\n'), 'x', 10_000), b);
    assert.deepEqual(decodeImage(s.replace(/\+/g, ' '), 'x', 10_000), b);
    for (const bad of ['OSDF3dX3skdkf.....', 'QUJD!', 'QU=D', 'QUJD====', '%%%notbase64%%%', 'Q', `${s.slice(0, 100)}*${s.slice(100)}`, 'data:image/jpeg,QUJD']) {
      assert.equal(code(() => decodeImage(bad, 'x', 10_000)), 'EC004', bad.slice(0, 20));
    }
    assert.equal(code(() => decodeImage('', 'x', 10)), 'EC004');
    assert.equal(code(() => decodeImage(123, 'x', 10)), 'EC004');
    assert.equal(code(() => decodeImage(s, 'x', 999)), 'EC005');
    assert.equal(code(() => decodeImage('A'.repeat(4 * 2 ** 20), 'x', 2 ** 20)), 'EC005');
  });

  test('imageJsonData: a JSON string or an object; keys trimmed; faces as an array or one object; 256 faces at most', () => {
    assert.equal(code(() => readImageJson('{"a":')), 'EC004');
    assert.equal(code(() => readImageJson('[1,2]')), 'EC004');
    assert.equal(code(() => readImageJson(undefined)), 'EC004');
    const j = readImageJson(JSON.stringify({ ' locationName': '环岛路', 'longitude ': '23.34' }));
    assert.deepEqual(j, { locationName: '环岛路', longitude: '23.34' });
    const img = randomBytes(50).toString('base64');
    const one = parseFaceJson({ faceImages: { ' type': 'JPEG', content: img, facePos: { leftTopX: '1', leftTopY: 2, rightBottomX: 3, rightBottomY: 4 } } }, 1000);
    assert.equal(one.images.length, 1);
    assert.equal(one.images[0].type, 'jpg');
    assert.deepEqual(one.images[0].pos, { leftTopX: 1, leftTopY: 2, rightBottomX: 3, rightBottomY: 4 });
    assert.deepEqual(one.meta.faceImages, [{ type: 'JPEG', content: `${CONTENT_MARK}0`, facePos: { leftTopX: '1', leftTopY: 2, rightBottomX: 3, rightBottomY: 4 } }]);
    assert.equal(parseFaceJson({ faceImages: Array.from({ length: 256 }, () => ({ content: img })) }, 1000).images.length, 256);
    assert.equal(code(() => parseFaceJson({ faceImages: Array.from({ length: 257 }, () => ({ content: img })) }, 1000)), 'EC004');
    assert.equal(code(() => parseFaceJson({ faceImages: [] }, 1000)), 'EC004');
  });

  test('vehicle images: zpcltp as an array or an object, the others too; contents go back where they came from', () => {
    const a = randomBytes(30);
    const b = randomBytes(40);
    const c = randomBytes(50);
    const p = parseVehicleJson({ gcjlid: 'G1', zpcltp: [{ content: a.toString('base64') }, { content: b.toString('base64') }], zpcptp: { content: c.toString('base64'), fileSize: '50' } }, 1000);
    assert.deepEqual(p.images.map((i) => [i.role, i.index, i.buf.length]), [['zpcltp', 0, 30], ['zpcltp', 1, 40], ['zpcptp', 0, 50]]);
    const back = fillContents(p.meta, (n) => [a, b, c][n].toString('base64')) as Record<string, any>;
    assert.equal(back.zpcltp[1].content, b.toString('base64'));
    assert.equal(back.zpcptp.content, c.toString('base64'));
    assert.equal(back.zpcptp.fileSize, '50');
    const single = parseVehicleJson({ zpcltp: { content: a.toString('base64') } }, 1000);
    assert.equal((single.meta.zpcltp as { content: string }).content, `${CONTENT_MARK}0`);
    assert.equal(code(() => parseVehicleJson({ gcjlid: 'G1', cphm: '闽D1' }, 1000)), 'EC004');
  });

  test('times in every form the seed and its peers print; answers in the seed bodies', () => {
    const tz = 'Asia/Shanghai';
    const want = Date.parse('2026-11-25T02:00:00Z');
    for (const s of ['20261125100000', '2026-11-25 10:00:00', '2026-11-2510:00:00', '2026-11-25T10:00:00', '2026-11-25T02:00:00Z', '2026-11-25 10:00:00+08:00', String(want), String(want / 1000), want]) {
      assert.equal(parseSeedTime(s, tz), want, String(s));
    }
    assert.equal(parseSeedTime('20261125100000123', tz), want + 123);
    assert.ok(Number.isNaN(parseSeedTime('yesterday', tz)));
    assert.equal(seedDateTime(new Date(want), tz), '2026-11-25 10:00:00');
    assert.equal(seedCompactTime(new Date(want), tz), '20261125100000');
    assert.deepEqual(okBody('saveImageData'), { success: true, result: { serviceName: 'saveImageData' } });
    assert.deepEqual(okBody('authenticate', { appIdentityKey: 'k' }), { success: true, result: { serviceName: 'authenticate', appIdentityKey: 'k' } });
    assert.deepEqual(okBody('timing', { systemTime: 'x' }), { success: true, result: { systemTime: 'x' } });
    assert.deepEqual(failBody('keepAlive', 'EC001', 'm'), { success: false, result: { errorCode: 'EC001', serviceName: 'keepAlive' }, message: 'm' });
    assert.deepEqual(failBody('timing', 'EC006', ''), { success: false, message: '' });
  });

  test('form bodies: percent-encoding, + as space, first value wins, malformed escapes refused', () => {
    assert.deepEqual(parseForm('a=1&b=%2B%2F%3D&c=x+y&a=2&d&=e'), { a: '1', b: '+/=', c: 'x y', d: '', '': 'e' });
    assert.deepEqual(parseForm(`imageJsonData=${encodeURIComponent('{"k":"环岛路 +"}')}`), { imageJsonData: '{"k":"环岛路 +"}' });
    assert.throws(() => parseForm('a=%E4%B8'), /malformed/);
    assert.deepEqual(parseForm(''), {});
  });
});

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isAppError } from '../../src/core/errors.js';
import { ObjectStore } from '../../src/media/record/object-store.js';
import { TestS3Server } from '../helpers/s3-server.js';

// The media node's S3 client (AWS SDK v3) against the S3 test double, which verifies SigV4 and Content-MD5.

describe('S3 object store (issue 8)', () => {
  const s3 = new TestS3Server();
  let dir = '';
  let file = '';
  let data: Buffer;
  let store: ObjectStore;
  const settings = () => ({ endpoint: s3.endpoint, bucket: 'records', region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true, readAheadBytes: 256 * 1024, connectTimeoutMs: 1000, requestTimeoutMs: 5000 });

  before(async () => {
    await s3.start();
    s3.createBucket('records');
    dir = mkdtempSync(path.join(tmpdir(), 'sharpeye-s3-'));
    file = path.join(dir, 'seg.mp4');
    data = randomBytes(3 * 1024 * 1024 + 123);
    writeFileSync(file, data);
    store = new ObjectStore(settings());
  });

  after(async () => {
    store?.close();
    await s3.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('put checks the file against the index, uploads with Content-MD5; ETag is the MD5', async () => {
    const sha = createHash('sha256').update(data).digest('hex');
    const md5 = createHash('md5').update(data).digest('hex');
    const r = await store.put('records/a/20261125/1.mp4', file, { size: data.length, checksum: sha });
    assert.deepEqual(r, { size: data.length, etag: md5 });
    assert.ok(s3.objects('records').get('records/a/20261125/1.mp4')!.body.equals(data));
    await assert.rejects(store.put('records/a/x.mp4', file, { size: data.length, checksum: 'f'.repeat(64) }), (e: unknown) => isAppError(e) && e.code === 'RECORD_DAMAGED');
    await assert.rejects(store.put('records/a/x.mp4', path.join(dir, 'gone.mp4')), (e: unknown) => isAppError(e) && e.code === 'RECORD_DAMAGED');
    assert.equal(s3.objects('records').has('records/a/x.mp4'), false, 'a file that does not match is not uploaded');
  });

  test('ranged reads return the file bytes; small reads share one read-ahead GET', async () => {
    const h = await store.head('records/a/20261125/1.mp4');
    assert.equal(h?.size, data.length);
    const rd = await store.reader('records/a/20261125/1.mp4', { size: data.length, etag: h!.etag });
    const before = s3.requests.length;
    const b = Buffer.alloc(4096);
    for (let pos = 0; pos < 200_000; pos += 4096) {
      const { bytesRead } = await rd.read(b, 0, 4096, pos);
      assert.equal(bytesRead, 4096);
      assert.ok(b.equals(data.subarray(pos, pos + 4096)), `bytes at ${pos}`);
    }
    assert.equal(s3.requests.length - before, 1, '49 small reads inside 256 KiB: one GET');
    const big = Buffer.alloc(2 * 1024 * 1024);
    const { bytesRead } = await rd.read(big, 0, big.length, data.length - 1_000_000);
    assert.equal(bytesRead, 1_000_000, 'a read past the end stops at the end');
    assert.ok(big.subarray(0, bytesRead).equals(data.subarray(data.length - 1_000_000)));
    await rd.close();
    // a replaced object is an error, not other bytes (If-Match)
    const stale = await store.reader('records/a/20261125/1.mp4', { size: data.length, etag: '0'.repeat(32) });
    await assert.rejects(stale.read(b, 0, 10, 0), (e: unknown) => isAppError(e) && e.code === 'OBJECT_STORE_UNAVAILABLE');
  });

  test('check: ok, missing, wrong ETag; delete is idempotent', async () => {
    const key = 'records/a/20261125/1.mp4';
    const etag = s3.objects('records').get(key)!.etag;
    assert.equal((await store.check(key, { size: data.length, etag })).state, 'ok');
    assert.equal((await store.check(key, { size: data.length, etag: 'abc' })).state, 'checksum');
    assert.equal((await store.check(key, { size: data.length + 1, etag })).state, 'truncated');
    assert.equal((await store.check('records/none.mp4', { size: 1 })).state, 'missing');
    const d = await store.delete([key, 'records/none.mp4']);
    assert.deepEqual(d, { deleted: 2, failed: [] });
    assert.equal(s3.objects('records').size, 0);
  });

  test('wrong secret or a down endpoint: OBJECT_STORE_UNAVAILABLE, quickly', async () => {
    const wrong = new ObjectStore({ ...settings(), secretAccessKey: 'not-the-secret' });
    await assert.rejects(wrong.put('records/b.mp4', file), (e: unknown) => isAppError(e) && e.code === 'OBJECT_STORE_UNAVAILABLE' && /SignatureDoesNotMatch|403/.test(e.message));
    wrong.close();
    assert.equal(s3.objects('records').has('records/b.mp4'), false);
    const port = s3.port;
    await s3.stop();
    const t0 = Date.now();
    await assert.rejects(store.put('records/c.mp4', file), (e: unknown) => isAppError(e) && e.code === 'OBJECT_STORE_UNAVAILABLE');
    assert.equal((await store.check('records/c.mp4', { size: 1 })).state, 'unreadable');
    assert.ok(Date.now() - t0 < 5000, `failed in ${Date.now() - t0} ms`);
    await s3.start(port);
    await store.put('records/c.mp4', file);
    assert.equal(s3.objects('records').get('records/c.mp4')!.body.length, data.length, 'works again once the endpoint is back');
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { isAppError } from '../../src/core/errors.js';
import { loadConfig } from '../../src/config/index.js';
import { segmentPath } from '../../src/media/record/segment-path.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';
import { TestS3Server } from '../helpers/s3-server.js';

// S3 storage and local space (issue 8): configuration, and a recording directory running low while segments are
// also in S3 — their local copies go first, before any recording is overwritten (nothing is lost).

test('S3 configuration: off without a bucket; defaults; bad values name the key', () => {
  const base = { SHARPEYE_DATA_DIR: '/tmp/x' };
  assert.equal(loadConfig(base).s3, null);
  const aws = loadConfig({ ...base, SHARPEYE_S3_BUCKET: 'rec-bucket' }).s3!;
  assert.deepEqual({ ...aws }, { endpoint: undefined, bucket: 'rec-bucket', region: 'us-east-1', accessKeyId: undefined, secretAccessKey: undefined, forcePathStyle: false, keepLocalHours: 24 });
  const own = loadConfig({ ...base, SHARPEYE_S3_BUCKET: 'rec', SHARPEYE_S3_ENDPOINT: 'http://10.0.0.5:9000/', SHARPEYE_S3_ACCESS_KEY: 'a', SHARPEYE_S3_SECRET_KEY: 'b', SHARPEYE_S3_KEEP_LOCAL_HOURS: '0.5' }).s3!;
  assert.equal(own.endpoint, 'http://10.0.0.5:9000');
  assert.equal(own.forcePathStyle, true, 'path style by default for a self-hosted endpoint');
  assert.equal(own.keepLocalHours, 0.5);
  assert.equal(loadConfig({ ...base, SHARPEYE_S3_BUCKET: 'rec', SHARPEYE_S3_ENDPOINT: 'http://h:9000', SHARPEYE_S3_FORCE_PATH_STYLE: 'false' }).s3!.forcePathStyle, false);
  const bad: Array<[Record<string, string>, string]> = [
    [{ SHARPEYE_S3_ENDPOINT: 'http://h:9000' }, 'SHARPEYE_S3_ENDPOINT'],
    [{ SHARPEYE_S3_BUCKET: 'Bad_Bucket' }, 'SHARPEYE_S3_BUCKET'],
    [{ SHARPEYE_S3_BUCKET: 'rec', SHARPEYE_S3_ENDPOINT: 'ftp://h' }, 'SHARPEYE_S3_ENDPOINT'],
    [{ SHARPEYE_S3_BUCKET: 'rec', SHARPEYE_S3_ACCESS_KEY: 'a' }, 'SHARPEYE_S3_SECRET_KEY'],
    [{ SHARPEYE_S3_BUCKET: 'rec', SHARPEYE_S3_KEEP_LOCAL_HOURS: '-1' }, 'SHARPEYE_S3_KEEP_LOCAL_HOURS'],
    [{ SHARPEYE_S3_BUCKET: 'rec', SHARPEYE_S3_FORCE_PATH_STYLE: 'maybe' }, 'SHARPEYE_S3_FORCE_PATH_STYLE'],
  ];
  for (const [env, key] of bad)
    assert.throws(
      () => loadConfig({ ...base, ...env }),
      (e: unknown) => isAppError(e) && e.code === 'CONFIG_INVALID' && e.message.includes(key),
      `${JSON.stringify(env)} names ${key}`,
    );
});

const CH = '35020000001320000001';
const canMount = process.getuid?.() === 0;

describe('a recording directory running low with S3', { skip: !canMount && 'needs root to mount a small tmpfs' }, () => {
  const mnt = mkdtempSync(path.join(tmpdir(), 'sharpeye-s3low-'));
  const s3 = new TestS3Server();
  let t: TestApp | undefined;
  after(async () => {
    await t?.close();
    await s3.stop();
    spawnSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });

  test('local copies of uploaded segments go first (keep-local time or not); nothing is overwritten or lost', async (tt) => {
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]);
    if (m.status !== 0) return tt.skip(`mount refused: ${m.stderr}`);
    await s3.start();
    s3.createBucket('rec');
    t = await startTestApp(
      'sqlite',
      { SHARPEYE_RECORD_DIRS: mnt, SHARPEYE_RECORD_MIN_FREE_MB: '1', SHARPEYE_RECORD_OVERWRITE: 'true', SHARPEYE_S3_ENDPOINT: s3.endpoint, SHARPEYE_S3_BUCKET: 'rec', SHARPEYE_S3_ACCESS_KEY: s3.accessKeyId, SHARPEYE_S3_SECRET_KEY: s3.secretAccessKey, SHARPEYE_S3_KEEP_LOCAL_HOURS: '24' },
      {},
      { uploader: { intervalMs: 3600_000 } },
    );
    const dev = await t.app.inject({ method: 'POST', url: '/api/v1/devices', headers: t.admin, payload: { id: '35020000001110000001', name: 'NVR' } });
    assert.ok(dev.statusCode < 300, dev.body);
    assert.ok((await t.app.inject({ method: 'POST', url: '/api/v1/channels', headers: t.admin, payload: { id: CH, deviceId: '35020000001110000001', name: 'c1' } })).statusCode < 300);
    const now = Date.now();
    const files: string[] = [];
    for (let i = 0; i < 7; i++) {
      const file = segmentPath(mnt, CH, now - (10 - i) * 3600_000);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, Buffer.alloc(480 * 1024, i));
      await t.platform.store.segments.insert({ channelId: CH, startMs: now - (10 - i) * 3600_000, endMs: now - (10 - i) * 3600_000 + 300_000, size: 480 * 1024, path: file, nodeId: t.platform.media!.id, codec: 'h264', checksum: null, state: 'closed' });
      files.push(file);
    }
    const up = await t.app.inject({ method: 'POST', url: '/api/v1/records/upload', headers: t.admin });
    assert.equal(up.statusCode, 200, up.body);
    assert.equal(up.json().uploaded, 7);
    assert.equal(up.json().localRemoved, 0, 'keep-local 24 h: the copies stay');
    assert.ok(files.every((f) => existsSync(f)));

    const r = await t.app.inject({ method: 'POST', url: '/api/v1/records/cleanup', headers: t.admin });
    assert.equal(r.statusCode, 200, r.body);
    const rep = r.json();
    assert.equal(rep.lowSpace.length, 1);
    assert.ok(rep.localCopiesDropped >= 2, r.body);
    assert.equal(rep.overwritten, 0, 'no recording deleted: dropping uploaded copies freed enough');
    assert.ok(!existsSync(files[0]) && existsSync(files[6]), 'oldest copies first');
    const rows = await t.platform.store.segments.range(CH, 0, now + 60_000);
    assert.equal(rows.length, 7, 'every segment still indexed');
    assert.ok(rows.every((s) => s.storage === 's3' && s3.objects('rec').has(s.objectKey!)));
    assert.equal(rows.filter((s) => !s.localCopy).length, rep.localCopiesDropped);
  });
});

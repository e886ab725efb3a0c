import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openDatabase, type Database } from '../../src/store/db.js';
import { createStore, type Store } from '../../src/store/index.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../helpers/databases.js';

// The S3 upload queue and watermark policies in the index (issue 8, migration 008) on SQLite and PostgreSQL.

const CH = '35020000001320000001';

for (const dialect of DIALECTS) {
  describe(`S3 upload queue and watermark policies (${dialect})`, () => {
    let tdb: TestDatabase;
    let database: Database;
    let store: Store;
    before(async () => {
      tdb = await freshDatabase(dialect);
      database = openDatabase(tdb.url);
      const applied = await migrateToLatest(database);
      assert.ok(applied.includes('008_record_storage'), applied.join(','));
      store = createStore(database);
    });
    after(async () => {
      await database?.close();
      await tdb?.drop();
    });

    test('local → uploading → s3; failures back off; a crash resets uploading; local copies after keep-local', async () => {
      const seg = (i: number, state: 'open' | 'closed' = 'closed', node = 'n1') =>
        store.segments.insert({ channelId: CH, startMs: 1_000_000 + i * 300_000, endMs: 1_000_000 + (i + 1) * 300_000, size: 1000 + i, path: `/r/${CH}/19700101/${i}-${node}.mp4`, nodeId: node, codec: 'h264', checksum: null, state });
      const ids = [await seg(0), await seg(1), await seg(2), await seg(3, 'open'), await seg(4, 'closed', 'n2')];
      const fresh = (await store.segments.get(ids[0]))!;
      assert.equal(fresh.storage, 'local');
      assert.equal(fresh.localCopy, true);
      assert.equal(fresh.uploadAttempts, 0);

      const now = '2026-11-25T02:00:00.000Z';
      let due = await store.segments.uploadDue('n1', now, 10);
      assert.deepEqual(due.map((s) => s.id), ids.slice(0, 3), 'closed segments of this node, oldest first (not the open one, not n2)');
      assert.equal(await store.segments.claimUpload(ids[0]), true);
      assert.equal(await store.segments.claimUpload(ids[0]), false, 'claimed once');
      assert.equal(await store.segments.claimUpload(ids[1]), true);
      assert.equal(await store.segments.claimUpload(ids[2]), true);
      assert.equal(await store.segments.finishUpload(ids[0], { objectKey: 'records/a/0.mp4', etag: 'e0', uploadedAt: '2026-11-25T01:00:00.000Z' }), true);
      await store.segments.failUpload(ids[1], { attempts: 1, after: '2026-11-25T02:00:10.000Z', error: 'OBJECT_STORE_UNAVAILABLE: ECONNREFUSED' });
      due = await store.segments.uploadDue('n1', now, 10);
      assert.deepEqual(due.map((s) => s.id), [], 'the failed one waits for its back-off, the other is uploading');
      assert.deepEqual((await store.segments.uploadDue('n1', '2026-11-25T02:00:11.000Z', 10)).map((s) => s.id), [ids[1]]);
      assert.equal(await store.segments.resetUploading('n1'), 1, 'restart: the interrupted upload starts again');
      assert.equal((await store.segments.get(ids[2]))!.storage, 'local');
      const failed = (await store.segments.get(ids[1]))!;
      assert.equal(failed.uploadAttempts, 1);
      assert.match(failed.uploadError ?? '', /ECONNREFUSED/);

      const up = (await store.segments.get(ids[0]))!;
      assert.deepEqual([up.storage, up.objectKey, up.etag, up.localCopy], ['s3', 'records/a/0.mp4', 'e0', true]);
      assert.deepEqual((await store.segments.localCopies('n1', '2026-11-25T00:59:59.000Z', 10)).length, 0, 'not before keep-local');
      assert.deepEqual((await store.segments.localCopies('n1', '2026-11-25T01:00:00.000Z', 10)).map((s) => s.id), [ids[0]]);
      await store.segments.markLocalGone([ids[0]]);
      assert.equal((await store.segments.get(ids[0]))!.localCopy, false);
      assert.deepEqual((await store.segments.oldest({ limit: 10, nodeId: 'n1', localOnly: true })).map((s) => s.id), [ids[1], ids[2]], 'overwrite skips segments without a local file');

      const sum = await store.segments.storageSummary();
      assert.deepEqual(sum.s3, { segments: 1, bytes: 1000, localCopies: 0 });
      assert.equal(sum.local.segments, 3, 'n1 ×2 and n2');
      assert.equal(sum.failing, 1);
      assert.match(sum.lastError ?? '', /ECONNREFUSED/);
      assert.equal(sum.nextRetry, '2026-11-25T02:00:10.000Z');
      // an upload finishing after retention removed its row says so (the uploader then deletes the orphan object)
      assert.equal(await store.segments.claimUpload(ids[2]), true);
      await store.segments.delete([ids[2]]);
      assert.equal(await store.segments.finishUpload(ids[2], { objectKey: 'k', etag: 'e', uploadedAt: now }), false);
    });

    test('watermark policies: per channel and per role, enabled ones apply', async () => {
      const at = '2026-11-25T02:00:00.000Z';
      await store.watermarks.put({ kind: 'channel', targetId: CH, enabled: true, text: '内部资料', updatedAt: at, updatedBy: 'admin' });
      await store.watermarks.put({ kind: 'role', targetId: 'role-operator', enabled: true, text: null, updatedAt: at, updatedBy: 'admin' });
      await store.watermarks.put({ kind: 'role', targetId: 'role-auditor', enabled: false, text: null, updatedAt: at, updatedBy: 'admin' });
      assert.deepEqual((await store.watermarks.applicable(CH, [])).map((p) => p.kind), ['channel']);
      assert.deepEqual((await store.watermarks.applicable('other', ['role-operator', 'role-auditor'])).map((p) => p.targetId), ['role-operator'], 'a disabled policy does not apply');
      assert.equal((await store.watermarks.applicable(CH, ['role-operator'])).length, 2);
      await store.watermarks.put({ kind: 'channel', targetId: CH, enabled: false, text: 'x', updatedAt: at, updatedBy: 'sys' });
      const p = (await store.watermarks.get('channel', CH))!;
      assert.deepEqual([p.enabled, p.text, p.updatedBy], [false, 'x', 'sys'], 'upsert');
      assert.equal((await store.watermarks.list()).length, 3);
      assert.equal(await store.watermarks.delete('channel', CH), true);
      assert.equal(await store.watermarks.get('channel', CH), undefined);
    });
  });
}

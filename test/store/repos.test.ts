import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openDatabase, type Database } from '../../src/store/db.js';
import { createStore, type Store } from '../../src/store/index.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { expandOrgIds } from '../../src/store/repos/orgs.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../helpers/databases.js';

const NOW = '2026-11-25T02:00:00.000Z';

for (const dialect of DIALECTS) {
  describe(`store repositories (${dialect})`, () => {
    let tdb: TestDatabase;
    let database: Database;
    let store: Store;
    before(async () => {
      tdb = await freshDatabase(dialect);
      database = openDatabase(tdb.url);
      const applied = await migrateToLatest(database);
      assert.deepEqual(applied.slice(0, 3), ['001_foundation', '002_gb28181', '003_media']);
      assert.deepEqual([...applied].sort(), applied, 'applied in name order');
      assert.deepEqual(await migrateToLatest(database), [], 'migrations are idempotent');
      store = createStore(database);
    });
    after(async () => {
      await database.close();
      await tdb.drop();
    });

    test('orgs, devices and channels with scope filters and paging', async () => {
      await store.orgs.create({ id: '35', name: '福建省', parentId: null, type: 'region', sort: 0 }, NOW);
      await store.orgs.create({ id: '3502', name: '厦门市', parentId: '35', type: 'region', sort: 0 }, NOW);
      await store.orgs.create({ id: '350203', name: '思明区', parentId: '3502', type: 'region', sort: 0 }, NOW);
      assert.deepEqual(expandOrgIds(await store.orgs.all(), ['3502']).sort(), ['3502', '350203']);
      for (let i = 0; i < 25; i++) {
        const id = `350200000013200${String(i).padStart(5, '0')}`;
        await store.devices.create(id, { name: `dev${i}`, orgId: i < 5 ? '350203' : null }, NOW);
        await store.channels.create(`350200000013100${String(i).padStart(5, '0')}`, id, { name: `ch${i}`, orgId: i < 5 ? '350203' : null }, NOW);
      }
      const all = await store.devices.list({ all: true }, { page: 2, pageSize: 10 });
      assert.equal(all.total, 25);
      assert.equal(all.items.length, 10);
      assert.equal(all.items[0].name, 'dev10');
      assert.equal(all.items[0].channelCount, 1);
      const scoped = await store.channels.list({ all: false, orgIds: ['350203'], channelIds: ['35020000001310000020'] }, {});
      assert.equal(scoped.total, 6);
      const devs = await store.devices.list({ all: false, orgIds: [], channelIds: ['35020000001310000020'] }, {});
      assert.deepEqual(
        devs.items.map((d) => d.id),
        ['35020000001320000020'],
      );
      const none = await store.channels.list({ all: false, orgIds: [], channelIds: [] }, {});
      assert.equal(none.total, 0);
      await store.devices.setOnline('35020000001320000003', true, NOW);
      assert.equal((await store.devices.list({ all: true }, { online: true })).total, 1);
      assert.ok(await store.devices.delete('35020000001320000003'));
      assert.equal(await store.channels.exists('35020000001310000003'), false, 'channels go with their device');
    });

    test('roles with scopes; users with roles', async () => {
      await store.roles.create('r1', { name: '巡查员', permissions: ['live.view'], orgIds: ['3502'], channelIds: ['35020000001310000001', '35020000001310000001'] }, false, NOW);
      const r = await store.roles.get('r1');
      assert.deepEqual(r?.orgIds, ['3502']);
      assert.deepEqual(r?.channelIds, ['35020000001310000001']);
      await store.roles.update('r1', { channelIds: [] }, NOW);
      assert.deepEqual((await store.roles.get('r1'))?.channelIds, []);
      assert.deepEqual((await store.roles.get('r1'))?.orgIds, ['3502'], 'untouched scope kinds stay');
    });

    test('settings default and persist', async () => {
      assert.equal((await store.settings.get()).logRetentionDays, 180);
      await store.settings.set({ logRetentionDays: 365 });
      await store.settings.set({ logRetentionDays: 400 });
      assert.equal((await store.settings.get()).logRetentionDays, 400);
    });

    test('concurrent user-log appends keep one unbroken chain', async () => {
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.logs.appendUser({ at: NOW, userId: null, username: `u${i}`, action: 'test', result: 'ok' })));
      const v = await store.logs.verifyUserChain();
      assert.deepEqual(v, { ok: true, checked: 50 });
    });
  });
}

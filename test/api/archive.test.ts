import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DIALECTS } from '../helpers/databases.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';

const DEV = '35020000001320000001';

for (const dialect of DIALECTS) {
  describe(`device archive (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      const org = await t.app.inject({ method: 'POST', url: '/api/v1/orgs', headers: t.admin, payload: { id: '350203', name: '思明区', type: 'region' } });
      assert.equal(org.statusCode, 201, org.body);
    });
    after(() => t.close());

    test('creates a device with the full archive and reads it back', async () => {
      const body = {
        id: DEV,
        name: '中山路沿街商铺-01',
        manufacturer: 'Hikvision',
        model: 'DS-2CD3T46',
        firmware: 'V5.7.3',
        ip: '192.168.1.64',
        port: 5060,
        transport: 'tcp',
        installAddress: '厦门市思明区中山路 100 号',
        longitude: 118.0894,
        latitude: 24.4798,
        orgId: '350203',
        siteCategory: 'shop',
        ownerUnit: '某某商贸有限公司',
        contactPerson: '张三',
        contactPhone: '13800000000',
        installDate: '2026-03-01',
        capabilities: { ir: true, lowLight: true, wdr: false, gps: false, ptz: true, faceCapture: false },
        remark: 'east gate',
        password: 'devpass1',
      };
      const r = await t.app.inject({ method: 'POST', url: '/api/v1/devices', headers: t.admin, payload: body });
      assert.equal(r.statusCode, 201, r.body);
      const d = (await t.app.inject({ url: `/api/v1/devices/${DEV}`, headers: t.admin })).json();
      assert.equal(d.typeCode, '132');
      assert.equal(d.name, body.name);
      assert.equal(d.longitude, body.longitude);
      assert.deepEqual(d.capabilities, body.capabilities);
      assert.equal(d.hasPassword, true);
      assert.equal(d.password, undefined);
      assert.equal(d.transport, 'tcp');
      // the password is sealed at rest, never stored in clear
      const sealed = await t.platform.store.devices.passwordSealed(DEV);
      assert.ok(sealed && !sealed.includes('devpass1'));
      assert.equal(t.platform.secrets.open(sealed), 'devpass1');
    });

    test('bad input gets specific 4xx codes and changes nothing', async () => {
      const cases: [unknown, number, string][] = [
        [{ id: '123', name: 'x' }, 400, 'VALIDATION_FAILED'],
        [{ id: DEV, name: 'dup' }, 409, 'CONFLICT'],
        [{ id: '35020000001320000002', name: 'x', port: 'eighty' }, 400, 'VALIDATION_FAILED'],
        [{ id: '35020000001320000002', name: 'x', bogus: 1 }, 400, 'VALIDATION_FAILED'],
        [{ id: '35020000001320000002', name: 'x', orgId: '999999' }, 400, 'VALIDATION_FAILED'],
        [{ id: '35020000001320000002', name: 'x', longitude: 200 }, 400, 'VALIDATION_FAILED'],
        [{ id: '35020000001320000002', name: 'x', siteCategory: 'castle' }, 400, 'VALIDATION_FAILED'],
      ];
      for (const [payload, status, code] of cases) {
        const r = await t.app.inject({ method: 'POST', url: '/api/v1/devices', headers: t.admin, payload: payload as object });
        assert.equal(r.statusCode, status, JSON.stringify(payload) + r.body);
        assert.equal(r.json().code, code, JSON.stringify(payload));
        assert.ok(r.json().message.length > 5);
      }
      const unknown = await t.app.inject({ method: 'POST', url: '/api/v1/devices', headers: t.admin, payload: { id: DEV, name: 'x', bogus: 1 } });
      assert.match(unknown.json().message, /unknown field "bogus"/);
      const malformed = await t.app.inject({ method: 'POST', url: '/api/v1/devices', headers: { ...t.admin, 'content-type': 'application/json' }, payload: '{"id": ' });
      assert.equal(malformed.json().code, 'INVALID_JSON');
      const big = await t.app.inject({ method: 'POST', url: '/api/v1/devices', headers: { ...t.admin, 'content-type': 'application/json' }, payload: JSON.stringify({ id: DEV, name: 'x'.repeat(2 * 1024 * 1024) }) });
      assert.equal(big.statusCode, 413);
      assert.equal(big.json().code, 'PAYLOAD_TOO_LARGE');
      const sqlish = await t.app.inject({ url: `/api/v1/devices?q=${encodeURIComponent("'; DROP TABLE devices; --")}`, headers: t.admin });
      assert.equal(sqlish.statusCode, 200);
      assert.equal(sqlish.json().total, 0);
      const list = await t.app.inject({ url: '/api/v1/devices', headers: t.admin });
      assert.equal(list.json().total, 1);
      assert.equal(list.json().items[0].name, '中山路沿街商铺-01');
    });

    test('unknown GB type codes are accepted with a warning', async () => {
      const r = await t.app.inject({ method: 'POST', url: '/api/v1/devices', headers: t.admin, payload: { id: '35020000009990000001', name: 'odd' } });
      assert.equal(r.statusCode, 201);
      assert.match(r.json().warning, /999/);
      await t.app.inject({ method: 'DELETE', url: '/api/v1/devices/35020000009990000001', headers: t.admin });
    });

    test('channels: create, filter, patch, delete; search escapes wildcards', async () => {
      for (let i = 1; i <= 3; i++) {
        const r = await t.app.inject({
          method: 'POST',
          url: '/api/v1/channels',
          headers: t.admin,
          payload: { id: `3502000000131000000${i}`, deviceId: DEV, name: `通道${i}_100%`, orgId: '350203', capabilities: { ptz: i === 1 } },
        });
        assert.equal(r.statusCode, 201, r.body);
      }
      const byDevice = await t.app.inject({ url: `/api/v1/channels?deviceId=${DEV}&pageSize=2`, headers: t.admin });
      assert.equal(byDevice.json().total, 3);
      assert.equal(byDevice.json().items.length, 2);
      assert.equal((await t.app.inject({ url: `/api/v1/channels?q=${encodeURIComponent('2_100%')}`, headers: t.admin })).json().total, 1);
      assert.equal((await t.app.inject({ url: `/api/v1/channels?q=${encodeURIComponent('%')}`, headers: t.admin })).json().total, 3);
      assert.equal((await t.app.inject({ url: `/api/v1/channels?online=true`, headers: t.admin })).json().total, 0);
      const dev = (await t.app.inject({ url: `/api/v1/devices/${DEV}`, headers: t.admin })).json();
      assert.equal(dev.channelCount, 3);
      const p = await t.app.inject({ method: 'PATCH', url: '/api/v1/channels/35020000001310000003', headers: t.admin, payload: { name: '后门', sensitive: true } });
      assert.equal(p.json().name, '后门');
      assert.equal(p.json().sensitive, true);
      assert.equal((await t.app.inject({ method: 'DELETE', url: '/api/v1/channels/35020000001310000003', headers: t.admin })).statusCode, 204);
      assert.equal((await t.app.inject({ url: '/api/v1/channels/35020000001310000003', headers: t.admin })).statusCode, 404);
      const orphan = await t.app.inject({ method: 'POST', url: '/api/v1/channels', headers: t.admin, payload: { id: '35020000001310000009', deviceId: '35020000001320000099', name: 'x' } });
      assert.equal(orphan.statusCode, 404);
    });

    test('maintenance records and photos', async () => {
      const m = await t.app.inject({ method: 'POST', url: `/api/v1/devices/${DEV}/maintenance`, headers: t.admin, payload: { date: '2026-11-20', person: '李四', content: '更换电源适配器' } });
      assert.equal(m.statusCode, 201, m.body);
      const list = (await t.app.inject({ url: `/api/v1/devices/${DEV}/maintenance`, headers: t.admin })).json();
      assert.equal(list.length, 1);
      assert.equal(list[0].content, '更换电源适配器');
      // a real 1x1 PNG
      const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d2b0c40000000049454e44ae426082', 'hex');
      const boundary = '----sharpeye';
      const form = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="gate.png"\r\nContent-Type: image/png\r\n\r\n`),
        png,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const up = await t.app.inject({ method: 'POST', url: `/api/v1/devices/${DEV}/photos`, headers: { ...t.admin, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: form });
      assert.equal(up.statusCode, 201, up.body);
      const got = await t.app.inject({ url: `/api/v1/devices/${DEV}/photos/${up.json().id}`, headers: t.admin });
      assert.equal(got.headers['content-type'], 'image/png');
      assert.ok(got.rawPayload.equals(png));
      const notImage = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.png"\r\n\r\nhello`), Buffer.from(`\r\n--${boundary}--\r\n`)]);
      const bad = await t.app.inject({ method: 'POST', url: `/api/v1/devices/${DEV}/photos`, headers: { ...t.admin, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: notImage });
      assert.equal(bad.json().code, 'INVALID_FILE');
    });

    test('org tree: type-checked ids, no cycles, no delete while in use', async () => {
      const bg = await t.app.inject({ method: 'POST', url: '/api/v1/orgs', headers: t.admin, payload: { id: '35020000002150000001', name: '商铺业务分组', type: 'business_group' } });
      assert.equal(bg.statusCode, 201);
      const vo = await t.app.inject({ method: 'POST', url: '/api/v1/orgs', headers: t.admin, payload: { id: '35020000002160000001', name: '中山路', type: 'virtual_org', parentId: '35020000002150000001' } });
      assert.equal(vo.statusCode, 201);
      const wrongType = await t.app.inject({ method: 'POST', url: '/api/v1/orgs', headers: t.admin, payload: { id: '35020000002160000002', name: 'x', type: 'business_group' } });
      assert.equal(wrongType.json().code, 'VALIDATION_FAILED');
      const cycle = await t.app.inject({ method: 'PATCH', url: '/api/v1/orgs/35020000002150000001', headers: t.admin, payload: { parentId: '35020000002160000001' } });
      assert.equal(cycle.json().code, 'VALIDATION_FAILED');
      const busy = await t.app.inject({ method: 'DELETE', url: '/api/v1/orgs/350203', headers: t.admin });
      assert.equal(busy.statusCode, 409);
      assert.equal(busy.json().code, 'ORG_NOT_EMPTY');
    });
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import { DIALECTS } from '../helpers/databases.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';

const DEV = '35020000001320000301';
const C = (n: number) => `350200000013100003${String(n).padStart(2, '0')}`;
/** channel number → name: 1 passes, the others each break a rule */
const NAMES: Record<number, string> = {
  1: '湖滨南路与厦禾路交叉口东向西',
  2: 'IPCamera 02', // factory default
  3: '东向西嘉禾路口', // direction first
  4: '仙岳路  金尚路口，朝北', // spaces, Chinese comma
  5: '湖滨南路与厦禾路交叉口东向西', // duplicate of 1
  6: '莲前东路口', // no direction: a person must name it
};

for (const dialect of DIALECTS) {
  describe(`channel naming report, fix, rules (${dialect})`, () => {
    let t: TestApp;
    let viewer: Record<string, string>;
    const get = async (url: string, headers = t.admin) => t.app.inject({ url, headers });
    const post = async (url: string, payload: object, headers = t.admin) => t.app.inject({ method: 'POST', url, headers, payload });

    before(async () => {
      t = await startTestApp(dialect);
      assert.equal((await post('/api/v1/orgs', { id: '350203', name: '思明区', type: 'region' })).statusCode, 201);
      assert.equal((await post('/api/v1/devices', { id: DEV, name: '湖滨南路NVR', orgId: '350203' })).statusCode, 201);
      for (const [n, name] of Object.entries(NAMES)) {
        const r = await post('/api/v1/channels', { id: C(Number(n)), deviceId: DEV, name, orgId: '350203' });
        assert.equal(r.statusCode, 201, r.body);
      }
      const role = (await post('/api/v1/roles', { name: 'viewer', permissions: ['device.view'], orgIds: ['350203'] })).json();
      assert.equal((await post('/api/v1/users', { username: 'viewer1', password: 'View@Pass123', roleIds: [role.id] })).statusCode, 201);
      viewer = await t.login('viewer1', 'View@Pass123');
    });
    after(() => t.close());

    test('a channel named against the rules is reported with its rule codes and a suggested fix', async () => {
      const r = await get('/api/v1/naming/report?pageSize=50');
      assert.equal(r.statusCode, 200, r.body);
      const rep = r.json();
      const by = Object.fromEntries(rep.items.map((i: { channelId: string }) => [i.channelId, i]));
      assert.equal(by[C(1)], undefined, 'the compliant channel is not listed');
      assert.deepEqual(by[C(2)].violations.map((v: { code: string }) => v.code), ['DEFAULT_NAME', 'WHITESPACE', 'DIRECTION_MISSING']);
      assert.equal(by[C(2)].suggestion, null);
      assert.deepEqual(by[C(3)].violations.map((v: { code: string }) => v.code), ['DIRECTION_NOT_LAST']);
      assert.equal(by[C(3)].suggestion, '嘉禾路口东向西');
      assert.deepEqual(by[C(4)].violations.map((v: { code: string }) => v.code), ['WHITESPACE', 'CHARSET']);
      assert.equal(by[C(4)].suggestion, '仙岳路金尚路口朝北');
      assert.deepEqual(by[C(5)].violations.map((v: { code: string }) => v.code), ['DUPLICATE']);
      assert.equal(by[C(5)].suggestion, '湖滨南路与厦禾路交叉口东向西2');
      assert.deepEqual(by[C(6)].violations.map((v: { code: string }) => v.code), ['DIRECTION_MISSING']);
      assert.equal(rep.total, 5);
      assert.equal(rep.summary.checked, 6);
      assert.equal(rep.summary.violating, 5);
      assert.equal(rep.summary.fixable, 3);
      assert.equal(rep.summary.byRule.DIRECTION_MISSING, 2);
      // filters and paging
      const dup = (await get('/api/v1/naming/report?rule=DUPLICATE')).json();
      assert.deepEqual(dup.items.map((i: { channelId: string }) => i.channelId), [C(5)]);
      const p2 = (await get('/api/v1/naming/report?pageSize=2&page=2')).json();
      assert.deepEqual(p2.items.map((i: { channelId: string }) => i.channelId), [C(4), C(5)]);
      assert.equal((await get('/api/v1/naming/report?rule=NOPE')).json().code, 'VALIDATION_FAILED');
      // device.view is enough to read
      assert.equal((await get('/api/v1/naming/report', viewer)).json().total, 5);
    });

    test('export as CSV and Excel', async () => {
      const csv = await get('/api/v1/naming/report/export?format=csv');
      assert.equal(csv.statusCode, 200);
      assert.match(csv.headers['content-type'] as string, /text\/csv/);
      const text = csv.rawPayload.subarray(3).toString('utf8');
      assert.match(text, /^通道编码,设备编码,所属组织,当前名称,问题代码/);
      assert.match(text, new RegExp(`${C(3)},${DEV},350203,东向西嘉禾路口,DIRECTION_NOT_LAST,.*,嘉禾路口东向西,`));
      assert.equal(text.trim().split('\n').length, 6);
      const xlsx = await get('/api/v1/naming/report/export?format=xlsx');
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
      const ws = wb.worksheets[0];
      assert.equal(ws.rowCount, 6);
      assert.equal(ws.getRow(1).getCell(7).value, '建议名称');
    });

    test('bulk fix: dry run changes nothing; apply renames, audits, and the report shrinks', async () => {
      const ids = [C(3), C(4), C(5), C(6)];
      const forbidden = await post('/api/v1/naming/fix', { channelIds: ids, mode: 'suggested' }, viewer);
      assert.equal(forbidden.statusCode, 403);
      const dry = await post('/api/v1/naming/fix', { channelIds: ids, mode: 'suggested', dryRun: true });
      assert.equal(dry.statusCode, 200, dry.body);
      assert.deepEqual(dry.json().items.map((i: { status: string }) => i.status), ['rename', 'rename', 'rename', 'skipped']);
      assert.equal(dry.json().renamed, 0);
      assert.equal((await get(`/api/v1/channels/${C(3)}`)).json().name, NAMES[3], 'dry run wrote nothing');
      const r = await post('/api/v1/naming/fix', { channelIds: ids, mode: 'suggested' });
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.json().renamed, 3);
      assert.equal((await get(`/api/v1/channels/${C(3)}`)).json().name, '嘉禾路口东向西');
      assert.equal((await get(`/api/v1/channels/${C(5)}`)).json().name, '湖滨南路与厦禾路交叉口东向西2');
      const log = (await get('/api/v1/logs/user?action=channel.rename&pageSize=50')).json();
      assert.equal(log.total, 3);
      assert.ok(log.items.some((l: { targetId: string; detail: string }) => l.targetId === C(3) && l.detail.includes('"东向西嘉禾路口" → "嘉禾路口东向西"')));
      assert.equal((await get('/api/v1/logs/user?action=naming.fix')).json().total, 1);
      assert.deepEqual((await get('/api/v1/naming/report')).json().items.map((i: { channelId: string }) => i.channelId), [C(2), C(6)]);
    });

    test('manual names are checked (rules and duplicates after the change); one bad name rejects the request', async () => {
      const bad = await post('/api/v1/naming/fix', { channelIds: [C(2), C(6)], mode: 'manual', names: ['湖滨南路与厦禾路交叉口东向西', '莲前东路口西向东'] });
      assert.equal(bad.statusCode, 400, bad.body);
      assert.equal(bad.json().code, 'VALIDATION_FAILED');
      assert.equal(bad.json().details[0].channelId, C(2));
      assert.equal(bad.json().details[0].violations[0].code, 'DUPLICATE');
      assert.equal((await get(`/api/v1/channels/${C(6)}`)).json().name, NAMES[6], 'nothing written');
      const clash = await post('/api/v1/naming/fix', { channelIds: [C(2), C(6)], mode: 'manual', names: ['莲前东路口西向东', '莲前东路口西向东'], dryRun: true });
      assert.deepEqual(clash.json().items.map((i: { status: string }) => i.status), ['invalid', 'invalid'], 'two new names clashing with each other');
      const ok = await post('/api/v1/naming/fix', { channelIds: [C(2), C(6)], mode: 'manual', names: ['湖滨南路公交站西向东', '莲前东路口西向东'] });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal((await get('/api/v1/naming/report')).json().total, 0);
      assert.equal((await post('/api/v1/naming/fix', { channelIds: [C(2)], mode: 'manual' })).statusCode, 400, 'names missing');
      assert.equal((await post('/api/v1/naming/fix', { channelIds: ['35029999991310000001'], mode: 'suggested' })).statusCode, 404);
    });

    test('rules: readable with device.view, changed with system.config, validated, applied at once', async () => {
      assert.equal((await get('/api/v1/naming/rules', viewer)).json().maxLength, 20);
      const denied = await t.app.inject({ method: 'PUT', url: '/api/v1/naming/rules', headers: viewer, payload: { maxLength: 8 } });
      assert.equal(denied.statusCode, 403);
      const badRe = await t.app.inject({ method: 'PUT', url: '/api/v1/naming/rules', headers: t.admin, payload: { pattern: '([' } });
      assert.equal(badRe.statusCode, 400);
      assert.match(badRe.json().message, /pattern/);
      const r = await t.app.inject({ method: 'PUT', url: '/api/v1/naming/rules', headers: t.admin, payload: { maxLength: 8 } });
      assert.equal(r.statusCode, 200, r.body);
      const rep = (await get('/api/v1/naming/report?rule=TOO_LONG')).json();
      assert.ok(rep.total >= 4, JSON.stringify(rep.summary));
      assert.equal(rep.summary.rules.maxLength, 8);
      await t.app.inject({ method: 'PUT', url: '/api/v1/naming/rules', headers: t.admin, payload: { maxLength: 20 } });
      assert.equal((await get('/api/v1/naming/report')).json().total, 0);
      assert.equal((await get('/api/v1/logs/user?action=naming.rules')).json().total, 2);
    });

    test('OSD push on a channel whose device is not registered: DEVICE_OFFLINE', async () => {
      const r = await post(`/api/v1/naming/osd/${C(1)}`, {});
      assert.equal(r.statusCode, 409, r.body);
      assert.equal(r.json().code, 'DEVICE_OFFLINE');
      const bulk = (await post('/api/v1/naming/osd', { channelIds: [C(1)] })).json();
      assert.equal(bulk.failed, 1);
      assert.equal(bulk.items[0].code, 'DEVICE_OFFLINE');
    });
  });
}

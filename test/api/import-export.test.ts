import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { DIALECTS } from '../helpers/databases.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';

function multipart(filename: string, content: Buffer) {
  const boundary = '----sharpeyeImport';
  return {
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      content,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
  };
}

async function xlsx(rows: (string | number | Date | null)[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('设备');
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

for (const dialect of DIALECTS) {
  describe(`archive import/export (${dialect})`, () => {
    let t: TestApp;
    const upload = (name: string, buf: Buffer) => {
      const m = multipart(name, buf);
      return t.app.inject({ method: 'POST', url: '/api/v1/devices/import', headers: { ...t.admin, ...m.headers }, payload: m.payload });
    };
    const total = async () => (await t.app.inject({ url: '/api/v1/devices', headers: t.admin })).json().total as number;

    before(async () => {
      t = await startTestApp(dialect);
      await t.app.inject({ method: 'POST', url: '/api/v1/orgs', headers: t.admin, payload: { id: '350203', name: '思明区', type: 'region' } });
    });
    after(() => t.close());

    test('imports an Excel sheet written by another program (Chinese headers, dates as cells)', async () => {
      const buf = await xlsx([
        ['设备编码', '设备名称', '厂商', 'IP地址', '端口', '经度', '纬度', '所属组织编码', '场所类别', '安装日期', '红外', '云台', '联系人'],
        ['35020000001320000101', '幸福小区东门', 'Dahua', '10.0.0.11', 5060, 118.1, 24.5, '350203', '住宅小区', new Date(Date.UTC(2025, 5, 1)), '是', '否', '王五'],
        ['35020000001320000102', '幸福小区西门', 'Uniview', '10.0.0.12', 5060, 118.2, 24.6, '350203', 'residential', '2025/6/2', '否', '是', null],
      ]);
      const r = await upload('设备.xlsx', buf);
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json(), { imported: 2, updated: 0 });
      const d = (await t.app.inject({ url: '/api/v1/devices/35020000001320000101', headers: t.admin })).json();
      assert.equal(d.name, '幸福小区东门');
      assert.equal(d.siteCategory, 'residential');
      assert.equal(d.installDate, '2025-06-01');
      assert.equal(d.capabilities.ir, true);
      assert.equal(d.capabilities.ptz, false);
      const d2 = (await t.app.inject({ url: '/api/v1/devices/35020000001320000102', headers: t.admin })).json();
      assert.equal(d2.installDate, '2025-06-02');
      assert.equal(d2.contactPerson, null);
    });

    test('a sheet with bad rows is rejected whole, with row-by-row errors, and nothing changes', async () => {
      const before = await total();
      const buf = await xlsx([
        ['设备编码', '设备名称', '经度', '所属组织编码', '场所类别'],
        ['35020000001320000201', 'ok row', 118, '350203', '宾馆酒店'],
        ['12345', 'bad id', 118, null, null],
        ['35020000001320000203', 'bad lon', 500, null, null],
        ['35020000001320000204', 'bad org', 1, '999999', '城堡'],
        ['35020000001320000201', 'dup', null, null, null],
        ['35020000001320000101', '改名也不应生效', null, null, null],
      ]);
      const r = await upload('bad.xlsx', buf);
      assert.equal(r.statusCode, 400);
      const body = r.json();
      assert.equal(body.code, 'IMPORT_INVALID');
      const rows = body.details.map((e: { row: number; column: string }) => `${e.row}:${e.column}`);
      assert.deepEqual(rows, ['3:设备编码', '4:经度', '5:场所类别', '5:所属组织编码', '6:设备编码']);
      assert.equal(await total(), before);
      const unchanged = (await t.app.inject({ url: '/api/v1/devices/35020000001320000101', headers: t.admin })).json();
      assert.equal(unchanged.name, '幸福小区东门');
    });

    test('a broken Excel file or empty CSV gets INVALID_FILE', async () => {
      const broken = await upload('x.xlsx', Buffer.from('PK\u0003\u0004 this is not really a zip'));
      assert.equal(broken.statusCode, 400);
      assert.equal(broken.json().code, 'INVALID_FILE');
      const empty = await upload('x.csv', Buffer.alloc(0));
      assert.equal(empty.json().code, 'INVALID_FILE');
      const notMultipart = await t.app.inject({ method: 'POST', url: '/api/v1/devices/import', headers: t.admin, payload: { a: 1 } });
      assert.equal(notMultipart.statusCode, 415);
    });

    test('CSV saved by Excel on Chinese Windows (GB18030) imports, and updates existing rows', async () => {
      const text = '设备编码,设备名称,安装地址\r\n35020000001320000101,幸福小区东门(改),厦门市思明区幸福路1号\r\n35020000001320000301,新设备,湖滨南路\r\n';
      const r = await upload('devices.csv', iconv.encode(text, 'gb18030'));
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json(), { imported: 1, updated: 1 });
      const d = (await t.app.inject({ url: '/api/v1/devices/35020000001320000101', headers: t.admin })).json();
      assert.equal(d.name, '幸福小区东门(改)');
      assert.equal(d.installAddress, '厦门市思明区幸福路1号');
      assert.equal(d.manufacturer, 'Dahua', 'columns absent from the file keep their values');
    });

    test('export round-trips through import (xlsx and csv)', async () => {
      for (const format of ['xlsx', 'csv'] as const) {
        const exp = await t.app.inject({ url: `/api/v1/devices/export?format=${format}`, headers: t.admin });
        assert.equal(exp.statusCode, 200);
        assert.match(String(exp.headers['content-disposition']), new RegExp(`filename\\*=UTF-8''.*\\.${format}`));
        if (format === 'csv') assert.ok(exp.rawPayload.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])), 'BOM for Excel');
        const wb = new ExcelJS.Workbook();
        if (format === 'xlsx') {
          await wb.xlsx.load(exp.rawPayload as unknown as ArrayBuffer);
          const ws = wb.worksheets[0];
          assert.equal(ws.getRow(1).getCell(1).value, '设备编码');
          assert.equal(ws.rowCount, 1 + (await total()));
        }
        const back = await upload(`export.${format}`, exp.rawPayload);
        assert.equal(back.statusCode, 200, back.body);
        assert.equal(back.json().updated, await total());
        assert.equal(back.json().imported, 0);
      }
    });
  });
}

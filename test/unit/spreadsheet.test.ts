import assert from 'node:assert/strict';
import { test } from 'node:test';
import iconv from 'iconv-lite';
import { readTable, TableReadError, writeCsv, writeXlsx } from '../../src/lib/table/spreadsheet.js';

test('CSV: BOM written, quotes and commas survive, GB18030 and UTF-8 both read', async () => {
  const t = { headers: ['编码', '名称'], rows: [['1', '含,逗号 "引号"'], ['2', null]] };
  const buf = writeCsv(t);
  assert.deepEqual([...buf.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  const back = await readTable(buf, 'a.csv');
  assert.deepEqual(back, { headers: ['编码', '名称'], rows: [['1', '含,逗号 "引号"'], ['2', null]] });
  const gbk = iconv.encode('编码,名称\n1,思明区\n', 'gb18030');
  assert.deepEqual((await readTable(gbk, 'b.csv')).rows, [['1', '思明区']]);
});

test('XLSX round trip keeps numbers and text', async () => {
  const buf = await writeXlsx({ headers: ['a', 'b', 'c'], rows: [[1, '二', true]] });
  assert.equal(buf.subarray(0, 2).toString(), 'PK');
  const back = await readTable(buf, 'x.xlsx');
  assert.deepEqual(back.headers, ['a', 'b', 'c']);
  assert.deepEqual(back.rows, [[1, '二', '是']]);
});

test('damaged files give TableReadError', async () => {
  await assert.rejects(readTable(Buffer.from('PK\x03\x04garbage'), 'x.xlsx'), TableReadError);
  await assert.rejects(readTable(Buffer.from('"unterminated\n'), 'x.csv'), TableReadError);
  await assert.rejects(readTable(Buffer.alloc(0), 'x.csv'), TableReadError);
});

import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';

export type Cell = string | number | boolean | null;
export interface Table {
  headers: string[];
  rows: Cell[][];
}
export type TableFormat = 'csv' | 'xlsx';

export class TableReadError extends Error {}

/**
 * CSV answers carry a UTF-8 BOM so Excel on Chinese Windows shows the text right; CSV input is read as UTF-8,
 * and as GB18030 when it is not valid UTF-8 (what Excel on Chinese Windows saves).
 */
export function writeCsv(t: Table): Buffer {
  const body = stringify([t.headers, ...t.rows.map((r) => r.map((c) => (c === null ? '' : typeof c === 'boolean' ? (c ? '是' : '否') : c)))]);
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body, 'utf8')]);
}

export async function writeXlsx(t: Table, sheetName = 'Sheet1'): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'sharpeye';
  const ws = wb.addWorksheet(sheetName);
  ws.addRow(t.headers).font = { bold: true };
  for (const r of t.rows) ws.addRow(r.map((c) => (typeof c === 'boolean' ? (c ? '是' : '否') : c)));
  ws.columns.forEach((col, i) => {
    const longest = Math.max(String(t.headers[i] ?? '').length * 2, ...t.rows.slice(0, 200).map((r) => String(r[i] ?? '').length));
    col.width = Math.min(60, Math.max(8, longest + 2));
  });
  ws.views = [{ state: 'frozen', ySplit: 1 }];
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export async function writeTable(t: Table, format: TableFormat, sheetName?: string): Promise<Buffer> {
  return format === 'csv' ? writeCsv(t) : writeXlsx(t, sheetName);
}

function decodeText(buf: Buffer): string {
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return buf.subarray(3).toString('utf8');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  try {
    return utf8.decode(buf);
  } catch {
    return iconv.decode(buf, 'gb18030');
  }
}

export function readCsv(buf: Buffer): Table {
  let records: string[][];
  try {
    records = parse(decodeText(buf), { relax_column_count: true, skip_empty_lines: true, trim: true });
  } catch (e) {
    throw new TableReadError(`CSV could not be parsed: ${(e as Error).message}`);
  }
  if (!records.length) throw new TableReadError('The file is empty');
  const [headers, ...rows] = records;
  return { headers: headers.map((h) => h.trim()), rows: rows.map((r) => r.map((c) => (c === '' ? null : c))) };
}

function cellValue(v: ExcelJS.CellValue): Cell {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    if ('richText' in v) return v.richText.map((x) => x.text).join('');
    if ('text' in v && typeof v.text === 'string') return v.text;
    if ('result' in v) return cellValue(v.result as ExcelJS.CellValue);
    if ('error' in v) return null;
    return String(v);
  }
  return v as Cell;
}

export async function readXlsx(buf: Buffer): Promise<Table> {
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(buf as unknown as ArrayBuffer);
  } catch (e) {
    throw new TableReadError(`Excel file could not be read: ${(e as Error).message}`);
  }
  const ws = wb.worksheets[0];
  if (!ws || ws.rowCount === 0) throw new TableReadError('The workbook has no data');
  const all: Cell[][] = [];
  ws.eachRow({ includeEmpty: false }, (row) => {
    const vals = row.values as ExcelJS.CellValue[];
    all.push(vals.slice(1).map(cellValue));
  });
  const [headers, ...rows] = all;
  return { headers: (headers ?? []).map((h) => String(h ?? '').trim()), rows };
}

/** Reads by file name and magic bytes (xlsx is a zip: `PK`). */
export async function readTable(buf: Buffer, filename: string): Promise<Table> {
  const isZip = buf[0] === 0x50 && buf[1] === 0x4b;
  if (/\.xlsx$/i.test(filename) || isZip) return readXlsx(buf);
  if (/\.(csv|txt)$/i.test(filename) || !isZip) return readCsv(buf);
  throw new TableReadError('Unsupported file type; use .xlsx or .csv');
}

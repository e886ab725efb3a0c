import { body, expectCmd, pages } from './common.js';
import { int, items, str, type Tree } from './tree.js';
import type { BuildOptions, ManscdpMessage, XmlObject } from './types.js';

/** One RecordList Item (GB/T 28181-2016 §A.2.6). Times are local wall-clock strings as sent. */
export interface RecordItem {
  deviceId: string;
  name: string | null;
  filePath: string | null;
  address: string | null;
  startTime: string | null;
  endTime: string | null;
  secrecy: number | null;
  /** time / alarm / manual (all in queries). */
  type: string | null;
  recorderId: string | null;
  /** Bytes. */
  fileSize: number | null;
  /** GB/T 28181-2022: 0 main stream, 1 sub-stream … */
  streamNumber: number | null;
  raw: Record<string, unknown>;
}

export interface RecordInfoResult {
  sumNum: number;
  name: string | null;
  items: RecordItem[];
}

function record(it: Tree): RecordItem {
  return {
    deviceId: str(it, 'DeviceID')?.trim() ?? '',
    name: str(it, 'Name'),
    filePath: str(it, 'FilePath'),
    address: str(it, 'Address'),
    startTime: str(it, 'StartTime')?.trim() ?? null,
    endTime: str(it, 'EndTime')?.trim() ?? null,
    secrecy: int(it, 'Secrecy'),
    type: str(it, 'Type'),
    recorderId: str(it, 'RecorderID'),
    fileSize: int(it, 'FileSize'),
    streamNumber: int(it, 'StreamNumber'),
    raw: it,
  };
}

/** RecordInfo response (one page of a possibly multi-message answer) → SumNum, Name, items. */
export function parseRecordInfo(m: ManscdpMessage): RecordInfoResult {
  const b = expectCmd(m, 'RecordInfo');
  const list = items(b, 'RecordList');
  return { sumNum: int(b, 'SumNum') ?? list.length, name: str(b, 'Name'), items: list.map(record) };
}

export interface RecordItemInput {
  deviceId: string;
  name?: string | null;
  filePath?: string | null;
  address?: string | null;
  startTime: string;
  endTime: string;
  secrecy?: number | null;
  type?: string | null;
  recorderId?: string | null;
  fileSize?: number | null;
  streamNumber?: number | null;
  extra?: XmlObject;
}

function recordFields(r: RecordItemInput): XmlObject {
  return {
    DeviceID: r.deviceId,
    Name: r.name,
    FilePath: r.filePath,
    Address: r.address,
    StartTime: r.startTime,
    EndTime: r.endTime,
    Secrecy: r.secrecy ?? 0,
    Type: r.type,
    RecorderID: r.recorderId,
    FileSize: r.fileSize,
    StreamNumber: r.streamNumber,
    ...(r.extra ?? {}),
  };
}

/** RecordInfo response paged like the catalog: same SN, SumNum = all items, RecordList Num = this page's items. */
export function buildRecordInfoResponses(
  sn: number,
  deviceId: string,
  name: string,
  list: readonly RecordItemInput[],
  perMessage: number,
  opts?: BuildOptions,
): Buffer[] {
  return pages(list, perMessage).map((page) =>
    body('Response', 'RecordInfo', sn, deviceId, { Name: name, SumNum: list.length, RecordList: { '@_Num': page.length, Item: page.map(recordFields) } }, opts),
  );
}

/** A RecordInfo query as a device (or we as a lower platform) receives it (GB/T 28181-2016 §A.2.4). */
export interface RecordInfoQuery {
  deviceId: string;
  startTime: string | null;
  endTime: string | null;
  filePath: string | null;
  address: string | null;
  secrecy: number | null;
  /** Defaults to `all`. */
  type: string;
  recorderId: string | null;
  indistinctQuery: number | null;
  streamNumber: number | null;
}

export function parseRecordInfoQuery(m: ManscdpMessage): RecordInfoQuery {
  const b = expectCmd(m, 'RecordInfo');
  return {
    deviceId: m.deviceId,
    startTime: str(b, 'StartTime')?.trim() ?? null,
    endTime: str(b, 'EndTime')?.trim() ?? null,
    filePath: str(b, 'FilePath'),
    address: str(b, 'Address'),
    secrecy: int(b, 'Secrecy'),
    type: str(b, 'Type')?.trim() || 'all',
    recorderId: str(b, 'RecorderID'),
    indistinctQuery: int(b, 'IndistinctQuery'),
    streamNumber: int(b, 'StreamNumber'),
  };
}

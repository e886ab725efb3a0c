import { body, expectCmd, pages } from './common.js';
import { int, items, num, slashNumbers, str, tree, type Tree } from './tree.js';
import type { BuildOptions, ManscdpMessage, XmlObject } from './types.js';

/** Catalog NOTIFY events (GB/T 28181-2016 §A.2.5): status changes and catalog edits. */
export type CatalogEvent = 'ON' | 'OFF' | 'VLOST' | 'DEFECT' | 'ADD' | 'DEL' | 'UPDATE';

/** One DeviceList Item of a Catalog response or NOTIFY (GB/T 28181-2016 §A.2.6, 2022 additions via `raw`). */
export interface CatalogItem {
  deviceId: string;
  name: string | null;
  manufacturer: string | null;
  model: string | null;
  owner: string | null;
  civilCode: string | null;
  block: string | null;
  address: string | null;
  /** 1 when the item has children. */
  parental: number | null;
  parentId: string | null;
  /** Business group (215) a virtual organisation (216) belongs to. */
  businessGroupId: string | null;
  safetyWay: number | null;
  registerWay: number | null;
  certNum: string | null;
  certifiable: number | null;
  errCode: number | null;
  endTime: string | null;
  secrecy: number | null;
  ipAddress: string | null;
  port: number | null;
  /** ON/OFF, or whatever the device wrote (e.g. `ONLINE`). */
  status: string | null;
  longitude: number | null;
  latitude: number | null;
  /** Info.PTZType: 1 dome, 2 half dome, 3 fixed bullet, 4 remote-controlled bullet. */
  ptzType: number | null;
  /** Info.StreamNumberList (GB/T 28181-2022), e.g. `0/1` → [0, 1]: the sub-streams the camera offers. */
  streamNumberList: number[] | null;
  /** Event of a catalog NOTIFY item. */
  event: string | null;
  /** The whole Item element (Info, StreamNum, SecurityLevelCode, vendor fields …). */
  raw: Record<string, unknown>;
}

export interface CatalogResult {
  /** SumNum: items in the whole answer over all its messages (defaults to this message's count). */
  sumNum: number;
  items: CatalogItem[];
}

function item(it: Tree): CatalogItem {
  const info = tree(it, 'Info');
  return {
    deviceId: str(it, 'DeviceID')?.trim() ?? '',
    name: str(it, 'Name'),
    manufacturer: str(it, 'Manufacturer'),
    model: str(it, 'Model'),
    owner: str(it, 'Owner'),
    civilCode: str(it, 'CivilCode'),
    block: str(it, 'Block'),
    address: str(it, 'Address'),
    parental: int(it, 'Parental'),
    parentId: str(it, 'ParentID'),
    businessGroupId: str(it, 'BusinessGroupID') ?? str(info, 'BusinessGroupID'),
    safetyWay: int(it, 'SafetyWay'),
    registerWay: int(it, 'RegisterWay'),
    certNum: str(it, 'CertNum'),
    certifiable: int(it, 'Certifiable'),
    errCode: int(it, 'ErrCode'),
    endTime: str(it, 'EndTime'),
    secrecy: int(it, 'Secrecy'),
    ipAddress: str(it, 'IPAddress'),
    port: int(it, 'Port'),
    status: str(it, 'Status'),
    longitude: num(it, 'Longitude'),
    latitude: num(it, 'Latitude'),
    ptzType: int(info, 'PTZType') ?? int(it, 'PTZType'),
    streamNumberList: slashNumbers(str(info, 'StreamNumberList')),
    event: str(it, 'Event')?.trim().toUpperCase() ?? null,
    raw: it,
  };
}

/** Catalog response or catalog NOTIFY body → SumNum and items (GB/T 28181-2016 §A.2.6, §A.2.5). */
export function parseCatalog(m: ManscdpMessage): CatalogResult {
  const b = expectCmd(m, 'Catalog');
  const list = items(b, 'DeviceList');
  return { sumNum: int(b, 'SumNum') ?? list.length, items: list.map(item) };
}

/** A catalog item to write; `null`/absent fields are left out. Accepts a parsed `CatalogItem` as well. */
export interface CatalogItemInput {
  deviceId: string;
  event?: string | null;
  name?: string | null;
  manufacturer?: string | null;
  model?: string | null;
  owner?: string | null;
  civilCode?: string | null;
  block?: string | null;
  address?: string | null;
  parental?: number | null;
  parentId?: string | null;
  businessGroupId?: string | null;
  safetyWay?: number | null;
  registerWay?: number | null;
  certNum?: string | null;
  certifiable?: number | null;
  errCode?: number | null;
  endTime?: string | null;
  secrecy?: number | null;
  ipAddress?: string | null;
  port?: number | null;
  password?: string | null;
  status?: string | null;
  longitude?: number | null;
  latitude?: number | null;
  ptzType?: number | null;
  streamNumberList?: readonly number[] | null;
  /** More Info children (Resolution, DownloadSpeed, 2022 fields …), written after PTZType/StreamNumberList. */
  info?: XmlObject;
  /** More Item children (e.g. SecurityLevelCode), written at the end. */
  extra?: XmlObject;
}

/** Item fields in the order of the GB/T 28181-2016 §A.2.6 item type. */
export function catalogItemFields(it: CatalogItemInput): XmlObject {
  const info: Record<string, unknown> = {
    PTZType: it.ptzType,
    StreamNumberList: it.streamNumberList?.length ? it.streamNumberList.join('/') : undefined,
    ...(it.info ?? {}),
  };
  const hasInfo = Object.values(info).some((v) => v !== undefined && v !== null);
  return {
    DeviceID: it.deviceId,
    Event: it.event,
    Name: it.name,
    Manufacturer: it.manufacturer,
    Model: it.model,
    Owner: it.owner,
    CivilCode: it.civilCode,
    Block: it.block,
    Address: it.address,
    Parental: it.parental,
    ParentID: it.parentId,
    BusinessGroupID: it.businessGroupId,
    SafetyWay: it.safetyWay,
    RegisterWay: it.registerWay,
    CertNum: it.certNum,
    Certifiable: it.certifiable,
    ErrCode: it.errCode,
    EndTime: it.endTime,
    Secrecy: it.secrecy,
    IPAddress: it.ipAddress,
    Port: it.port,
    Password: it.password,
    Status: it.status,
    Longitude: it.longitude,
    Latitude: it.latitude,
    Info: hasInfo ? (info as XmlObject) : undefined,
    ...(it.extra ?? {}),
  };
}

/**
 * Catalog response split into messages of at most `perMessage` items (GB/T 28181-2016 §A.2.6): every message has
 * the same SN, SumNum = all items, DeviceList Num = the items of that message. No items → one message, SumNum 0.
 */
export function buildCatalogResponses(
  sn: number,
  deviceId: string,
  list: readonly CatalogItemInput[],
  perMessage: number,
  opts?: BuildOptions,
): Buffer[] {
  return pages(list, perMessage).map((page) =>
    body('Response', 'Catalog', sn, deviceId, { SumNum: list.length, DeviceList: { '@_Num': page.length, Item: page.map(catalogItemFields) } }, opts),
  );
}

/** Catalog NOTIFY (GB/T 28181-2016 §A.2.5): every item carries `event` unless it has its own. */
export function buildCatalogNotify(
  sn: number,
  deviceId: string,
  event: CatalogEvent,
  list: readonly CatalogItemInput[],
  opts?: BuildOptions,
): Buffer {
  const its = list.map((it) => catalogItemFields({ ...it, event: it.event ?? event }));
  return body('Notify', 'Catalog', sn, deviceId, { SumNum: list.length, DeviceList: { '@_Num': its.length, Item: its } }, opts);
}

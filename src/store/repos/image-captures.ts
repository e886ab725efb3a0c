import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { DB } from '../schema.js';
import { pageBounds, parseJson, toCount, likePattern, type Page, type PageQuery } from '../paging.js';
import { channelInScope, deviceInScope, type ChannelScope } from '../scope.js';
import type { FaceCapturesTable, VehiclePassesTable } from './image-tables.js';

/** A face box on the background picture, in its pixels (seed appendix 1 `facePos`). */
export interface FaceBox {
  leftTopX: number;
  leftTopY: number;
  rightBottomX: number;
  rightBottomY: number;
}

/** An image file of a capture, relative to `<data dir>/images`. */
export interface StoredImage {
  file: string;
  /** file type as declared (`jpg`, `png`, ...) */
  type: string;
  size: number;
}

export interface StoredFace extends StoredImage {
  pos: FaceBox | null;
}

export interface StoredBackground extends StoredImage {
  width: number | null;
  height: number | null;
}

/** One vehicle image: `zpcltp` (vehicle, any number), `zpcptp` (plate), `zpcjt` (scene), `zpjsytp` (driver). */
export interface StoredVehicleImage extends StoredImage {
  role: 'zpcltp' | 'zpcptp' | 'zpcjt' | 'zpjsytp';
  index: number;
  pos: FaceBox | null;
  width: number | null;
  height: number | null;
  /** `fileSize` as the sender gave it */
  fileSize: string | null;
}

interface CaptureCommon {
  id: string;
  gateId: string;
  deviceId: string;
  channelId: string | null;
  receivedAt: string;
  day: string;
  longitude: number | null;
  latitude: number | null;
  /** every non-image field as received */
  meta: Record<string, unknown>;
  bytes: number;
  source: string;
}

export interface FaceCapture extends CaptureCommon {
  nodeId: string | null;
  capturedAt: string;
  locationName: string | null;
  resolution: string | null;
  quality: string | null;
  faceCount: number;
  faces: StoredFace[];
  background: StoredBackground | null;
  digest: string;
}

export interface VehiclePass extends CaptureCommon {
  gcjlid: string;
  passedAt: string;
  plate: string | null;
  plateColor: string | null;
  plateType: string | null;
  vehicleColor: string | null;
  vehicleBrand: string | null;
  vehicleModel: string | null;
  vehicleType: string | null;
  direction: string | null;
  deviceName: string | null;
  images: StoredVehicleImage[];
}

export interface CaptureFilter extends PageQuery {
  /** matches the gate code, the archived device or the channel */
  deviceId?: string;
  channelId?: string;
  /** ISO 8601 range on the capture (pass) time, start inclusive, end exclusive */
  start?: string;
  end?: string;
  /** vehicle passes: part of the plate number */
  plate?: string;
  /** where the capture came from: `seed`, `gb-snapshot`, `ftp` */
  source?: string;
}

export interface DailyCount {
  day: string;
  deviceId: string;
  captures: number;
  /** face captures: faces in them */
  faces?: number;
}

type Table = 'face_captures' | 'vehicle_passes';

/**
 * A capture is visible when the channel it maps to is in the principal's scope, or, when it maps to no channel,
 * when its device is (same rule as the device list).
 */
function captureInScope(eb: any, table: Table, scope: ChannelScope): Expression<SqlBool> {
  if (scope.all) return sql<SqlBool>`1 = 1`;
  return eb.or([
    eb(`${table}.channel_id`, 'in', eb.selectFrom('channels').select('channels.id').where((ceb: any) => channelInScope(ceb, scope))),
    eb.and([eb(`${table}.channel_id`, 'is', null), eb(`${table}.device_id`, 'in', eb.selectFrom('devices').select('devices.id').where((deb: any) => deviceInScope(deb, scope)))]),
  ]);
}

function applyFilter(q: any, table: Table, timeCol: string, scope: ChannelScope, f: CaptureFilter): any {
  q = q.where((eb: any) => captureInScope(eb, table, scope));
  if (f.deviceId) {
    const d = f.deviceId;
    q = q.where((eb: any) => eb.or([eb(`${table}.gate_id`, '=', d), eb(`${table}.device_id`, '=', d), eb(`${table}.channel_id`, '=', d)]));
  }
  if (f.channelId) q = q.where(`${table}.channel_id`, '=', f.channelId);
  if (f.start) q = q.where(`${table}.${timeCol}`, '>=', f.start);
  if (f.end) q = q.where(`${table}.${timeCol}`, '<', f.end);
  if (f.source) q = q.where(`${table}.source`, '=', f.source);
  if (f.plate && table === 'vehicle_passes') {
    const p = likePattern(f.plate);
    q = q.where(sql<boolean>`lower(coalesce(vehicle_passes.plate, '')) like ${p} escape '\\'`);
  }
  return q;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toFace(r: FaceCapturesTable): FaceCapture {
  return {
    id: r.id,
    gateId: r.gate_id,
    deviceId: r.device_id,
    channelId: r.channel_id,
    nodeId: r.node_id,
    capturedAt: r.captured_at,
    receivedAt: r.received_at,
    day: r.day,
    locationName: r.location_name,
    resolution: r.resolution,
    longitude: num(r.longitude),
    latitude: num(r.latitude),
    quality: r.quality,
    faceCount: Number(r.face_count),
    faces: parseJson<StoredFace[]>(r.faces, []),
    background: parseJson<StoredBackground | null>(r.background, null),
    meta: parseJson<Record<string, unknown>>(r.meta, {}),
    bytes: Number(r.bytes),
    digest: r.digest,
    source: r.source,
  };
}

function toVehicle(r: VehiclePassesTable): VehiclePass {
  return {
    id: r.id,
    gateId: r.gate_id,
    deviceId: r.device_id,
    channelId: r.channel_id,
    gcjlid: r.gcjlid,
    passedAt: r.passed_at,
    receivedAt: r.received_at,
    day: r.day,
    plate: r.plate,
    plateColor: r.plate_color,
    plateType: r.plate_type,
    vehicleColor: r.vehicle_color,
    vehicleBrand: r.vehicle_brand,
    vehicleModel: r.vehicle_model,
    vehicleType: r.vehicle_type,
    direction: r.direction,
    deviceName: r.device_name,
    longitude: num(r.longitude),
    latitude: num(r.latitude),
    images: parseJson<StoredVehicleImage[]>(r.images, []),
    meta: parseJson<Record<string, unknown>>(r.meta, {}),
    bytes: Number(r.bytes),
    source: r.source,
  };
}

export function faceRow(c: FaceCapture): FaceCapturesTable {
  return {
    id: c.id,
    gate_id: c.gateId,
    device_id: c.deviceId,
    channel_id: c.channelId,
    node_id: c.nodeId,
    captured_at: c.capturedAt,
    received_at: c.receivedAt,
    day: c.day,
    location_name: c.locationName,
    resolution: c.resolution,
    longitude: c.longitude,
    latitude: c.latitude,
    quality: c.quality,
    face_count: c.faceCount,
    faces: JSON.stringify(c.faces),
    background: c.background ? JSON.stringify(c.background) : null,
    meta: JSON.stringify(c.meta),
    bytes: c.bytes,
    digest: c.digest,
    source: c.source,
  };
}

export function vehicleRow(v: VehiclePass): VehiclePassesTable {
  return {
    id: v.id,
    gate_id: v.gateId,
    device_id: v.deviceId,
    channel_id: v.channelId,
    gcjlid: v.gcjlid,
    passed_at: v.passedAt,
    received_at: v.receivedAt,
    day: v.day,
    plate: v.plate,
    plate_color: v.plateColor,
    plate_type: v.plateType,
    vehicle_color: v.vehicleColor,
    vehicle_brand: v.vehicleBrand,
    vehicle_model: v.vehicleModel,
    vehicle_type: v.vehicleType,
    direction: v.direction,
    device_name: v.deviceName,
    longitude: v.longitude,
    latitude: v.latitude,
    images: JSON.stringify(v.images),
    meta: JSON.stringify(v.meta),
    bytes: v.bytes,
    source: v.source,
  };
}

/** Files of a capture row (retention deletes them with the row). */
export function filesOf(kind: 'face' | 'car', r: { faces?: string; background?: string | null; images?: string }): string[] {
  if (kind === 'face') {
    const faces = parseJson<StoredFace[]>(r.faces, []);
    const bg = parseJson<StoredBackground | null>(r.background ?? null, null);
    return [...faces.map((f) => f.file), ...(bg ? [bg.file] : [])];
  }
  return parseJson<StoredVehicleImage[]>(r.images, []).map((i) => i.file);
}

export class FaceCaptureRepo {
  constructor(private readonly db: Kysely<DB>) {}

  async list(scope: ChannelScope, f: CaptureFilter): Promise<Page<FaceCapture>> {
    const { page, pageSize, offset } = pageBounds(f);
    const q = applyFilter(this.db.selectFrom('face_captures'), 'face_captures', 'captured_at', scope, f);
    const [{ n }] = await q.select((eb: any) => eb.fn.countAll().as('n')).execute();
    const rows = await q.selectAll('face_captures').orderBy('face_captures.captured_at', 'desc').orderBy('face_captures.id', 'desc').limit(pageSize).offset(offset).execute();
    return { items: rows.map(toFace), total: toCount(n), page, pageSize };
  }

  async get(id: string, scope: ChannelScope): Promise<FaceCapture | undefined> {
    const r = await this.db
      .selectFrom('face_captures')
      .selectAll()
      .where('id', '=', id)
      .where((eb) => captureInScope(eb, 'face_captures', scope))
      .executeTakeFirst();
    return r ? toFace(r) : undefined;
  }

  /** Any scope: the forwarder and retention. */
  async byId(id: string): Promise<FaceCapture | undefined> {
    const r = await this.db.selectFrom('face_captures').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toFace(r) : undefined;
  }

  async findByDigest(gateId: string, digest: string): Promise<string | undefined> {
    const r = await this.db.selectFrom('face_captures').select('id').where('gate_id', '=', gateId).where('digest', '=', digest).executeTakeFirst();
    return r?.id;
  }

  async daily(scope: ChannelScope, from: string, to: string, deviceId?: string): Promise<DailyCount[]> {
    let q = this.db
      .selectFrom('face_captures')
      .where('day', '>=', from)
      .where('day', '<=', to)
      .where((eb) => captureInScope(eb, 'face_captures', scope));
    if (deviceId) q = q.where((eb) => eb.or([eb('gate_id', '=', deviceId), eb('device_id', '=', deviceId), eb('channel_id', '=', deviceId)]));
    const rows = await q
      .select(['day', 'gate_id'])
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum<number | string>('face_count').as('faces')])
      .groupBy(['day', 'gate_id'])
      .orderBy('day')
      .orderBy('gate_id')
      .execute();
    return rows.map((r) => ({ day: r.day, deviceId: r.gate_id, captures: toCount(r.n), faces: Number(r.faces ?? 0) }));
  }

  /** Rows received before `before` (ISO), oldest first, after the (receivedAt, id) of the last page: retention. */
  async expired(before: string, limit: number, after?: { receivedAt: string; id: string }): Promise<{ id: string; received_at: string; faces: string; background: string | null }[]> {
    let q = this.db.selectFrom('face_captures').select(['id', 'received_at', 'faces', 'background']).where('received_at', '<', before);
    if (after) q = q.where((eb) => eb.or([eb('received_at', '>', after.receivedAt), eb.and([eb('received_at', '=', after.receivedAt), eb('id', '>', after.id)])]));
    return q.orderBy('received_at').orderBy('id').limit(limit).execute();
  }

  async deleteIds(ids: string[]): Promise<void> {
    if (ids.length) await this.db.deleteFrom('face_captures').where('id', 'in', ids).execute();
  }

  /** Is any capture indexed that was received in [from, to)? (retention: may a day directory go whole) */
  async anyReceivedBetween(from: string, to: string): Promise<boolean> {
    const r = await this.db.selectFrom('face_captures').select('id').where('received_at', '>=', from).where('received_at', '<', to).limit(1).executeTakeFirst();
    return r !== undefined;
  }

  async count(): Promise<number> {
    const [{ n }] = await this.db.selectFrom('face_captures').select((eb) => eb.fn.countAll().as('n')).execute();
    return toCount(n);
  }
}

export class VehiclePassRepo {
  constructor(private readonly db: Kysely<DB>) {}

  async list(scope: ChannelScope, f: CaptureFilter): Promise<Page<VehiclePass>> {
    const { page, pageSize, offset } = pageBounds(f);
    const q = applyFilter(this.db.selectFrom('vehicle_passes'), 'vehicle_passes', 'passed_at', scope, f);
    const [{ n }] = await q.select((eb: any) => eb.fn.countAll().as('n')).execute();
    const rows = await q.selectAll('vehicle_passes').orderBy('vehicle_passes.passed_at', 'desc').orderBy('vehicle_passes.id', 'desc').limit(pageSize).offset(offset).execute();
    return { items: rows.map(toVehicle), total: toCount(n), page, pageSize };
  }

  async get(id: string, scope: ChannelScope): Promise<VehiclePass | undefined> {
    const r = await this.db
      .selectFrom('vehicle_passes')
      .selectAll()
      .where('id', '=', id)
      .where((eb) => captureInScope(eb, 'vehicle_passes', scope))
      .executeTakeFirst();
    return r ? toVehicle(r) : undefined;
  }

  async byId(id: string): Promise<VehiclePass | undefined> {
    const r = await this.db.selectFrom('vehicle_passes').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toVehicle(r) : undefined;
  }

  async findByGcjlid(gateId: string, gcjlid: string): Promise<string | undefined> {
    const r = await this.db.selectFrom('vehicle_passes').select('id').where('gate_id', '=', gateId).where('gcjlid', '=', gcjlid).executeTakeFirst();
    return r?.id;
  }

  async daily(scope: ChannelScope, from: string, to: string, deviceId?: string): Promise<DailyCount[]> {
    let q = this.db
      .selectFrom('vehicle_passes')
      .where('day', '>=', from)
      .where('day', '<=', to)
      .where((eb) => captureInScope(eb, 'vehicle_passes', scope));
    if (deviceId) q = q.where((eb) => eb.or([eb('gate_id', '=', deviceId), eb('device_id', '=', deviceId), eb('channel_id', '=', deviceId)]));
    const rows = await q
      .select(['day', 'gate_id'])
      .select((eb) => eb.fn.countAll().as('n'))
      .groupBy(['day', 'gate_id'])
      .orderBy('day')
      .orderBy('gate_id')
      .execute();
    return rows.map((r) => ({ day: r.day, deviceId: r.gate_id, captures: toCount(r.n) }));
  }

  async expired(before: string, limit: number, after?: { receivedAt: string; id: string }): Promise<{ id: string; received_at: string; images: string }[]> {
    let q = this.db.selectFrom('vehicle_passes').select(['id', 'received_at', 'images']).where('received_at', '<', before);
    if (after) q = q.where((eb) => eb.or([eb('received_at', '>', after.receivedAt), eb.and([eb('received_at', '=', after.receivedAt), eb('id', '>', after.id)])]));
    return q.orderBy('received_at').orderBy('id').limit(limit).execute();
  }

  async deleteIds(ids: string[]): Promise<void> {
    if (ids.length) await this.db.deleteFrom('vehicle_passes').where('id', 'in', ids).execute();
  }

  /** Is any capture indexed that was received in [from, to)? (retention: may a day directory go whole) */
  async anyReceivedBetween(from: string, to: string): Promise<boolean> {
    const r = await this.db.selectFrom('vehicle_passes').select('id').where('received_at', '>=', from).where('received_at', '<', to).limit(1).executeTakeFirst();
    return r !== undefined;
  }

  async count(): Promise<number> {
    const [{ n }] = await this.db.selectFrom('vehicle_passes').select((eb) => eb.fn.countAll().as('n')).execute();
    return toCount(n);
  }
}

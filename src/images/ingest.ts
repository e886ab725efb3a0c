import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { formatLocalTime } from '../core/time.js';
import type { Store } from '../store/index.js';
import type { FaceCapture, StoredBackground, StoredFace, StoredVehicleImage, VehiclePass } from '../store/repos/image-captures.js';
import type { ArchiveLookup } from './archive-lookup.js';
import type { ImageFiles } from './image-files.js';
import { SeedError, parseSeedTime, type SeedKind } from './seed-protocol.js';
import { number, parseFaceJson, parseVehicleJson, text, type ParsedImage } from './seed-parse.js';
import { isJpeg, jpegSize } from './jpeg.js';

/** A snapshot refused before anything was written (not a JPEG, too large, device not in the archive). */
export class SnapshotError extends Error {
  constructor(
    readonly reason: 'not-jpeg' | 'too-large' | 'unknown-device' | 'storage',
    message: string,
  ) {
    super(message);
    this.name = 'SnapshotError';
  }
}

export interface IngestResult {
  id: string;
  /** the same capture (digest / gcjlid) was stored before: nothing new was written */
  duplicate: boolean;
}

export interface IngestCounters {
  faces: number;
  vehicles: number;
  duplicates: number;
  bytes: number;
  refused: Record<string, number>;
}

const DAY_MS = 86_400_000;

/** A sortable, unique capture ID: kind letter, received time (base 36), random. */
export function captureId(kind: SeedKind, nowMs: number): string {
  return `${kind === 'face' ? 'F' : 'V'}${nowMs.toString(36).padStart(9, '0')}${randomBytes(5).toString('hex')}`;
}

/**
 * Stores face captures and vehicle passes (issue 12, R14): checks everything first (device in the archive, JSON,
 * base64, sizes), writes the image files, then the row and its forwarding-queue entries in one transaction. A failure
 * at any step leaves nothing behind.
 */
export class ImageIngest {
  readonly counters: IngestCounters = { faces: 0, vehicles: 0, duplicates: 0, bytes: 0, refused: {} };

  constructor(
    private readonly o: {
      store: Store;
      files: ImageFiles;
      archive: ArchiveLookup;
      clock: Clock;
      tz: string;
      maxBytes: number;
      log: Logger;
      /** forwarding targets that take this kind (enabled or paused) */
      targetsOf: (kind: SeedKind) => string[];
      /** called after a capture was stored (the forwarder wakes up) */
      onSaved?: (kind: SeedKind, gateId: string) => void;
    },
  ) {}

  /** largest single image accepted, bytes */
  get maxBytes(): number {
    return this.o.maxBytes;
  }

  refused(code: string): void {
    this.counters.refused[code] = (this.counters.refused[code] ?? 0) + 1;
  }

  private async gate(gateId: unknown): Promise<{ gateId: string; deviceId: string; channelId: string | null }> {
    const g = text(gateId, 64);
    if (!g) throw new SeedError('EC004', 'imageGateTagCode missing (缺少设备编码 imageGateTagCode)');
    const place = await this.o.archive.place(g);
    if (!place) throw new SeedError('EC000', `device ${g} is not registered with the platform (设备未注册)`);
    return { gateId: g, ...place };
  }

  /** Local day (SHARPEYE_TZ) of an instant. */
  private day(ms: number): string {
    return formatLocalTime(new Date(ms), this.o.tz).slice(0, 10);
  }

  /** A device time → ISO; unreadable or more than a day ahead of us → the receive time. */
  private when(v: unknown, nowMs: number): number {
    const t = parseSeedTime(v, this.o.tz);
    return Number.isFinite(t) && t < nowMs + DAY_MS && t > 0 ? t : nowMs;
  }

  private async writeFiles(kind: SeedKind, id: string, gateId: string, nowMs: number, images: ParsedImage[]): Promise<string[]> {
    // the gate ID is in the archive, but a catalog may carry anything: only safe characters go into a path
    const dir = `${kind}/${this.day(nowMs)}/${gateId.replace(/[^A-Za-z0-9_-]/g, '_') || '_'}`;
    const names = images.map((im) => `${id}-${im.role === 'face' ? `f${im.index}` : im.role === 'background' ? 'bg' : `${im.role}${im.index}`}.${im.type}`);
    try {
      return await this.o.files.writeAll(dir, images.map((im, i) => ({ name: names[i], buf: im.buf })));
    } catch (e) {
      this.o.log.error({ err: e, dir }, 'image files could not be written');
      throw new SeedError('EC006', `storage failure: ${(e as Error).message} (存储失败)`);
    }
  }

  /** Row and queue in one transaction; on failure the files just written are removed. */
  private async commit(kind: SeedKind, capture: FaceCapture | VehiclePass, files: string[], targets = this.o.targetsOf(kind)): Promise<boolean> {
    try {
      return await this.o.store.images.save(kind, capture, targets);
    } catch (e) {
      await this.o.files.remove(files);
      this.o.log.error({ err: e, id: capture.id }, 'capture could not be indexed');
      throw new SeedError('EC006', 'storage failure: database (存储失败)');
    }
  }

  async saveFace(gateIdRaw: unknown, nodeId: string | null, json: Record<string, unknown>, source = 'seed'): Promise<IngestResult> {
    const g = await this.gate(gateIdRaw);
    const parsed = parseFaceJson(json, this.o.maxBytes);
    const nowMs = this.o.clock.now().getTime();
    const capturedMs = this.when(json.deviceTime, nowMs);
    // the same capture sent again (an answer that was lost on its way back) is recognised by its content
    const h = createHash('sha1').update(`${g.gateId}|${String(json.deviceTime ?? '')}|`);
    for (const im of parsed.images) h.update(im.buf);
    const digest = h.digest('hex');
    const dup = await this.o.store.images.faces.findByDigest(g.gateId, digest);
    if (dup) {
      this.counters.duplicates++;
      return { id: dup, duplicate: true };
    }
    const id = captureId('face', nowMs);
    const files = await this.writeFiles('face', id, g.gateId, nowMs, parsed.images);
    const faces: StoredFace[] = [];
    let background: StoredBackground | null = null;
    let bytes = 0;
    parsed.images.forEach((im, i) => {
      bytes += im.buf.length;
      if (im.role === 'face') faces.push({ file: files[i], type: im.type, size: im.buf.length, pos: im.pos });
      else background = { file: files[i], type: im.type, size: im.buf.length, width: im.width, height: im.height };
    });
    const capture: FaceCapture = {
      id,
      gateId: g.gateId,
      deviceId: g.deviceId,
      channelId: g.channelId,
      nodeId,
      capturedAt: new Date(capturedMs).toISOString(),
      receivedAt: new Date(nowMs).toISOString(),
      day: this.day(capturedMs),
      locationName: text(json.locationName),
      resolution: text(json.resolutionRatio, 40),
      longitude: number(json.longitude),
      latitude: number(json.latitude),
      quality: text(json.qualityGrane ?? json.qualityGrade, 40),
      faceCount: faces.length,
      faces,
      background,
      meta: parsed.meta,
      bytes,
      digest,
      source,
    };
    if (!(await this.commit('face', capture, files))) {
      // another request stored the same capture between our check and our insert
      await this.o.files.remove(files);
      this.counters.duplicates++;
      return { id: (await this.o.store.images.faces.findByDigest(g.gateId, digest)) ?? id, duplicate: true };
    }
    this.counters.faces++;
    this.counters.bytes += bytes;
    this.o.onSaved?.('face', g.gateId);
    return { id, duplicate: false };
  }

  /**
   * A whole picture without face boxes (GB/T 28181-2022 snapshot upload, ingest directory): stored as a face capture
   * with no faces and only a background image, `source` telling where it came from. Not queued for the bureau: its
   * face interface wants face crops. Same order as saveFace: check, files, row; the same picture from the same device
   * again is a duplicate (nothing new written).
   */
  async saveSnapshot(gateIdRaw: string, buf: Buffer, o: { source: string; capturedMs?: number; meta?: Record<string, unknown> }): Promise<IngestResult> {
    if (!isJpeg(buf)) throw new SnapshotError('not-jpeg', 'not a JPEG picture (不是 JPEG 图片)');
    if (buf.length > this.o.maxBytes) throw new SnapshotError('too-large', `picture of ${buf.length} bytes is over the limit of ${this.o.maxBytes} (图片过大)`);
    const gateId = text(gateIdRaw, 64);
    const place = gateId ? await this.o.archive.place(gateId) : null;
    if (!gateId || !place) throw new SnapshotError('unknown-device', `device ${gateIdRaw} is not in the archive (设备未注册)`);
    const nowMs = this.o.clock.now().getTime();
    const capturedMs = o.capturedMs !== undefined && Number.isFinite(o.capturedMs) && o.capturedMs > 0 && o.capturedMs < nowMs + DAY_MS ? o.capturedMs : nowMs;
    const digest = createHash('sha1').update(`${gateId}|snapshot|`).update(buf).digest('hex');
    const dup = await this.o.store.images.faces.findByDigest(gateId, digest);
    if (dup) {
      this.counters.duplicates++;
      return { id: dup, duplicate: true };
    }
    const size = jpegSize(buf);
    const id = captureId('face', nowMs);
    let files: string[];
    try {
      files = await this.writeFiles('face', id, gateId, nowMs, [{ role: 'background', index: 0, type: 'jpg', buf, pos: null, width: size?.width ?? null, height: size?.height ?? null, fileSize: null }]);
    } catch (e) {
      throw new SnapshotError('storage', (e as Error).message);
    }
    const capture: FaceCapture = {
      id,
      gateId,
      deviceId: place.deviceId,
      channelId: place.channelId,
      nodeId: null,
      capturedAt: new Date(capturedMs).toISOString(),
      receivedAt: new Date(nowMs).toISOString(),
      day: this.day(capturedMs),
      locationName: null,
      resolution: size ? `${size.width}*${size.height}` : null,
      longitude: null,
      latitude: null,
      quality: null,
      faceCount: 0,
      faces: [],
      background: { file: files[0], type: 'jpg', size: buf.length, width: size?.width ?? null, height: size?.height ?? null },
      meta: { ...(o.meta ?? {}), snapshot: true },
      bytes: buf.length,
      digest,
      source: o.source,
    };
    let saved: boolean;
    try {
      saved = await this.commit('face', capture, files, []);
    } catch (e) {
      throw new SnapshotError('storage', (e as Error).message);
    }
    if (!saved) {
      await this.o.files.remove(files);
      this.counters.duplicates++;
      return { id: (await this.o.store.images.faces.findByDigest(gateId, digest)) ?? id, duplicate: true };
    }
    this.counters.faces++;
    this.counters.bytes += buf.length;
    return { id, duplicate: false };
  }

  async saveVehicle(gateIdRaw: unknown, json: Record<string, unknown>, source = 'seed'): Promise<IngestResult> {
    const g = await this.gate(gateIdRaw ?? json.gbid);
    const parsed = parseVehicleJson(json, this.o.maxBytes);
    const nowMs = this.o.clock.now().getTime();
    let gcjlid = text(json.gcjlid, 200);
    if (gcjlid && gcjlid.length > 64) throw new SeedError('EC004', 'gcjlid longer than 64 characters (过车记录编号过长)');
    if (gcjlid) {
      const dup = await this.o.store.images.vehicles.findByGcjlid(g.gateId, gcjlid);
      if (dup) {
        this.counters.duplicates++;
        return { id: dup, duplicate: true };
      }
    }
    const id = captureId('car', nowMs);
    // a pass without a record number gets one now, stored with it: the bureau sees the same number on every re-send
    if (!gcjlid) {
      gcjlid = `${g.gateId}${formatLocalTime(new Date(nowMs), this.o.tz).replace(/\D/g, '')}${id.slice(-6)}`;
      parsed.meta.gcjlid = gcjlid;
    }
    const passedMs = this.when(json.gcsj ?? json.tpzpsj, nowMs);
    const files = await this.writeFiles('car', id, g.gateId, nowMs, parsed.images);
    let bytes = 0;
    const images: StoredVehicleImage[] = parsed.images.map((im, i) => {
      bytes += im.buf.length;
      return { role: im.role as StoredVehicleImage['role'], index: im.index, file: files[i], type: im.type, size: im.buf.length, pos: im.pos, width: im.width, height: im.height, fileSize: im.fileSize };
    });
    const pass: VehiclePass = {
      id,
      gateId: g.gateId,
      deviceId: g.deviceId,
      channelId: g.channelId,
      gcjlid,
      passedAt: new Date(passedMs).toISOString(),
      receivedAt: new Date(nowMs).toISOString(),
      day: this.day(passedMs),
      plate: text(json.cphm, 32),
      plateColor: text(json.cpys, 32),
      plateType: text(json.cpzl, 32),
      vehicleColor: text(json.csys, 32),
      vehicleBrand: text(json.clbs, 64),
      vehicleModel: text(json.xflx, 64),
      vehicleType: text(json.cllx, 32),
      direction: text(json.xsfx, 32),
      deviceName: text(json.sbmc, 100),
      longitude: number(json.longitude),
      latitude: number(json.latitude),
      images,
      meta: parsed.meta,
      bytes,
      source,
    };
    if (!(await this.commit('car', pass, files))) {
      await this.o.files.remove(files);
      this.counters.duplicates++;
      return { id: (await this.o.store.images.vehicles.findByGcjlid(g.gateId, gcjlid)) ?? id, duplicate: true };
    }
    this.counters.vehicles++;
    this.counters.bytes += bytes;
    this.o.onSaved?.('car', g.gateId);
    return { id, duplicate: false };
  }
}

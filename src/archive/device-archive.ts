import { AppError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { parseGbId } from '../core/gbid.js';
import type { Logger } from '../core/logger.js';
import type { Clock } from '../core/clock.js';
import type { Store } from '../store/index.js';
import type { ChannelInput } from '../store/repos/channels.js';
import type { DeviceInput } from '../store/repos/devices.js';
import { tableToDevices, type RowError } from './device-table.js';
import type { Table } from '../lib/table/spreadsheet.js';

/**
 * The device archive (一机一档, R7): the rules for creating and changing devices and channels, shared by the
 * REST routes, the import, and (later) GB/T 28181 registration and catalog sync.
 */
export class DeviceArchive {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {}

  private now(): string {
    return this.clock.now().toISOString();
  }

  /** Returns a warning for IDs of unknown type (accepted), throws for malformed IDs. */
  checkGbId(id: string, what: 'device' | 'channel'): string | undefined {
    const gb = parseGbId(id);
    if (!gb) throw new AppError('INVALID_GB_ID', `${what} id "${id}" must be a 20-digit GB/T 28181 code (编码须为 20 位数字)`);
    if (!gb.known) return `type code ${gb.typeCode} of ${id} is not a GB/T 28181 type; accepted`;
    return undefined;
  }

  async checkOrg(orgId: string | null | undefined): Promise<void> {
    if (orgId && !(await this.store.orgs.get(orgId))) {
      throw new AppError('VALIDATION_FAILED', `orgId: organisation "${orgId}" does not exist (组织机构不存在)`);
    }
  }

  async createDevice(id: string, input: DeviceInput): Promise<string | undefined> {
    const warning = this.checkGbId(id, 'device');
    await this.checkOrg(input.orgId);
    if (await this.store.devices.exists(id)) throw new AppError('CONFLICT', `Device ${id} already exists (设备编码已存在)`);
    await this.store.devices.create(id, input, this.now());
    if (warning) this.log.warn({ deviceId: id }, warning);
    this.bus.emit('event', { type: 'device.created', at: this.now(), deviceId: id, data: { id } });
    return warning;
  }

  async updateDevice(id: string, input: DeviceInput): Promise<void> {
    await this.checkOrg(input.orgId);
    if (!(await this.store.devices.update(id, input, this.now()))) throw new AppError('NOT_FOUND', `Device ${id} not found`);
    this.bus.emit('event', { type: 'device.updated', at: this.now(), deviceId: id, data: { id } });
  }

  async deleteDevice(id: string): Promise<void> {
    if (!(await this.store.devices.delete(id))) throw new AppError('NOT_FOUND', `Device ${id} not found`);
    this.bus.emit('event', { type: 'device.deleted', at: this.now(), deviceId: id, data: { id } });
  }

  async createChannel(id: string, deviceId: string, input: ChannelInput): Promise<string | undefined> {
    const warning = this.checkGbId(id, 'channel');
    await this.checkOrg(input.orgId);
    if (!(await this.store.devices.exists(deviceId))) throw new AppError('VALIDATION_FAILED', `deviceId: device "${deviceId}" does not exist (所属设备不存在)`);
    if (await this.store.channels.exists(id)) throw new AppError('CONFLICT', `Channel ${id} already exists (通道编码已存在)`);
    // A channel added by hand with an RTSP URL is pulled; one declared rtmp waits for a publisher.
    const sourceType = input.sourceType ?? (input.sourceUrl?.startsWith('rtsp') ? 'rtsp' : input.sourceUrl?.startsWith('rtmp') ? 'rtmp' : undefined);
    if (sourceType === 'rtsp' && !input.sourceUrl) throw new AppError('VALIDATION_FAILED', 'sourceUrl: an RTSP channel needs its rtsp:// URL');
    await this.store.channels.create(id, deviceId, { ...input, ...(sourceType ? { sourceType } : {}), ...(sourceType === 'rtmp' ? { sourceUrl: null } : {}) }, this.now());
    this.bus.emit('event', { type: 'channel.created', at: this.now(), channel: { id, orgId: input.orgId ?? null }, data: { id, deviceId } });
    return warning;
  }

  async updateChannel(id: string, input: ChannelInput, orgIdNow: string | null): Promise<void> {
    await this.checkOrg(input.orgId);
    if (!(await this.store.channels.update(id, input, this.now()))) throw new AppError('NOT_FOUND', `Channel ${id} not found`);
    const orgId = input.orgId !== undefined ? input.orgId : orgIdNow;
    this.bus.emit('event', { type: 'channel.updated', at: this.now(), channel: { id, orgId }, data: { id } });
  }

  async deleteChannel(id: string, orgId: string | null): Promise<void> {
    if (!(await this.store.channels.delete(id))) throw new AppError('NOT_FOUND', `Channel ${id} not found`);
    this.bus.emit('event', { type: 'channel.deleted', at: this.now(), channel: { id, orgId }, data: { id } });
  }

  /**
   * All-or-nothing import: every row is checked first (format, org exists, duplicates); any error rejects the
   * whole file with the row-by-row list, otherwise all rows are written in one transaction.
   */
  async importTable(t: Table): Promise<{ imported: number; updated: number }> {
    const { rows, errors } = tableToDevices(t);
    const orgs = new Set((await this.store.orgs.all()).map((o) => o.id));
    for (const r of rows) {
      if (r.input.orgId && !orgs.has(r.input.orgId)) errors.push({ row: r.row, column: '所属组织编码', message: `organisation "${r.input.orgId}" does not exist` });
    }
    if (errors.length) {
      errors.sort((a, b) => a.row - b.row);
      throw new AppError('IMPORT_INVALID', `Import rejected: ${errors.length} problem(s); nothing was stored (导入失败，未写入任何数据)`, errors satisfies RowError[]);
    }
    const now = this.now();
    let imported = 0;
    let updated = 0;
    await this.store.database.db.transaction().execute(async (tx) => {
      for (const r of rows) {
        if (await this.store.devices.exists(r.id, tx)) {
          await this.store.devices.update(r.id, r.input, now, tx);
          updated++;
        } else {
          await this.store.devices.create(r.id, r.input, now, tx);
          imported++;
        }
      }
    });
    this.bus.emit('event', { type: 'device.imported', at: now, data: { imported, updated } });
    return { imported, updated };
  }
}

import { randomUUID } from 'node:crypto';
import { AppError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { EventBus, PlatformEvent } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../core/secrets.js';
import { formatLocalIso, parseLocalTime } from '../core/time.js';
import type { GbService } from '../gb28181/service.js';
import {
  buildAlarmNotify,
  buildCatalogResponses,
  buildDeviceInfoResponse,
  buildDeviceStatusResponse,
  buildKeepalive,
  buildMobilePositionNotify,
  buildRecordInfoResponses,
  buildResultResponse,
  decodeManscdp,
  parseRecordInfoQuery,
  type ManscdpMessage,
} from '../lib/manscdp/index.js';
import { userOf } from '../lib/sip/index.js';
import type { IncomingRequest } from '../sip/endpoint.js';
import type { SipEndpoint } from '../sip/endpoint.js';
import type { Store } from '../store/index.js';
import type { SharedChannel, UpperInput, UpperPlatform } from '../store/repos/upper-platforms.js';
import { catalogFor, type OrgNode } from './catalog.js';
import { UpperSubscriptions } from './subscriptions.js';
import { UpperLink, type LinkStatus } from './upper-link.js';
import type { CascadeInvites } from './cascade-invites.js';

export interface CascadeSettings {
  tz: string;
  /** our platform's name in DeviceInfo answers */
  platformName: string;
}

/** What an upper may reach: its shared channels by the ID it knows them by, refreshed when shares change. */
interface ShareCache {
  byUpperId: Map<string, SharedChannel>;
  byChannel: Map<string, SharedChannel>;
  at: number;
}

/**
 * sharpeye as a GB/T 28181 lower platform to any number of upper platforms (issue 11, R1): one UpperLink per enabled
 * upper keeps the registration; requests from an upper (identified by the From user = its server ID) are answered
 * here: Catalog (paged, the shared channels only), DeviceInfo, DeviceStatus, RecordInfo (platform recordings),
 * DeviceControl relayed to the device when the upper may, SUBSCRIBE with NOTIFY forwarding, and INVITE handed to
 * CascadeInvites for the media.
 */
export class CascadeService {
  private readonly links = new Map<string, UpperLink>();
  private readonly shares = new Map<string, ShareCache>();
  readonly subs: UpperSubscriptions;
  invites?: CascadeInvites;
  private offBus?: () => void;

  constructor(private readonly d: { store: Store; endpoint: SipEndpoint; gb: GbService; bus: EventBus; clock: Clock; log: Logger; secrets: SecretBox; settings: CascadeSettings }) {
    this.subs = new UpperSubscriptions({ endpoint: d.endpoint, log: d.log });
  }

  async start(): Promise<void> {
    for (const u of await this.d.store.uppers.list()) this.link(u);
    this.offBus = this.d.bus.on('event', (e) => void this.onEvent(e).catch((err) => this.d.log.warn({ err }, 'cascade event forwarding failed')));
  }

  async stop(): Promise<void> {
    this.offBus?.();
    this.subs.stopAll();
    await this.invites?.closeAll();
    await Promise.all([...this.links.values()].map((l) => l.stop()));
  }

  private link(u: UpperPlatform): UpperLink {
    const l: UpperLink = new UpperLink(u, {
      endpoint: this.d.endpoint,
      log: this.d.log,
      password: async () => {
        const sealed = await this.d.store.uppers.sealedPassword(u.id);
        return sealed ? this.d.secrets.open(sealed) : '';
      },
      keepaliveBody: (sn: number): Buffer => buildKeepalive(sn, l.upper.localId, { charset: l.upper.charset }),
      onState: (s) => this.d.bus.emit('event', { type: 'upper.status', at: new Date().toISOString(), data: s }),
    });
    this.links.set(u.id, l);
    if (u.enabled) l.start();
    return l;
  }

  status(id: string): LinkStatus | undefined {
    return this.links.get(id)?.status;
  }

  // configuration -----------------------------------------------------------------------------------------------------

  async create(i: UpperInput & { password?: string }): Promise<UpperPlatform> {
    const id = randomUUID();
    const { password, ...rest } = i;
    await this.d.store.uppers.create(id, { ...rest, passwordSealed: password ? this.d.secrets.seal(password) : null }, this.d.clock.now().toISOString());
    const u = (await this.d.store.uppers.get(id))!;
    this.link(u);
    return u;
  }

  async update(id: string, i: Partial<UpperInput> & { password?: string }): Promise<UpperPlatform> {
    const { password, ...rest } = i;
    const ok = await this.d.store.uppers.update(id, { ...rest, ...(password !== undefined ? { passwordSealed: password ? this.d.secrets.seal(password) : null } : {}) }, this.d.clock.now().toISOString());
    if (!ok) throw new AppError('NOT_FOUND', `no upper platform ${id}`);
    const u = (await this.d.store.uppers.get(id))!;
    const l = this.links.get(id);
    if (l) await l.reconfigure(u);
    else this.link(u);
    return u;
  }

  async remove(id: string): Promise<void> {
    const l = this.links.get(id);
    this.links.delete(id);
    this.shares.delete(id);
    this.subs.dropUpper(id);
    await this.invites?.closeUpper(id);
    await l?.stop();
    if (!(await this.d.store.uppers.delete(id))) throw new AppError('NOT_FOUND', `no upper platform ${id}`);
  }

  async setShares(id: string, channels: Array<{ channelId: string; customId?: string | null }>, orgIds: string[]): Promise<{ shared: number }> {
    if (!(await this.d.store.uppers.get(id))) throw new AppError('NOT_FOUND', `no upper platform ${id}`);
    const before = await this.shared(id);
    await this.d.store.uppers.setShares(id, channels, orgIds);
    this.shares.delete(id);
    const after = await this.shared(id);
    // subscribed uppers learn what was added and removed (GB/T 28181-2016 §9.11: ADD/DEL)
    const added = [...after.byChannel.values()].filter((c) => !before.byChannel.has(c.id));
    const removed = [...before.byChannel.values()].filter((c) => !after.byChannel.has(c.id));
    const u = this.links.get(id)?.upper;
    if (u && added.length) this.subs.catalog(id, 'ADD', catalogFor(u.localId, 'flat', added, new Map()), u);
    if (u && removed.length) this.subs.catalog(id, 'DEL', removed.map((c) => ({ deviceId: c.upperId })), u);
    return { shared: after.byChannel.size };
  }

  /** The upper's view of our channels (cached 60 s; refreshed when shares change). */
  async shared(id: string): Promise<ShareCache> {
    const hit = this.shares.get(id);
    if (hit && Date.now() - hit.at < 60_000) return hit;
    const list = await this.d.store.uppers.sharedChannels(id);
    const cache: ShareCache = { byUpperId: new Map(list.map((c) => [c.upperId, c])), byChannel: new Map(list.map((c) => [c.id, c])), at: Date.now() };
    this.shares.set(id, cache);
    return cache;
  }

  private async orgNodes(): Promise<Map<string, OrgNode>> {
    const rows = await this.d.store.database.db.selectFrom('orgs').select(['id', 'name', 'parent_id', 'type']).execute();
    return new Map(rows.map((r) => [r.id, { id: r.id, name: r.name, parentId: r.parent_id, type: r.type }]));
  }

  async catalog(id: string) {
    const u = this.links.get(id)?.upper ?? (await this.d.store.uppers.get(id));
    if (!u) throw new AppError('NOT_FOUND', `no upper platform ${id}`);
    return catalogFor(u.localId, u.catalogMode, [...(await this.shared(id)).byUpperId.values()], await this.orgNodes());
  }

  // requests from uppers -----------------------------------------------------------------------------------------------

  /** Takes the request when it comes from a configured upper (From user = its server ID). */
  intercept(r: IncomingRequest): boolean {
    const from = userOf(r.msg.headers.get('from'));
    if (!from) return false;
    for (const l of this.links.values()) {
      if (l.upper.serverId !== from || !l.upper.enabled) continue;
      void this.handle(l, r).catch((err) => {
        this.d.log.error({ err, upper: l.upper.id, method: r.msg.method }, 'cascade request failed');
        r.reply(500);
      });
      return true;
    }
    return false;
  }

  private async handle(l: UpperLink, r: IncomingRequest): Promise<void> {
    switch (r.msg.method) {
      case 'MESSAGE':
        return this.onMessage(l, r);
      case 'SUBSCRIBE':
        return this.onSubscribe(l, r);
      case 'INVITE':
      case 'ACK':
      case 'BYE':
      case 'INFO':
      case 'CANCEL':
        if (!this.invites) return r.msg.method === 'ACK' ? undefined : r.reply(488, 'Not Acceptable Here (media output not available on this node)');
        return this.invites.handle(l.upper, r, (ch) => this.resolveChannel(l.upper.id, ch));
      case 'OPTIONS':
        return r.reply(200, 'OK', { Allow: 'INVITE, ACK, BYE, CANCEL, INFO, MESSAGE, SUBSCRIBE, NOTIFY, OPTIONS' });
      case 'NOTIFY':
        return r.reply(200);
      default:
        return r.reply(405, 'Method Not Allowed', { Allow: 'INVITE, ACK, BYE, CANCEL, INFO, MESSAGE, SUBSCRIBE, OPTIONS' });
    }
  }

  /** The shared channel behind an ID the upper used (custom or ours); undefined when not shared. */
  async resolveChannel(upperId: string, id: string): Promise<SharedChannel | undefined> {
    return (await this.shared(upperId)).byUpperId.get(id);
  }

  private async onMessage(l: UpperLink, r: IncomingRequest): Promise<void> {
    let m: ManscdpMessage;
    try {
      m = decodeManscdp(r.msg.body);
    } catch (e) {
      return r.reply(400, `Bad Request (${(e as Error).message.slice(0, 80)})`);
    }
    const u = l.upper;
    const opts = { charset: u.charset } as const;
    const cmd = m.cmdType.toLowerCase();
    if (m.root === 'Response' || m.root === 'Notify') return r.reply(200); // answers to our keepalive etc.
    if (m.root === 'Control') return this.onControl(l, r, m);
    const target = m.deviceId;
    const isUs = target === u.localId;
    const ch = isUs ? undefined : await this.resolveChannel(u.id, target);
    if (!isUs && !ch && cmd !== 'catalog') return r.reply(404, 'Not Found (not shared with this platform)');
    r.reply(200);
    let bodies: Buffer[];
    switch (cmd) {
      case 'catalog': {
        const t0 = Date.now();
        const items = await this.catalog(u.id);
        bodies = buildCatalogResponses(m.sn, u.localId, items, Math.max(1, u.catalogPageSize), opts);
        this.d.log.info({ upper: u.id, items: items.length, messages: bodies.length, buildMs: Date.now() - t0 }, 'catalog sent to upper platform');
        break;
      }
      case 'deviceinfo':
        bodies = [
          ch
            ? buildDeviceInfoResponse(m.sn, target, { deviceName: ch.name, result: 'OK', manufacturer: ch.manufacturer ?? 'sharpeye', model: ch.model ?? 'IPC', firmware: 'sharpeye', channel: 1 }, opts)
            : buildDeviceInfoResponse(m.sn, target, { deviceName: this.d.settings.platformName, result: 'OK', manufacturer: 'sharpeye', model: 'sharpeye platform', firmware: 'sharpeye', channel: (await this.shared(u.id)).byUpperId.size }, opts),
        ];
        break;
      case 'devicestatus':
        bodies = [buildDeviceStatusResponse(m.sn, target, { result: 'OK', online: ch ? ch.online : true, status: 'OK', encode: ch ? ch.online : true, record: false, deviceTime: formatLocalIso(this.d.clock.now(), this.d.settings.tz).slice(0, 19) }, opts)];
        break;
      case 'recordinfo':
        bodies = await this.recordInfo(u, m, ch);
        break;
      default:
        bodies = [buildResultResponse(m.cmdType, m.sn, target, 'ERROR', opts)];
    }
    for (const b of bodies) {
      const res = await l.message(b).catch((e: Error) => ({ status: 0, reason: e.message }));
      if (res.status >= 300 || res.status === 0) {
        this.d.log.warn({ upper: u.id, cmd: m.cmdType, status: res.status, reason: res.reason }, 'upper platform refused an answer MESSAGE');
        break;
      }
    }
  }

  /** RecordInfo from our platform recordings (GB/T 28181-2016 §A.2.4.5): spans in the asked range, local times. */
  private async recordInfo(u: UpperPlatform, m: ManscdpMessage, ch: SharedChannel | undefined): Promise<Buffer[]> {
    const q = parseRecordInfoQuery(m);
    const opts = { charset: u.charset } as const;
    if (!ch) return buildRecordInfoResponses(m.sn, m.deviceId, this.d.settings.platformName, [], 1, opts);
    const from = parseLocalTime(q.startTime, this.d.settings.tz);
    const to = parseLocalTime(q.endTime, this.d.settings.tz);
    if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) return buildRecordInfoResponses(m.sn, m.deviceId, ch.name, [], 1, opts);
    const segs = await this.d.store.segments.range(ch.id, from, to);
    // one item per continuous span (segments ≤ 2 s apart), clipped to the range
    const spans: Array<{ a: number; b: number; size: number }> = [];
    for (const s of segs) {
      const a = Math.max(s.startMs, from);
      const b = Math.min(s.endMs, to);
      const last = spans[spans.length - 1];
      if (last && a <= last.b + 2000) {
        last.b = Math.max(last.b, b);
        last.size += s.size;
      } else spans.push({ a, b, size: s.size });
    }
    const local = (ms: number) => formatLocalIso(new Date(ms), this.d.settings.tz).slice(0, 19);
    const items = spans.map((s) => ({ deviceId: m.deviceId, name: ch.name, filePath: `${ch.upperId}_${s.a}`, address: 'sharpeye', startTime: local(s.a), endTime: local(s.b), secrecy: 0, type: 'time', recorderId: m.deviceId, fileSize: s.size }));
    return buildRecordInfoResponses(m.sn, m.deviceId, ch.name, items, 10, opts);
  }

  /** DeviceControl from the upper (PTZ, presets, record, guard …) relayed to the device when this upper may. */
  private async onControl(l: UpperLink, r: IncomingRequest, m: ManscdpMessage): Promise<void> {
    const u = l.upper;
    const ch = await this.resolveChannel(u.id, m.deviceId);
    if (!ch) return r.reply(404, 'Not Found (not shared with this platform)');
    if (!u.ptzAllowed) {
      await this.auditControl(u, ch, m, 'denied');
      return r.reply(403, 'Forbidden (control not allowed for this upper platform)');
    }
    r.reply(200);
    const { CmdType: _c, SN: _s, DeviceID: _d, ...fields } = m.body as Record<string, unknown>;
    let result = 'ok';
    try {
      await this.d.gb.control(ch.deviceId, ch.id, fields);
    } catch (e) {
      result = 'fail';
      this.d.log.warn({ upper: u.id, channel: ch.id, err: (e as Error).message }, 'control from upper platform not delivered');
    }
    await this.auditControl(u, ch, m, result);
  }

  private async auditControl(u: UpperPlatform, ch: SharedChannel, m: ManscdpMessage, result: string): Promise<void> {
    const { CmdType: _c, SN: _s, DeviceID: _d, ...fields } = m.body as Record<string, unknown>;
    await this.d.store.logs
      .appendUser({ at: this.d.clock.now().toISOString(), userId: null, username: `upper:${u.name}`, action: 'cascade.control', targetType: 'channel', targetId: ch.id, detail: JSON.stringify(fields).slice(0, 300), ip: u.host, result: result === 'ok' ? 'ok' : 'fail' })
      .catch(() => undefined);
  }

  private async onSubscribe(l: UpperLink, r: IncomingRequest): Promise<void> {
    let m: ManscdpMessage | undefined;
    try {
      m = r.msg.body.length ? decodeManscdp(r.msg.body) : undefined;
    } catch {
      m = undefined;
    }
    this.subs.accept(l.upper, r, m);
  }

  // events to uppers ---------------------------------------------------------------------------------------------------

  private async onEvent(e: PlatformEvent): Promise<void> {
    if (!this.links.size) return;
    const data = (e.data ?? {}) as { id?: string; channelId?: string | null; platform?: boolean };
    if (e.type === 'channel.online' || e.type === 'channel.offline') {
      const id = data.id ?? e.channel?.id;
      if (id) await this.forEachSharing(id, (u, c) => this.subs.catalog(u.id, e.type === 'channel.online' ? 'ON' : 'OFF', [{ deviceId: c.upperId, status: e.type === 'channel.online' ? 'ON' : 'OFF' }], u));
    } else if ((e.type === 'device.online' || e.type === 'device.offline') && e.deviceId) {
      const on = e.type === 'device.online';
      for (const l of this.links.values()) {
        const cs = [...(await this.shared(l.upper.id)).byChannel.values()].filter((c) => c.deviceId === e.deviceId);
        if (cs.length) this.subs.catalog(l.upper.id, on ? 'ON' : 'OFF', cs.map((c) => ({ deviceId: c.upperId, status: on ? 'ON' : 'OFF' })), l.upper);
      }
    } else if (e.type === 'channel.position') {
      const p = e.data as { id?: string; longitude?: number; latitude?: number };
      if (!p.id || typeof p.longitude !== 'number' || typeof p.latitude !== 'number') return;
      await this.forEachSharing(p.id, (u, c, l) => {
        // only uppers that subscribed to MobilePosition get it (GB/T 28181-2016 §9.11.2)
        this.subs.notifyRaw(u.id, 'mobileposition', buildMobilePositionNotify(l.nextSn(), c.upperId, { time: formatLocalIso(new Date(e.at), this.d.settings.tz).slice(0, 19), longitude: p.longitude!, latitude: p.latitude! }, { charset: u.charset }));
      });
    } else if (e.type === 'alarm' && !data.platform) {
      const id = e.channel?.id ?? data.channelId ?? undefined;
      if (!id) return;
      const a = e.data as { priority?: number | null; method?: string | null; description?: string | null; at?: string; longitude?: number | null; latitude?: number | null };
      await this.forEachSharing(id, async (u, c, l) => {
        const body = buildAlarmNotify(l.nextSn(), c.upperId, { alarmPriority: a.priority ?? 1, alarmMethod: a.method ?? 5, alarmTime: formatLocalIso(new Date(e.at), this.d.settings.tz).slice(0, 19), alarmDescription: a.description, longitude: a.longitude, latitude: a.latitude }, { charset: u.charset });
        // an Alarm subscription gets a NOTIFY; otherwise a MESSAGE Notify (GB/T 28181-2016 §9.4.2)
        if (!this.subs.notifyRaw(u.id, 'alarm', body) && l.registered) await l.message(body).catch(() => undefined);
      });
    }
  }

  private async forEachSharing(channelId: string, fn: (u: UpperPlatform, c: SharedChannel, l: UpperLink) => void | Promise<void>): Promise<void> {
    for (const l of this.links.values()) {
      if (!l.upper.enabled) continue;
      const c = (await this.shared(l.upper.id)).byChannel.get(channelId);
      if (c) await fn(l.upper, c, l);
    }
  }
}

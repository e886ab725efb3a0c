import { AppError } from '../core/errors.js';
import { buildQuery, buildResultResponse, decodeManscdp, encodeManscdp, ManscdpError, parseCatalog, parseRecordInfo, type ManscdpMessage, type MediaStatus, type XmlObject } from '../lib/manscdp/index.js';
import { userOf } from '../lib/sip/index.js';
import type { IncomingRequest } from '../sip/endpoint.js';
import { applyCatalogChunked, applyCatalogEvents, CatalogCache, toEntry } from './catalog-sync.js';
import type { GbDeps } from './context.js';
import { DeviceJournal } from './device-journal.js';
import { GbInvites } from './invites.js';
import { handleNotifyBody } from './notifications.js';
import { OnboardingQueue } from './onboarding-queue.js';
import { Outbound } from './outbound.js';
import { PendingQueries, type QueryResult } from './pending-queries.js';
import { Presence } from './presence.js';
import { Registrar } from './registrar.js';
import { Registry, sameOrigin } from './registry.js';
import { Subscriptions } from './subscriptions.js';

/** CmdTypes whose answers come in pages (several MESSAGEs, same SN). */
const PAGED = new Set(['catalog', 'recordinfo']);

/**
 * The platform's GB/T 28181 side facing devices (R9): routes incoming requests, keeps presence, runs queries and
 * controls. Everything the REST API and other services need goes through this class.
 */
export class GbService {
  readonly registry = new Registry();
  readonly journal: DeviceJournal;
  readonly queries = new PendingQueries();
  readonly outbound: Outbound;
  readonly subscriptions: Subscriptions;
  readonly invites: GbInvites;
  private readonly registrar: Registrar;
  private readonly presence: Presence;
  /**
   * Post-registration work (info + catalog first, subscriptions after) is queued with back-pressure so a register
   * storm cannot flood devices or the DB, nor hold the event loop (onboarding-queue.ts).
   */
  // 128 at once: as fast as 256 in the 20,000-device storm, with lower loop-delay spikes (bench/register-storm.ts)
  private readonly afterRegister = new OnboardingQueue({ max: 128 });
  private readonly quietLog = new Map<string, number>();
  private stopped = false;
  private readonly catalogCache = new CatalogCache();
  private readonly catalogRetries = new Map<string, number>();
  /** Requests another service owns (an upper platform's, for the cascade) are taken before device routing. */
  intercept?: (r: IncomingRequest) => boolean;
  /** Keepalives accepted from registered devices (read by /metrics, issue 14). */
  keepalives = 0;

  constructor(private readonly deps: GbDeps) {
    this.journal = new DeviceJournal(deps);
    this.outbound = new Outbound(deps, this.registry);
    this.subscriptions = new Subscriptions(deps, this.outbound, this.queries);
    this.invites = new GbInvites(deps, this.outbound);
    this.registrar = new Registrar(deps, this.registry, this.journal, {
      registered: (id, fresh) => {
        if (fresh) this.afterRegister.push(() => this.onboard(id));
      },
      unregistered: (id) => {
        this.subscriptions.drop(id);
        this.catalogCache.forget(id);
      },
    });
    this.presence = new Presence(deps, this.registry, this.journal, (id, why) => this.goOffline(id, why, true));
    deps.endpoint.onRequest((r) => void this.route(r));
  }

  async start(): Promise<void> {
    warmDecoders();
    const n = await this.presence.restore();
    if (n) this.deps.log.info({ restored: n }, 'registrations restored after restart');
    this.presence.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.afterRegister.stop();
    this.presence.stop();
    this.subscriptions.stopAll();
    await this.invites.byeAll();
    await this.presence.flush();
    await this.journal.flush();
  }

  /** Offline by keepalive loss keeps the session (a late keepalive revives it); expiry and unregister drop it. */
  async goOffline(deviceId: string, why: string, keepSession: boolean): Promise<void> {
    const s = this.registry.get(deviceId);
    if (!s) return;
    this.catalogCache.forget(deviceId);
    if (keepSession && !why.startsWith('registration expired')) {
      s.online = false;
      await this.deps.store.gb.setDeviceOnline(deviceId, false, this.deps.clock.now().toISOString());
      this.journal.log(deviceId, 'device.offline', 'warn', why);
      this.journal.push('device.offline', deviceId, { id: deviceId, reason: why });
      await this.deps.store.logs.appendAlarm({ at: this.deps.clock.now().toISOString(), deviceId, alarmType: 'device_offline', priority: 3, method: 'platform', description: `设备离线: ${why}` });
      return;
    }
    await this.registrar.unregister(deviceId, why);
  }

  private async route(r: IncomingRequest): Promise<void> {
    if (this.intercept?.(r)) return;
    try {
      switch (r.msg.method) {
        case 'REGISTER':
          return await this.registrar.handle(r);
        case 'MESSAGE':
        case 'NOTIFY':
          return await this.onManscdp(r);
        case 'OPTIONS':
          return r.reply(200);
        case 'ACK':
          return;
        case 'BYE':
          return this.invites.handleBye(r);
        case 'INVITE':
          return r.reply(488, 'Not Acceptable Here (media is not offered by this node yet)');
        default:
          return r.reply(501);
      }
    } catch (e) {
      this.deps.log.error({ err: e, method: r.msg.method, peer: r.peer }, 'SIP request handling failed');
      r.reply(500);
    }
  }

  /** A device log line at most once a minute per (device, kind): misbehaving devices must not flood the log. */
  private logOnce(deviceId: string | null, kind: string, detail: string): void {
    const key = `${deviceId}:${kind}`;
    const now = Date.now();
    if ((this.quietLog.get(key) ?? 0) > now) return;
    if (this.quietLog.size > 50_000) this.quietLog.clear();
    this.quietLog.set(key, now + 60_000);
    this.journal.log(deviceId, kind, 'warn', detail);
  }

  private async onManscdp(r: IncomingRequest): Promise<void> {
    const { msg, peer } = r;
    let deviceId = userOf(msg.headers.get('from'));
    let s = deviceId ? this.registry.get(deviceId) : undefined;
    if (!s) {
      // an in-dialog MESSAGE of a media dialog (MediaStatus) comes from the channel the INVITE named
      const d = this.invites.byCallId(msg.headers.get('call-id'));
      if (d) {
        deviceId = d.deviceId;
        s = this.registry.get(d.deviceId);
      }
    }
    if (!deviceId || !s) {
      this.logOnce(deviceId ?? null, 'message.unregistered', `${msg.method} from unregistered ${deviceId ?? '?'} at ${peer.address}:${peer.port}`);
      return r.reply(403, 'Forbidden (not registered)');
    }
    if (!sameOrigin(s, peer)) {
      this.logOnce(deviceId, 'message.spoofed', `${msg.method} claiming ${deviceId} from ${peer.transport} ${peer.address}:${peer.port}, registered at ${s.peer.address}:${s.peer.port}`);
      return r.reply(403, 'Forbidden (not the registered address)');
    }
    if (msg.method === 'NOTIFY' && msg.body.length === 0) {
      // RFC 6665 §4.2.2: a notifier may send an empty initial NOTIFY to confirm the subscription.
      return r.reply(200);
    }
    if (isKeepalive(msg.body, deviceId)) {
      // Fast path: keepalives are most of the steady-state traffic (one per device per minute).
      r.reply(200);
      this.keepalives++;
      await this.presence.heard(deviceId);
      return;
    }
    let m: ManscdpMessage;
    try {
      m = decodeManscdp(msg.body);
    } catch (e) {
      this.logOnce(deviceId, 'message.invalid', `undecodable ${msg.method} body: ${(e as Error).message}`);
      return r.reply(400, e instanceof ManscdpError ? `Bad Request (${e.code})` : 'Bad Request');
    }
    r.reply(200);
    if (m.cmdType === 'Keepalive') this.keepalives++;
    await this.presence.heard(deviceId);
    if (m.root === 'Response') return this.onResponse(deviceId, m);
    if (m.root === 'Notify') return handleNotifyBody(this.deps, this, deviceId, m, msg.headers.get('call-id'));
    if (m.root === 'Query' || m.root === 'Control') this.logOnce(deviceId, 'message.unsupported', `${m.root} ${m.cmdType} from a device is not handled`);
  }

  private onResponse(deviceId: string, m: ManscdpMessage): void {
    const cmd = m.cmdType.toLowerCase();
    let part;
    if (cmd === 'catalog') {
      const c = parseCatalog(m);
      part = { sumNum: c.sumNum, items: c.items, body: m.body };
    } else if (cmd === 'recordinfo') {
      const rec = parseRecordInfo(m);
      part = { sumNum: rec.sumNum, items: rec.items, body: m.body };
    } else part = { items: [], body: m.body };
    const key = cmd === 'catalog' ? (i: unknown) => (i as { deviceId: string }).deviceId : cmd === 'recordinfo' ? (i: unknown) => JSON.stringify(i) : undefined;
    if (!this.queries.deliver(deviceId, m.cmdType, m.sn, part, key)) {
      this.deps.log.debug({ deviceId, cmdType: m.cmdType, sn: m.sn }, 'unsolicited or late response ignored');
    }
  }

  /**
   * Sends a query and waits for its (possibly paged) answer. `target` is the DeviceID in the body (device or channel);
   * `idleMs`: a paged answer that stops short of SumNum is returned (complete: false) after this quiet time.
   */
  async query(deviceId: string, cmdType: string, extra?: Record<string, unknown>, opts: { target?: string; timeoutMs?: number; idleMs?: number } = {}): Promise<QueryResult> {
    this.outbound.session(deviceId);
    const sn = this.queries.nextSn();
    const paged = PAGED.has(cmdType.toLowerCase());
    const answer = this.queries.wait(deviceId, cmdType, sn, { timeoutMs: opts.timeoutMs ?? this.deps.settings.queryTimeoutMs, paged, idleMs: opts.idleMs });
    answer.catch(() => undefined); // may settle while the MESSAGE is still in flight; the caller still sees it
    try {
      await this.outbound.message(deviceId, buildQuery(cmdType, sn, opts.target ?? deviceId, extra as never));
    } catch (e) {
      this.queries.cancel(deviceId, cmdType, sn);
      answer.catch(() => undefined);
      throw e;
    }
    return answer;
  }

  /** Catalog query (paged answers merged) applied to the archive. */
  async refreshCatalog(deviceId: string): Promise<{ total: number; complete: boolean; added: number; updated: number; orgs: number }> {
    const r = await this.query(deviceId, 'Catalog', undefined, { timeoutMs: 30_000 });
    const entries = (r.items as Parameters<typeof toEntry>[0][]).filter((i) => i.deviceId).map(toEntry);
    const changed = this.catalogCache.changed(deviceId, entries);
    const applied = await applyCatalogChunked(this.deps, deviceId, changed, this.deps.clock.now().toISOString());
    this.catalogCache.remember(deviceId, changed);
    this.journal.log(deviceId, 'catalog.synced', r.complete ? 'info' : 'warn', `${entries.length}/${r.sumNum ?? entries.length} items${r.complete ? '' : ' (incomplete)'}: ${applied.added} new, ${applied.updated} updated, ${entries.length - changed.length} unchanged, ${applied.orgs} orgs`);
    this.journal.push('device.catalog', deviceId, { id: deviceId, ...applied });
    return { total: entries.length, complete: r.complete, ...applied };
  }

  mediaStatus(deviceId: string, st: MediaStatus, callId?: string): void {
    if (!this.invites.mediaStatus(callId, deviceId, st.deviceId || deviceId, st.notifyType)) this.logOnce(deviceId, 'media.status.unmatched', `MediaStatus ${st.notifyType ?? '?'} for ${st.deviceId || deviceId} matches no playback/download`);
  }

  async applyCatalogNotify(deviceId: string, m: ManscdpMessage): Promise<void> {
    await applyCatalogEvents(this.deps, this.journal, this.catalogCache, deviceId, parseCatalog(m).items);
  }

  /** The answer body of a single-message query, without the envelope fields. */
  async queryBody(deviceId: string, cmdType: string, extra?: Record<string, unknown>, target?: string): Promise<Record<string, unknown>> {
    const r = await this.query(deviceId, cmdType, extra, { target });
    const { CmdType: _c, SN: _s, ...rest } = (r.parts[0]?.body ?? {}) as Record<string, unknown>;
    return rest;
  }

  /** After a (re-)registration: device info, catalog, subscriptions (GB/T 28181-2016 §9.5, §9.11). */
  private async onboard(deviceId: string): Promise<void> {
    if (this.stopped) return;
    // DeviceInfo and Catalog in parallel: two round trips overlap instead of adding up.
    await Promise.all([
      this.queryBody(deviceId, 'DeviceInfo').then(
        async (info) => {
          const str = (k: string) => (typeof info[k] === 'string' && info[k] ? (info[k] as string).slice(0, 200) : undefined);
          await this.deps.store.devices.update(deviceId, { manufacturer: str('Manufacturer'), model: str('Model'), firmware: str('Firmware'), ...(str('DeviceName') ? { name: str('DeviceName') } : {}) }, this.deps.clock.now().toISOString());
        },
        (e) => this.logOnce(deviceId, 'query.failed', `DeviceInfo after registration: ${(e as Error).message}`),
      ),
      this.refreshCatalog(deviceId).then(
        (r) => void (r.complete ? this.catalogRetries.delete(deviceId) : this.retryCatalog(deviceId, `incomplete (${r.total} items)`)),
        (e) => {
          this.logOnce(deviceId, 'query.failed', `Catalog after registration: ${(e as Error).message}`);
          this.retryCatalog(deviceId, (e as Error).message);
        },
      ),
    ]);
    // Subscriptions wait behind every device's catalog (low priority) but still count against the queue's limit.
    if (!this.stopped) this.afterRegister.push(() => (this.stopped || !this.registry.get(deviceId) ? Promise.resolve() : this.subscriptions.ensure(deviceId)), 'low');
  }

  /**
   * A catalog lost in a register storm (the device's answer timed out or stopped half-way) is asked again later, twice
   * at most, so every channel ends up in the archive even when the Catalog NOTIFY subscription does not fill the gap.
   */
  private retryCatalog(deviceId: string, why: string): void {
    const n = (this.catalogRetries.get(deviceId) ?? 0) + 1;
    if (this.stopped || n > 2) {
      this.catalogRetries.delete(deviceId);
      return;
    }
    this.catalogRetries.set(deviceId, n);
    const t = setTimeout(() => {
      if (this.stopped || !this.registry.get(deviceId)) return;
      this.afterRegister.push(() =>
        this.refreshCatalog(deviceId).then(
          (r) => void (r.complete ? this.catalogRetries.delete(deviceId) : this.retryCatalog(deviceId, 'still incomplete')),
          (e) => this.retryCatalog(deviceId, (e as Error).message),
        ),
      );
    }, 15_000 * n + Math.random() * 10_000);
    t.unref();
    this.journal.log(deviceId, 'catalog.retry', 'info', `Catalog asked again in ${15 * n}–${15 * n + 10} s (attempt ${n + 1}): ${why}`.slice(0, 300));
  }

  /** DeviceControl (GB/T 28181-2016 §A.2.3): `fields` are the control elements, e.g. `{ PTZCmd: 'A50F01…' }`. */
  async control(deviceId: string, target: string, fields: Record<string, unknown>): Promise<void> {
    this.outbound.session(deviceId);
    const sn = this.queries.nextSn();
    await this.outbound.message(deviceId, buildQueryControl(sn, target, fields));
  }

  /**
   * DeviceConfig (GB/T 28181-2016 §A.2.3, 2022 adds SnapShotConfig): `fields` are the configuration elements, e.g.
   * `{ SnapShotConfig: { SnapNum, Interval, UploadURL, SessionID } }`. Resolves when the MESSAGE was accepted (200).
   */
  async configure(deviceId: string, target: string, fields: Record<string, unknown>): Promise<void> {
    if (!Object.keys(fields).length) throw new AppError('VALIDATION_FAILED', 'empty configuration command');
    this.outbound.session(deviceId);
    const sn = this.queries.nextSn();
    await this.outbound.message(deviceId, encodeManscdp({ root: 'Control', cmdType: 'DeviceConfig', sn, deviceId: target, fields: fields as XmlObject }));
  }

  /** Reply to a device Notify that wants an answer (alarm, §9.4.2). */
  async answerNotify(deviceId: string, m: ManscdpMessage): Promise<void> {
    await this.outbound.message(deviceId, buildResultResponse(m.cmdType, m.sn, m.deviceId, 'OK')).catch(() => undefined);
  }

  /** Our address as the device sees it: what goes into SDP `c=` when the media node shares our host. */
  localAddressFor(deviceId: string): string {
    return this.deps.endpoint.localFor(this.outbound.session(deviceId).peer).address;
  }

  stats() {
    return {
      registered: this.registry.size,
      online: this.registry.onlineCount,
      pendingQueries: this.queries.size,
      onboardingQueued: this.afterRegister.waiting,
      onboarding: { catalogQueued: this.afterRegister.waitingCatalog, running: this.afterRegister.active, limit: this.afterRegister.limit },
      subscriptions: this.subscriptions.size,
      sip: { ...this.deps.endpoint.counters, pendingTransactions: this.deps.endpoint.pending },
    };
  }
}

/** A small body whose CmdType is Keepalive (GB/T 28181-2016 §A.2.5); anything unusual takes the full decoder. */
export function isKeepalive(body: Buffer, deviceId: string): boolean {
  if (body.length > 600) return false;
  const t = body.toString('latin1');
  return /^\s*(<\?xml[^>]*\?>\s*)?<Notify>[\s\S]*<\/Notify>\s*$/.test(t) && /<CmdType>\s*Keepalive\s*<\/CmdType>/.test(t) && t.includes(`<DeviceID>${deviceId}</DeviceID>`) && /<SN>\s*\d+\s*<\/SN>/.test(t);
}

/**
 * The first GB body decoded builds iconv-lite's GB18030 tables and the XML parser (~200 ms): done at start, not
 * inside the first second of a register storm.
 */
function warmDecoders(): void {
  try {
    const head = Buffer.from('<?xml version="1.0" encoding="GB2312"?>\r\n<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>34020000001320000001</DeviceID><SumNum>1</SumNum><DeviceList Num="1"><Item><DeviceID>34020000001320000001</DeviceID><Name>', 'latin1');
    const tail = Buffer.from('</Name><Status>ON</Status></Item></DeviceList></Response>\r\n', 'latin1');
    parseCatalog(decodeManscdp(Buffer.concat([head, Buffer.from([0xc4, 0xe3, 0xba, 0xc3]), tail])));
    buildQuery('Catalog', 1, '34020000001320000001');
  } catch {
    /* only a warm-up */
  }
}

function buildQueryControl(sn: number, target: string, fields: Record<string, unknown>): Buffer {
  if (!Object.keys(fields).length) throw new AppError('VALIDATION_FAILED', 'empty control command');
  return encodeManscdp({ root: 'Control', cmdType: 'DeviceControl', sn, deviceId: target, fields: fields as XmlObject });
}

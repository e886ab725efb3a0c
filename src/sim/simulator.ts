import { lookup } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { createLogger, type Logger } from '../core/logger.js';
import { userOf } from '../lib/sip/index.js';
import { SipEndpoint, type IncomingRequest } from '../sip/endpoint.js';
import type { Peer } from '../sip/transport.js';
import { createAnswers, type AlarmSpec, type ManscdpAnswers } from './answers.js';
import { newDeviceCounters, SimDevice, type DeviceContext, type DeviceCounters, type DeviceState, type InviteContext } from './device.js';
import { IdPlan } from './ids.js';
import { SimMedia } from './media/service.js';
import { loadMediaSource, type MediaSource } from './media/source.js';
import { DEFAULTS, parseServer, validateOptions, type SimulatorOptions, type Vendor } from './options.js';
import { newWireCounters, openUdp, routeAddress, TcpClientTransport, type WireCounters } from './transports.js';

/** One `--stats` line. */
export interface SimStats {
  /** Seconds since start(). */
  t: number;
  devices: number;
  registered: number;
  registering: number;
  failed: number;
  keepalivesSent: number;
  keepaliveErrors: number;
  queriesAnswered: number;
  sipSent: number;
  sipReceived: number;
  /** Messages sent again: request retransmissions (UDP timers) and answers re-sent to retransmitted requests. */
  retransmits: number;
  rssMB: number;
  /** Seconds from start() until every device was registered at once (first time), or null. */
  allRegisteredS: number | null;
  registrations: number;
  registerFailures: number;
  forbidden: number;
  controlsAnswered: number;
  messagesSent: number;
  notifiesSent: number;
  alarmsSent: number;
  subscriptions: number;
  invites: number;
  timeouts: number;
  tcpConnects: number;
  tcpDrops: number;
  sockets: number;
  /** Media streams sending (--media). */
  streams: number;
  /** Media sent over the last second, kbit/s. */
  mediaKbps: number;
}

export interface SimulatorHooks {
  /** INVITE (and ACK/BYE/CANCEL/INFO) for live, playback and download; replaces --media; without either INVITE is answered 488. */
  onInvite?: (ctx: InviteContext) => void;
}

const VENDORS: Record<Vendor, { ua: (nvr: boolean) => string }> = {
  hikvision: { ua: (nvr) => (nvr ? 'Hikvision NVR' : 'IP Camera') },
  dahua: { ua: (nvr) => (nvr ? 'Dahua NVR' : 'Dahua IPC') },
  uniview: { ua: (nvr) => (nvr ? 'UNIVIEW NVR' : 'UNIVIEW IPC') },
};

type Resolved = Required<Omit<SimulatorOptions, 'media' | 'fps' | 'mediaByeAfter' | 'log' | 'localHost' | 'idPrefix'>> & Pick<SimulatorOptions, 'media' | 'fps' | 'mediaByeAfter' | 'localHost'> & { idPrefix: string };

/**
 * GB/T 28181-2016 device simulator: N devices × M channels registering with one platform, multiplexed over a
 * bounded number of sockets (UDP: one socket per `devicesPerSocket` devices; TCP: one connection per device).
 * Events: 'state' (deviceId, from, to), 'allRegistered' (seconds).
 */
export class Simulator extends EventEmitter {
  readonly opts: Resolved;
  readonly log: Logger;
  readonly plan: IdPlan;
  private devices: SimDevice[] = [];
  private endpoints: SipEndpoint[] = [];
  private readonly wire: WireCounters = newWireCounters();
  private readonly counters: DeviceCounters = newDeviceCounters();
  private answers?: ManscdpAnswers;
  private startedAt = 0;
  private allRegisteredS: number | null = null;
  private registeredCount = 0;
  private starter?: NodeJS.Timeout;
  private alarmTimer?: NodeJS.Timeout;
  private running = false;
  private stopping?: Promise<void>;
  private media?: SimMedia;

  constructor(
    options: SimulatorOptions,
    private readonly hooks: SimulatorHooks = {},
  ) {
    super();
    validateOptions(options);
    this.log = options.log ?? createLogger('info');
    this.opts = {
      ...DEFAULTS,
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
      idPrefix: options.idPrefix ?? `${options.domain.slice(0, 8)}00`,
    } as Resolved;
    this.plan = new IdPlan(this.opts.idPrefix, this.opts.channelsPerDevice, this.opts.idStart, this.opts.devices);
  }

  /** Opens sockets and starts registering every device (at `registerRate` per second); does not wait for them. */
  async start(): Promise<void> {
    if (this.running) throw new Error('simulator already started');
    this.running = true;
    const o = this.opts;
    const srv = parseServer(o.server);
    const host = net.isIP(srv.host) ? srv.host : (await lookup(srv.host)).address;
    const server = { host, port: srv.port };
    const localHost = o.localHost ?? (await routeAddress(server));
    const nvr = o.channelsPerDevice > 1;
    let onInvite = this.hooks.onInvite;
    if (!onInvite && o.media !== undefined) {
      // loaded (and extracted with ffmpeg when needed) before any device registers; shared by every channel
      const source = await loadMediaSource(o.media, { fps: o.fps, log: this.log });
      this.media = new SimMedia({ source, localHost, byeAfterS: o.mediaByeAfter, log: this.log, logBudget: () => this.logBudget() });
      onInvite = this.media.handle;
    }
    this.answers = createAnswers({ plan: this.plan, vendor: o.vendor, timeZone: o.timeZone, catalogPerMessage: o.catalogPerMessage, recordsPerMessage: o.recordsPerMessage, recordDays: o.recordDays, domain: o.domain });
    const ctx: DeviceContext = {
      serverId: o.serverId,
      domain: o.domain,
      password: o.password,
      keepaliveS: o.keepalive,
      expiresS: o.expires,
      plan: this.plan,
      answers: this.answers,
      counters: this.counters,
      log: this.log,
      userAgent: VENDORS[o.vendor].ua(nvr),
      tcp: o.transport === 'tcp',
      onInvite,
      onStateChange: (d, from, to) => this.stateChanged(d, from, to),
      answerWindow: 4,
      logBudget: () => this.logBudget(),
    };
    this.startedAt = Date.now();
    if (o.transport === 'udp') {
      const peer: Peer = { transport: 'UDP', address: server.host, port: server.port };
      const sockets = Math.ceil(o.devices / o.devicesPerSocket);
      for (let k = 0; k < sockets; k++) {
        const ep = new SipEndpoint(await openUdp(localHost, this.log, this.wire), this.log, ctx.userAgent);
        ep.onRequest((r) => this.route(r));
        this.endpoints.push(ep);
      }
      for (let i = 0; i < o.devices; i++) this.devices.push(new SimDevice(i, ctx, this.endpoints[Math.floor(i / o.devicesPerSocket)], peer));
    } else {
      for (let i = 0; i < o.devices; i++) {
        const t = new TcpClientTransport(server, localHost, this.wire);
        const ep = new SipEndpoint(t, this.log, ctx.userAgent);
        ep.onRequest((r) => this.route(r));
        this.endpoints.push(ep);
        this.devices.push(new SimDevice(i, ctx, ep, t.serverPeer, t));
      }
    }
    this.log.info({ devices: o.devices, channels: o.devices * o.channelsPerDevice, transport: o.transport, server: `${server.host}:${server.port}`, local: localHost, first: this.plan.deviceId(0) }, 'simulator starting');
    this.startDevices();
    if (o.alarmEvery > 0) this.scheduleAlarms();
  }

  /** Starts devices all at once (in slices, so the event loop keeps turning) or at `registerRate` per second. */
  private startDevices(): void {
    let next = 0;
    const rate = this.opts.registerRate;
    if (rate <= 0) {
      const slice = () => {
        const end = Math.min(this.devices.length, next + (this.opts.transport === 'tcp' ? 100 : 500));
        for (; next < end; next++) this.devices[next].start();
        if (next < this.devices.length && this.running) this.starter = setTimeout(slice, 0);
      };
      slice();
      return;
    }
    const t0 = Date.now();
    const tick = () => {
      const due = Math.min(this.devices.length, Math.floor(((Date.now() - t0) / 1000) * rate) + 1);
      for (; next < due; next++) this.devices[next].start();
      if (next < this.devices.length && this.running) this.starter = setTimeout(tick, Math.max(1, Math.min(100, 1000 / rate)));
    };
    tick();
  }

  private scheduleAlarms(): void {
    this.alarmTimer = setTimeout(() => {
      if (!this.running) return;
      this.scheduleAlarms();
      const reg = this.devices.filter((d) => d.state === 'registered');
      if (!reg.length) return;
      const d = reg[Math.floor(Math.random() * reg.length)];
      const chans = d.channelIds();
      d.raiseAlarm(chans[Math.floor(Math.random() * chans.length)]).catch((e: Error) => this.log.debug({ device: d.id, err: e.message }, 'alarm not delivered'));
    }, this.opts.alarmEvery * 1000);
  }

  private logWindow = { second: 0, lines: 0, suppressed: 0 };

  /** At most 10 per-device info/warn lines a second; the rest go to debug, counted in one summary line. */
  private logBudget(): boolean {
    const w = this.logWindow;
    const second = Math.floor(Date.now() / 1000);
    if (second !== w.second) {
      if (w.suppressed) this.log.info({ lines: w.suppressed }, 'more per-device lines at debug level');
      w.second = second;
      w.lines = 0;
      w.suppressed = 0;
    }
    if (w.lines < 10) {
      w.lines++;
      return true;
    }
    w.suppressed++;
    return false;
  }

  private stateChanged(d: SimDevice, from: DeviceState, to: DeviceState): void {
    if (from === 'registered') this.registeredCount--;
    if (to === 'registered') this.registeredCount++;
    this.emit('state', d.id, from, to);
    if (to === 'registered' && this.allRegisteredS === null && this.registeredCount === this.devices.length && this.devices.length === this.opts.devices) {
      this.allRegisteredS = (Date.now() - this.startedAt) / 1000;
      this.log.info({ devices: this.devices.length, seconds: this.allRegisteredS }, 'all devices registered');
      this.emit('allRegistered', this.allRegisteredS);
    }
  }

  /** Requests from the platform go to the device or channel named in the Request-URI (else the To header). */
  private route(r: IncomingRequest): void {
    const target = userOf(`<${r.msg.uri}>`) ?? userOf(r.msg.headers.get('to'));
    let idx = this.plan.indexOf(target);
    if (idx < 0) idx = this.plan.indexOf(userOf(r.msg.headers.get('to')));
    const dev = idx >= 0 ? this.devices[idx] : undefined;
    if (!dev || dev.state === 'stopped') {
      if (r.msg.method !== 'ACK') r.reply(404, 'Not Found');
      return;
    }
    dev.handle(r, target ?? dev.id);
  }

  /** The --media file as loaded (codec, size, frame rate, the Annex-B file read), once start() has loaded it. */
  get mediaSource(): MediaSource | undefined {
    return this.media?.source;
  }

  /** Resolves when every device is registered (rejects after `timeoutMs`). */
  whenAllRegistered(timeoutMs = 60_000): Promise<number> {
    if (this.allRegisteredS !== null && this.registeredCount === this.devices.length) return Promise.resolve(this.allRegisteredS);
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.devices.length === this.opts.devices && this.registeredCount === this.devices.length) {
          cleanup();
          resolve((Date.now() - this.startedAt) / 1000);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.registeredCount}/${this.opts.devices} devices registered after ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off('state', check);
      };
      this.on('state', check);
      check();
    });
  }

  deviceIds(): string[] {
    return this.devices.length ? this.devices.map((d) => d.id) : Array.from({ length: this.opts.devices }, (_, i) => this.plan.deviceId(i));
  }

  channelIds(deviceId: string): string[] {
    const i = this.plan.indexOf(deviceId);
    if (i < 0) return [];
    return Array.from({ length: this.opts.channelsPerDevice }, (_, j) => this.plan.channelId(i, j));
  }

  /** State of one device, or undefined for an ID not simulated here. */
  deviceState(deviceId: string): DeviceState | undefined {
    const i = this.plan.indexOf(deviceId);
    return i >= 0 && this.plan.deviceId(i) === deviceId ? (this.devices[i]?.state ?? 'idle') : undefined;
  }

  /** Raises an alarm on a device's channel (NOTIFY on an Alarm subscription, else MESSAGE); resolves with the SIP status. */
  raiseAlarm(deviceId: string, channelId?: string, alarm?: AlarmSpec): Promise<number> {
    const i = this.plan.indexOf(deviceId);
    const d = i >= 0 ? this.devices[i] : undefined;
    if (!d || d.id !== deviceId) return Promise.reject(new Error(`unknown device ${deviceId}`));
    if (channelId !== undefined && this.plan.channelIndexOf(i, channelId) < 0 && channelId !== deviceId) return Promise.reject(new Error(`channel ${channelId} is not on device ${deviceId}`));
    return d.raiseAlarm(channelId, alarm);
  }

  stats(): SimStats {
    let registered = 0;
    let registering = 0;
    let failed = 0;
    for (const d of this.devices) {
      if (d.state === 'registered') registered++;
      else if (d.state === 'registering') registering++;
      else if (d.state === 'failed') failed++;
    }
    let endpointSent = 0;
    let timeouts = 0;
    for (const ep of this.endpoints) {
      endpointSent += ep.counters.sent;
      timeouts += ep.counters.timeouts;
    }
    const c = this.counters;
    return {
      t: Math.round((Date.now() - (this.startedAt || Date.now())) / 100) / 10,
      devices: this.opts.devices,
      registered,
      registering,
      failed,
      keepalivesSent: c.keepalivesSent,
      keepaliveErrors: c.keepaliveErrors,
      queriesAnswered: c.queriesAnswered,
      sipSent: this.wire.sipSent,
      sipReceived: this.wire.sipReceived,
      retransmits: Math.max(0, this.wire.sipSent - endpointSent),
      rssMB: Math.round(process.memoryUsage.rss() / 1048576),
      allRegisteredS: this.allRegisteredS,
      registrations: c.registrations,
      registerFailures: c.registerFailures,
      forbidden: c.forbidden,
      controlsAnswered: c.controlsAnswered,
      messagesSent: c.messagesSent,
      notifiesSent: c.notifiesSent,
      alarmsSent: c.alarmsSent,
      subscriptions: c.subscriptions,
      invites: c.invites,
      timeouts,
      tcpConnects: this.wire.tcpConnects,
      tcpDrops: this.wire.tcpDrops,
      sockets: this.opts.transport === 'udp' ? this.endpoints.length : this.wire.tcpConnects - this.wire.tcpDrops,
      streams: this.media?.streams ?? 0,
      mediaKbps: this.media?.mediaKbps() ?? 0,
    };
  }

  /** Unregisters every registered device (Expires: 0, waiting up to `timeoutMs`) and closes the sockets. */
  stop(timeoutMs = 10_000): Promise<void> {
    this.stopping ??= this.doStop(timeoutMs);
    return this.stopping;
  }

  private async doStop(timeoutMs: number): Promise<void> {
    this.running = false;
    clearTimeout(this.starter);
    clearTimeout(this.alarmTimer);
    // streams end first, with a BYE each, while the devices are still registered
    await this.media?.stop(Math.min(timeoutMs, 5000));
    const registered = this.devices.filter((d) => d.state === 'registered').length;
    let timer: NodeJS.Timeout | undefined;
    // Unregister with a bounded number in flight, so the platform is not hit by N REGISTERs (and their
    // retransmissions) at once.
    let next = 0;
    const worker = async () => {
      while (next < this.devices.length) await this.devices[next++].stop();
    };
    await Promise.race([
      Promise.all(Array.from({ length: Math.min(500, this.devices.length) }, worker)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.log.info({ unregistered: registered }, 'simulator stopped');
    for (const ep of this.endpoints) ep.close();
    await Promise.all(this.endpoints.map((ep) => ep.transport.close().catch(() => undefined)));
  }
}

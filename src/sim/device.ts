import type { Logger } from '../core/logger.js';
import { answerChallenge, parseNameAddr, SipHeaders, tagOf, type SipRequest, type SipResponse } from '../lib/sip/index.js';
import { newCallId, newTag, SipTimeoutError, type IncomingRequest, type SipEndpoint } from '../sip/endpoint.js';
import { TRANSACTION_TIMEOUT } from '../sip/timers.js';
import type { Peer } from '../sip/transport.js';
import type { AlarmSpec, ManscdpAnswers, SubscriptionKind } from './answers.js';
import type { IdPlan } from './ids.js';
import type { TcpClientTransport } from './transports.js';

export type DeviceState = 'idle' | 'registering' | 'registered' | 'failed' | 'stopped';

/** Counters summed over all devices (the `--stats` line). */
export interface DeviceCounters {
  registrations: number;
  registerFailures: number;
  forbidden: number;
  keepalivesSent: number;
  keepaliveErrors: number;
  queriesAnswered: number;
  controlsAnswered: number;
  messagesSent: number;
  messageErrors: number;
  notifiesSent: number;
  alarmsSent: number;
  subscriptions: number;
  invites: number;
}

export function newDeviceCounters(): DeviceCounters {
  return {
    registrations: 0,
    registerFailures: 0,
    forbidden: 0,
    keepalivesSent: 0,
    keepaliveErrors: 0,
    queriesAnswered: 0,
    controlsAnswered: 0,
    messagesSent: 0,
    messageErrors: 0,
    notifiesSent: 0,
    alarmsSent: 0,
    subscriptions: 0,
    invites: 0,
  };
}

/** An INVITE (or ACK, BYE, CANCEL, INFO) handed to `SimulatorHooks.onInvite` (src/sim/media answers them with --media). */
export interface InviteContext {
  deviceId: string;
  /** The channel the INVITE names (Request-URI user), or the device itself. */
  channelId: string;
  msg: SipRequest;
  peer: Peer;
  reply: IncomingRequest['reply'];
  log: Logger;
  /** The device's SIP endpoint: in-dialog requests (a device-initiated BYE) go out on it. */
  endpoint: SipEndpoint;
}

/** What every device of one simulator shares. */
export interface DeviceContext {
  serverId: string;
  domain: string;
  password: string;
  keepaliveS: number;
  expiresS: number;
  plan: IdPlan;
  answers: ManscdpAnswers;
  counters: DeviceCounters;
  log: Logger;
  userAgent: string;
  /** TCP: false until connected. */
  tcp: boolean;
  onInvite?: (ctx: InviteContext) => void;
  onStateChange?: (dev: SimDevice, from: DeviceState, to: DeviceState) => void;
  /** Window of MANSCDP answer MESSAGEs in flight per query. */
  answerWindow: number;
  /** True while per-device info/warn lines are still within the rate limit. */
  logBudget: () => boolean;
}

interface Subscription {
  kind: SubscriptionKind;
  callId: string;
  localTag: string;
  /** Subscriber's From, with its tag: our NOTIFY's To. */
  remote: string;
  target: string;
  event: string;
  cseq: number;
  expiresAt: number;
  /** SN and DeviceID of the subscribing Query, repeated in NOTIFYs. */
  sn: number;
  queryDeviceId: string;
  timer?: NodeJS.Timeout;
  intervalS?: number;
}

const jitter = (lo: number, hi: number) => lo + Math.random() * (hi - lo);
const MAX_BACKOFF_S = 300;

/**
 * One simulated GB/T 28181 device (GB/T 28181-2016 §9.1 registration, §9.6 keepalive, §9.3–9.5 queries and
 * control, §9.11 subscriptions): a UAC for REGISTER/MESSAGE/NOTIFY and a UAS for what the platform sends it.
 * Channels are not objects: their IDs come from the IdPlan, so 100,000 channels cost nothing until asked for.
 */
export class SimDevice {
  state: DeviceState = 'idle';
  readonly id: string;
  private readonly callId = newCallId();
  private readonly fromTag = newTag();
  private cseq = 1;
  private sn = 1;
  private challenge?: string;
  private nc = 0;
  private regTimer?: NodeJS.Timeout;
  private kaTimer?: NodeJS.Timeout;
  private kaMisses = 0;
  private failures = 0;
  private subs?: Map<string, Subscription>;
  private registerInFlight?: Promise<void>;
  /** Expires the server granted; Date header of its last 200 (time sync). */
  granted = 0;
  serverDate?: string;
  lastError?: string;

  constructor(
    readonly index: number,
    private readonly ctx: DeviceContext,
    private readonly ep: SipEndpoint,
    private readonly server: Peer,
    private readonly tcp?: TcpClientTransport,
  ) {
    this.id = ctx.plan.deviceId(index);
    tcp?.onDrop(() => this.connectionLost());
  }

  channelIds(): string[] {
    const out: string[] = [];
    for (let j = 0; j < this.ctx.plan.channelsPerDevice; j++) out.push(this.ctx.plan.channelId(this.index, j));
    return out;
  }

  get endpoint(): SipEndpoint {
    return this.ep;
  }

  /** (A getter, so type narrowing does not carry over an await.) */
  get stopped(): boolean {
    return this.state === 'stopped';
  }

  private setState(s: DeviceState): void {
    if (s === this.state) return;
    const from = this.state;
    this.state = s;
    this.ctx.onStateChange?.(this, from, s);
  }

  private nextSn(): number {
    const sn = this.sn;
    this.sn = this.sn >= 2_000_000_000 ? 1 : this.sn + 1;
    return sn;
  }

  private get localUri(): string {
    return `sip:${this.id}@${this.ctx.domain}`;
  }

  private get contact(): string {
    const { address, port } = this.ep.transport.local;
    return `<sip:${this.id}@${address}:${port}${this.ctx.tcp ? ';transport=tcp' : ''}>`;
  }

  private get serverUri(): string {
    return `sip:${this.ctx.serverId}@${this.ctx.domain}`;
  }

  /** Begins registering (and keeps the device registered until `stop()`). */
  start(): void {
    if (this.state === 'stopped') return;
    this.setState('registering');
    void this.registerNow();
  }

  private registerNow(): Promise<void> {
    if (this.registerInFlight) return this.registerInFlight;
    clearTimeout(this.regTimer);
    this.regTimer = undefined;
    this.registerInFlight = this.registerCycle().finally(() => {
      this.registerInFlight = undefined;
    });
    return this.registerInFlight;
  }

  private async registerCycle(): Promise<void> {
    if (this.state === 'stopped') return;
    if (this.state !== 'registered') this.setState('registering');
    try {
      if (this.tcp && !this.tcp.connected) await this.tcp.connect();
      const res = await this.register(this.ctx.expiresS);
      if (this.stopped) return;
      if (res.status >= 200 && res.status < 300) {
        this.granted = Math.max(10, grantedExpires(res, this.id, this.ctx.expiresS));
        this.serverDate = res.headers.get('date');
        this.failures = 0;
        this.kaMisses = 0;
        this.ctx.counters.registrations++;
        const first = this.state !== 'registered';
        this.setState('registered');
        this.ctx.log.debug({ device: this.id, expires: this.granted, date: this.serverDate }, 'registered');
        // Refresh well before Expires, spread so a register storm does not come back as a refresh storm.
        const refreshS = this.granted > 120 ? this.granted * jitter(0.75, 0.9) : this.granted / 2;
        this.regTimer = setTimeout(() => void this.registerNow(), refreshS * 1000);
        if (first || !this.kaTimer) this.scheduleKeepalive(this.ctx.keepaliveS * jitter(0.3, 1));
        return;
      }
      if (res.status === 403) this.ctx.counters.forbidden++;
      this.fail(`REGISTER answered ${res.status} ${res.reason}`, res.status === 403 ? 'warn' : 'info');
    } catch (e) {
      if (this.stopped) return;
      this.fail(e instanceof SipTimeoutError ? 'REGISTER timed out' : `REGISTER failed: ${(e as Error).message}`, 'debug');
    }
  }

  private fail(reason: string, level: 'warn' | 'info' | 'debug'): void {
    this.ctx.counters.registerFailures++;
    this.lastError = reason;
    this.stopKeepalive();
    this.setState('failed');
    this.failures++;
    const delayS = Math.min(MAX_BACKOFF_S, 5 * 2 ** Math.min(this.failures - 1, 10)) * jitter(0.5, 1);
    // thousands of devices failing at once (wrong password, platform down) would flood the log: a few lines a second
    const lvl = level === 'debug' || this.ctx.logBudget() ? level : 'debug';
    this.ctx.log[lvl]({ device: this.id, retryInS: Math.round(delayS) }, reason);
    this.regTimer = setTimeout(() => void this.registerNow(), delayS * 1000);
  }

  private connectionLost(): void {
    if (this.state === 'stopped') return;
    this.ctx.log.debug({ device: this.id }, 'TCP connection dropped; reconnecting');
    this.stopKeepalive();
    this.setState('registering');
    clearTimeout(this.regTimer);
    this.regTimer = setTimeout(() => void this.registerNow(), jitter(500, 3000));
  }

  /** REGISTER, answering one 401/407 challenge (RFC 3261 §22.2); re-uses the last challenge first when it has one. */
  private async register(expires: number): Promise<SipResponse> {
    let res = await this.sendRegister(expires, this.challenge ? this.authorize('REGISTER', this.serverUri) : undefined);
    if (res.status === 401 || res.status === 407) {
      const ch = res.headers.get(res.status === 401 ? 'www-authenticate' : 'proxy-authenticate');
      if (!ch) return res;
      this.challenge = ch;
      this.nc = 0;
      res = await this.sendRegister(expires, this.authorize('REGISTER', this.serverUri), res.status === 407);
      if (res.status === 401 || res.status === 407) this.challenge = undefined;
    }
    return res;
  }

  private authorize(method: string, uri: string): string {
    this.nc++;
    return answerChallenge(this.challenge!, { username: this.id, password: this.ctx.password, method, uri, nc: this.nc });
  }

  private sendRegister(expires: number, authorization?: string, proxy = false): Promise<SipResponse> {
    const h = SipHeaders.from({
      From: `<${this.localUri}>;tag=${this.fromTag}`,
      To: `<${this.localUri}>`,
      'Call-ID': this.callId,
      CSeq: `${this.cseq++} REGISTER`,
      Contact: this.contact,
      'Max-Forwards': 70,
      'User-Agent': this.ctx.userAgent,
      Expires: expires,
    });
    if (authorization) h.set(proxy ? 'Proxy-Authorization' : 'Authorization', authorization);
    return this.ep.request(this.server, { kind: 'request', method: 'REGISTER', uri: this.serverUri, headers: h, body: Buffer.alloc(0) });
  }

  // ---- keepalive (GB/T 28181-2016 §9.6) ----

  private scheduleKeepalive(delayS: number): void {
    clearTimeout(this.kaTimer);
    this.kaTimer = setTimeout(() => this.keepalive(), delayS * 1000);
  }

  private stopKeepalive(): void {
    clearTimeout(this.kaTimer);
    this.kaTimer = undefined;
  }

  private keepalive(): void {
    if (this.state !== 'registered') return;
    this.scheduleKeepalive(this.ctx.keepaliveS);
    this.ctx.counters.keepalivesSent++;
    // A keepalive still unanswered when the next one is due counts as missed (three misses: register again).
    this.sendMessage(this.ctx.answers.keepalive(this, this.nextSn()), Math.min(TRANSACTION_TIMEOUT, this.ctx.keepaliveS * 1000)).then(
      (res) => {
        if (res.status < 300) {
          this.kaMisses = 0;
          return;
        }
        // An error answer means the platform no longer knows us (restarted, or dropped us): register again now.
        this.ctx.counters.keepaliveErrors++;
        if (this.ctx.logBudget()) this.ctx.log.info({ device: this.id, status: res.status }, 'keepalive refused; registering again');
        this.stopKeepalive();
        void this.registerNow();
      },
      (e) => {
        if (this.state !== 'registered') return;
        this.ctx.counters.keepaliveErrors++;
        if (!(e instanceof SipTimeoutError)) return;
        if (++this.kaMisses >= 3) {
          if (this.ctx.logBudget()) this.ctx.log.info({ device: this.id }, '3 keepalives unanswered; registering again');
          this.kaMisses = 0;
          this.stopKeepalive();
          this.setState('registering');
          void this.registerNow();
        }
      },
    );
  }

  // ---- outgoing MANSCDP ----

  /** A MESSAGE carrying a MANSCDP body to the platform, as its own transaction (§9.3: answers follow the 200). */
  sendMessage(body: Buffer, timeoutMs?: number): Promise<SipResponse> {
    this.ctx.counters.messagesSent++;
    const h = SipHeaders.from({
      From: `<${this.localUri}>;tag=${newTag()}`,
      To: `<${this.serverUri}>`,
      'Call-ID': newCallId(),
      CSeq: `${this.cseq++} MESSAGE`,
      'Max-Forwards': 70,
      'User-Agent': this.ctx.userAgent,
      'Content-Type': 'Application/MANSCDP+xml',
    });
    return this.ep.request(this.server, { kind: 'request', method: 'MESSAGE', uri: this.serverUri, headers: h, body }, { timeoutMs });
  }

  /** Sends answer MESSAGEs in order with a few in flight. */
  private async sendAll(bodies: Buffer[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      // Not "state === registered": over TCP the platform's 200 to REGISTER and its first query often arrive in one
      // read, so the query is handled before the REGISTER continuation has marked the device registered.
      while (next < bodies.length && !this.stopped && this.state !== 'failed') {
        const b = bodies[next++];
        try {
          const r = await this.sendMessage(b);
          if (r.status >= 300) this.ctx.counters.messageErrors++;
        } catch {
          this.ctx.counters.messageErrors++;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.ctx.answerWindow, bodies.length) }, worker));
  }

  /** Raises an alarm: NOTIFY on an Alarm subscription when there is one, else MESSAGE Notify (§9.4). */
  async raiseAlarm(channelId: string | undefined, alarm: AlarmSpec = {}): Promise<number> {
    if (this.state !== 'registered') throw new Error(`device ${this.id} is not registered`);
    const chan = channelId ?? this.ctx.plan.channelId(this.index, 0);
    this.ctx.counters.alarmsSent++;
    const sub = [...(this.subs?.values() ?? [])].find((s) => s.kind === 'Alarm');
    if (sub) return (await this.notify(sub, this.ctx.answers.alarm(this, sub.sn, chan, alarm))).status;
    return (await this.sendMessage(this.ctx.answers.alarm(this, this.nextSn(), chan, alarm))).status;
  }

  // ---- incoming ----

  /** A request the platform sent to this device or one of its channels (`target` = Request-URI user). */
  handle(r: IncomingRequest, target: string): void {
    const { msg } = r;
    switch (msg.method) {
      case 'MESSAGE':
        return this.onMessage(r);
      case 'SUBSCRIBE':
        return this.onSubscribe(r);
      case 'INVITE':
        this.ctx.counters.invites++;
        if (this.ctx.onInvite) return this.ctx.onInvite({ deviceId: this.id, channelId: target, msg, peer: r.peer, reply: r.reply, log: this.ctx.log, endpoint: this.ep });
        return r.reply(488, 'Not Acceptable Here');
      case 'ACK':
      case 'BYE':
      case 'CANCEL':
      case 'INFO':
        if (this.ctx.onInvite) return this.ctx.onInvite({ deviceId: this.id, channelId: target, msg, peer: r.peer, reply: r.reply, log: this.ctx.log, endpoint: this.ep });
        return msg.method === 'ACK' ? undefined : r.reply(481);
      case 'OPTIONS':
        return r.reply(200, 'OK', { Allow: 'REGISTER, MESSAGE, SUBSCRIBE, NOTIFY, INVITE, ACK, BYE, CANCEL, INFO, OPTIONS' });
      case 'NOTIFY':
        return r.reply(200);
      default:
        return r.reply(405, 'Method Not Allowed', { Allow: 'MESSAGE, SUBSCRIBE, INVITE, ACK, BYE, CANCEL, INFO, OPTIONS' });
    }
  }

  private onMessage(r: IncomingRequest): void {
    const a = this.ctx.answers.message(this, r.msg.body);
    r.reply(a.status, a.reason);
    if (a.kind === 'query') this.ctx.counters.queriesAnswered++;
    else if (a.kind === 'control') this.ctx.counters.controlsAnswered++;
    if (a.after.length) void this.sendAll(a.after);
    if (a.reboot) this.reboot();
  }

  /** TeleBoot: drop off without unregistering, come back a few seconds later with a fresh registration. */
  private reboot(): void {
    if (this.state === 'stopped') return;
    this.ctx.log.info({ device: this.id }, 'TeleBoot: rebooting');
    this.stopKeepalive();
    clearTimeout(this.regTimer);
    for (const s of this.subs?.values() ?? []) clearTimeout(s.timer);
    this.subs?.clear();
    this.challenge = undefined;
    this.setState('registering');
    this.regTimer = setTimeout(() => void this.registerNow(), jitter(3000, 6000));
  }

  // ---- subscriptions (§9.11) ----

  private onSubscribe(r: IncomingRequest): void {
    const { msg } = r;
    const event = msg.headers.get('event') ?? '';
    const callId = msg.headers.get('call-id')!;
    const expiresH = msg.headers.get('expires');
    const expires = expiresH !== undefined && /^\d+$/.test(expiresH.trim()) ? Math.min(Number(expiresH), 86_400) : 3600;
    const existing = this.subs?.get(callId);
    if (existing && tagOf(msg.headers.get('to')) === existing.localTag) {
      // refresh or unsubscribe within the dialog
      r.reply(200, 'OK', { Expires: String(expires), Contact: this.contact });
      if (expires === 0) {
        this.endSubscription(existing, 'terminated;reason=timeout');
        return;
      }
      existing.expiresAt = Date.now() + expires * 1000;
      return;
    }
    const s = this.ctx.answers.subscribe(this, msg.body, event);
    if (!s.kind) {
      r.reply(s.status, s.reason);
      return;
    }
    const localTag = newTag();
    msg.headers.set('to', `${msg.headers.get('to')!};tag=${localTag}`); // the 200 carries our dialog tag
    r.reply(200, 'OK', { Expires: String(expires), Contact: this.contact });
    let target = this.serverUri;
    try {
      const c = msg.headers.get('contact');
      if (c) target = parseNameAddr(c).rawUri;
    } catch {
      /* keep the server URI */
    }
    const sub: Subscription = {
      kind: s.kind,
      callId,
      localTag,
      remote: msg.headers.get('from')!,
      target,
      event,
      cseq: 1,
      expiresAt: Date.now() + expires * 1000,
      sn: s.sn,
      queryDeviceId: s.deviceId,
      intervalS: s.intervalS,
    };
    if (expires === 0) {
      void this.notify(sub, Buffer.alloc(0), 'terminated;reason=timeout').catch(() => undefined);
      return;
    }
    this.ctx.counters.subscriptions++;
    (this.subs ??= new Map()).set(callId, sub);
    void this.runSubscription(sub);
  }

  private initialNotify(sub: Subscription): Buffer[] {
    if (sub.kind === 'Catalog') return this.ctx.answers.catalogNotify(this, sub.sn);
    if (sub.kind === 'MobilePosition') return [this.ctx.answers.mobilePosition(this, sub.sn, 0)];
    return [Buffer.alloc(0)];
  }

  private async runSubscription(sub: Subscription): Promise<void> {
    const expired = () => Date.now() >= sub.expiresAt || this.subs?.get(sub.callId) !== sub || this.state === 'stopped';
    try {
      if (sub.kind !== 'MobilePosition') {
        // RFC 6665 §4.2.1: an immediate NOTIFY with the current state (Catalog: the whole catalog, paged).
        for (const body of this.initialNotify(sub)) await this.notify(sub, body);
      }
    } catch {
      /* the platform did not answer; it can subscribe again */
    }
    // stopped (or unsubscribed) while the initial NOTIFY was in flight: no timer, or it would outlive the device
    if (expired()) return;
    const tick = () => {
      if (expired()) return this.endSubscription(sub, 'terminated;reason=timeout');
      if (sub.kind === 'MobilePosition') {
        const j = Math.floor(Math.random() * this.ctx.plan.channelsPerDevice);
        this.notify(sub, this.ctx.answers.mobilePosition(this, sub.sn, j)).catch(() => undefined);
      }
      sub.timer = setTimeout(tick, (sub.kind === 'MobilePosition' ? (sub.intervalS ?? 5) : Math.max(1, (sub.expiresAt - Date.now()) / 1000)) * 1000);
    };
    sub.timer = setTimeout(tick, sub.kind === 'MobilePosition' ? 0 : Math.max(0, sub.expiresAt - Date.now()));
  }

  private endSubscription(sub: Subscription, state: string): void {
    clearTimeout(sub.timer);
    if (this.subs?.get(sub.callId) !== sub) return;
    this.subs.delete(sub.callId);
    if (this.state === 'registered') void this.notify(sub, Buffer.alloc(0), state).catch(() => undefined);
  }

  private notify(sub: Subscription, body: Buffer, state?: string): Promise<SipResponse> {
    this.ctx.counters.notifiesSent++;
    const left = Math.max(0, Math.round((sub.expiresAt - Date.now()) / 1000));
    const h = SipHeaders.from({
      From: `<${this.localUri}>;tag=${sub.localTag}`,
      To: sub.remote,
      'Call-ID': sub.callId,
      CSeq: `${sub.cseq++} NOTIFY`,
      Contact: this.contact,
      'Max-Forwards': 70,
      'User-Agent': this.ctx.userAgent,
      Event: sub.event,
      'Subscription-State': state ?? `active;expires=${left}`,
    });
    if (body.length) h.set('Content-Type', 'Application/MANSCDP+xml');
    return this.ep.request(this.server, { kind: 'request', method: 'NOTIFY', uri: sub.target, headers: h, body });
  }

  // ---- shutdown ----

  /** Unregisters (Expires: 0) when registered; ends timers and subscriptions. */
  async stop(): Promise<void> {
    const wasRegistered = this.state === 'registered';
    this.setState('stopped');
    clearTimeout(this.regTimer);
    this.stopKeepalive();
    for (const s of this.subs?.values() ?? []) clearTimeout(s.timer);
    this.subs?.clear();
    if (!wasRegistered) return;
    try {
      await this.register(0);
    } catch {
      /* the platform is gone: nothing to undo */
    }
  }
}

/** Expires the registrar granted: Contact `expires` param for our Contact, else Expires header, else what we asked. */
function grantedExpires(res: SipResponse, id: string, asked: number): number {
  for (const c of res.headers.getAll('contact')) {
    try {
      const na = parseNameAddr(c);
      if (na.uri.user === id && na.params.expires && /^\d+$/.test(na.params.expires)) return Number(na.params.expires);
    } catch {
      /* ignore odd contacts */
    }
  }
  const e = res.headers.get('expires');
  if (e && /^\d+$/.test(e.trim())) return Number(e.trim());
  return asked;
}


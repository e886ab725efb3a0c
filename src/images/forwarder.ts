import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../store/index.js';
import type { FaceCapture, VehiclePass } from '../store/repos/image-captures.js';
import type { ImageTarget, QueueRow } from '../store/repos/image-forward.js';
import { BureauClient, DigestRefused, NoAnswer } from './bureau-client.js';
import type { ImageFiles } from './image-files.js';
import { KEY_VALIDITY_MS } from './seed-auth.js';
import { fillContents } from './seed-parse.js';
import { parseSeedTime, seedCompactTime, seedDateTime, type SeedKind } from './seed-protocol.js';
import { waitAtMost } from '../core/wait.js';

export interface ForwarderOptions {
  /** how often the queue is scanned for devices with work (captures stored by other nodes, missed wake-ups) */
  rescanMs: number;
  /** rows read per device at a time */
  batch: number;
  /** how often `timing` corrects the clock offset */
  timingEveryMs: number;
  /** a key is renewed this long before its 24 hours end */
  renewBeforeMs: number;
  /** first back-off step while the bureau is down */
  backoffStartMs: number;
}

export const DEFAULT_FORWARDER_OPTIONS: ForwarderOptions = { rescanMs: 5000, batch: 16, timingEveryMs: 3600_000, renewBeforeMs: 5 * 60_000, backoffStartMs: 1000 };

export type RunnerState = 'paused' | 'connecting' | 'up' | 'down' | 'stopped';

export interface TargetRuntime {
  state: RunnerState;
  lastError: string | null;
  lastErrorAt: string | null;
  /** when the next connection attempt is due while down */
  nextTryAt: string | null;
  /** bureau clock minus ours, ms (from `timing`) */
  clockOffsetMs: number;
  /** seconds since the node key (or the oldest device key) was issued */
  keyAgeSeconds: number | null;
  keys: number;
  inFlight: number;
  authentications: number;
  keepAlives: number;
}

/** The bureau refused `authenticate` with a seed error (EC000: it does not know the node/device). */
class AuthRefused extends Error {
  constructor(
    readonly code: string | null,
    message: string,
  ) {
    super(message);
  }
}

const AUTH_CODES = new Set(['EC001', 'EC002', 'EC003']);

/**
 * Forwarding to one bureau endpoint (issue 12 §3): a client of the seed interface that authenticates (digest, then
 * `authenticate`), keeps alive, renews its key before 24 h and on EC001–EC003, corrects its clock with `timing`, and
 * sends every queued capture in order per device. A capture leaves the queue only when the bureau answered success;
 * while the bureau is unreachable the runner backs off and nothing is dropped.
 */
export class TargetRunner {
  state: RunnerState = 'connecting';
  private readonly client: BureauClient;
  private readonly sessions = new Map<string, { key: string; issuedAt: number; lastUsed: number }>();
  private readonly authing = new Map<string, Promise<string>>();
  private offsetMs = 0;
  private lastTimingAt = 0;
  private readonly pending = new Set<string>();
  private readonly ready: string[] = [];
  private readonly readySet = new Set<string>();
  private readonly active = new Set<string>();
  private readonly rewake = new Set<string>();
  private readonly sleeping = new Map<string, NodeJS.Timeout>();
  private readonly runs = new Set<Promise<void>>();
  private backoffMs = 0;
  private timers: NodeJS.Timeout[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private counts = { delivered: 0, resent: 0, lastAt: null as string | null };
  lastError: string | null = null;
  lastErrorAt: string | null = null;
  private nextTryAt: number | null = null;
  private authentications = 0;
  private keepAlives = 0;
  private stopped = false;

  constructor(
    readonly target: ImageTarget,
    password: string,
    private readonly o: { store: Store; files: ImageFiles; clock: Clock; tz: string; log: Logger; opts: ForwarderOptions },
  ) {
    this.client = new BureauClient({ baseUrl: target.url, username: target.username, password, encoding: target.encoding, timeoutMs: target.timeoutSeconds * 1000, signal: this.abort.signal });
  }

  start(): void {
    if (!this.target.enabled) {
      this.state = 'paused';
      return;
    }
    this.every(this.o.opts.rescanMs, () => (this.state === 'up' ? this.rescan() : undefined));
    this.every(this.target.keepaliveSeconds * 1000, () => (this.state === 'up' ? this.keepAlive() : undefined));
    this.every(2000, () => this.flush());
    void this.connect();
  }

  private every(ms: number, fn: () => Promise<void> | void): void {
    const t = setInterval(() => {
      Promise.resolve()
        .then(fn)
        .catch((e) => this.o.log.error({ err: e, target: this.target.id }, 'forwarder timer failed'));
    }, ms);
    t.unref();
    this.timers.push(t);
  }

  private now(): number {
    return this.o.clock.now().getTime();
  }

  /** Our time as the bureau sees it (corrected by `timing`). */
  private bureauNow(): Date {
    return new Date(this.now() + this.offsetMs);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.state = 'connecting';
    try {
      await this.syncClock();
      if (this.target.authMode === 'node') await this.key(this.target.nodeId, true);
      if (this.stopped) return;
      this.state = 'up';
      this.backoffMs = 0;
      this.nextTryAt = null;
      this.o.log.info({ target: this.target.id, offsetMs: this.offsetMs }, 'bureau reachable, forwarding');
      for (const d of this.pending) this.requeue(d);
      this.pump(); // devices queued while we were down
      await this.rescan();
    } catch (e) {
      this.down(e);
    }
  }

  private error(msg: string): void {
    this.lastError = msg.slice(0, 500);
    this.lastErrorAt = new Date(this.now()).toISOString();
    void this.o.store.images.targets.setError(this.target.id, this.lastError, this.lastErrorAt).catch(() => undefined);
  }

  /** The bureau is unreachable (or refuses our credentials): wait, doubling up to retryMaxSeconds, then try again. */
  private down(e: unknown): void {
    if (this.stopped) return;
    const msg = e instanceof Error ? e.message : String(e);
    this.error(msg);
    if (this.state === 'down') return;
    this.state = 'down';
    const max = this.target.retryMaxSeconds * 1000;
    this.backoffMs = Math.min(max, this.backoffMs ? this.backoffMs * 2 : this.o.opts.backoffStartMs);
    const delay = Math.round(this.backoffMs * (0.8 + Math.random() * 0.4));
    this.nextTryAt = Date.now() + delay;
    this.o.log.warn({ target: this.target.id, err: msg, retryInMs: delay }, 'bureau unreachable; captures stay queued');
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  private async syncClock(): Promise<void> {
    const t0 = this.now();
    const a = await this.client.timing();
    const t1 = this.now();
    this.lastTimingAt = t1;
    const server = parseSeedTime(a.result.systemTime, this.o.tz);
    // systemTime has whole seconds: on average it is half a second behind the instant it was read
    if (a.success && Number.isFinite(server)) this.offsetMs = Math.round(server + 500 - (t0 + t1) / 2);
  }

  /** The appIdentityKey for a subject (the node, or a device in device mode); renewed before 24 h. */
  private async key(subject: string, force = false): Promise<string> {
    const s = this.sessions.get(subject);
    if (s && !force && this.now() - s.issuedAt < KEY_VALIDITY_MS - this.o.opts.renewBeforeMs) {
      s.lastUsed = Date.now();
      return s.key;
    }
    const running = this.authing.get(subject);
    if (running) return running;
    const p = (async () => {
      // a new key is a good moment to check the clock again (at least a minute after the last time)
      if (this.now() - this.lastTimingAt > 60_000) await this.syncClock();
      const params: Record<string, string> =
        this.target.kind === 'face' ? (this.target.authMode === 'node' ? { nodeID: subject } : { deviceID: subject }) : { gbid: subject };
      const a = await this.client.authenticate(params);
      const key = a.result.appIdentityKey;
      if (!a.success || (typeof key !== 'string' && typeof key !== 'number')) throw new AuthRefused(a.code, `authenticate ${subject}: ${a.code ?? 'failed'} ${a.message}`.trim());
      this.authentications++;
      this.sessions.set(subject, { key: String(key), issuedAt: this.now(), lastUsed: Date.now() });
      return String(key);
    })();
    this.authing.set(subject, p);
    try {
      return await p;
    } finally {
      this.authing.delete(subject);
    }
  }

  private async keepAlive(): Promise<void> {
    if (this.now() - this.lastTimingAt >= this.o.opts.timingEveryMs) await this.syncClock().catch((e) => this.down(e));
    const subjects = this.target.authMode === 'node' ? [this.target.nodeId] : [...this.sessions.entries()].filter(([, s]) => Date.now() - s.lastUsed < 10 * 60_000).map(([k]) => k);
    for (const subject of subjects) {
      if (this.state !== 'up') return;
      try {
        const key = await this.key(subject);
        const id: Record<string, string> = this.target.kind === 'face' ? { deviceID: subject } : { gbid: subject };
        const a = await this.client.call('keepAlive', { ...id, appIdentityKey: key, statusSendTime: seedDateTime(this.bureauNow(), this.o.tz) });
        this.keepAlives++;
        if (!a.success && a.code && AUTH_CODES.has(a.code)) {
          this.sessions.delete(subject);
          if (this.target.authMode === 'node') await this.key(subject, true);
        } else if (!a.success) this.error(`keepAlive ${subject}: ${a.code ?? ''} ${a.message}`.trim());
      } catch (e) {
        if (e instanceof AuthRefused && this.target.authMode === 'device') continue;
        this.down(e);
        return;
      }
    }
  }

  /** Devices with queued captures (from the database: covers other nodes and restarts). */
  private async rescan(): Promise<void> {
    const devices = await this.o.store.images.queue.devicesWithWork(this.target.id);
    for (const d of devices) this.wake(d);
  }

  /** A capture of `device` was queued. */
  wake(device: string): void {
    if (this.stopped || this.state === 'paused') return;
    this.pending.add(device);
    if (this.active.has(device)) {
      this.rewake.add(device);
      return;
    }
    this.requeue(device);
  }

  private requeue(device: string): void {
    if (!this.sleeping.has(device) && !this.active.has(device) && !this.readySet.has(device)) {
      this.ready.push(device);
      this.readySet.add(device);
    }
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.state === 'up' && this.active.size < this.target.concurrency && this.ready.length) {
      const d = this.ready.shift()!;
      this.readySet.delete(d);
      if (this.active.has(d) || this.sleeping.has(d)) continue;
      this.active.add(d);
      const run = this.runDevice(d).finally(() => this.runs.delete(run));
      this.runs.add(run);
    }
  }

  private sleepDevice(device: string, ms: number): void {
    clearTimeout(this.sleeping.get(device));
    const t = setTimeout(() => {
      this.sleeping.delete(device);
      this.wake(device);
    }, Math.max(10, ms));
    t.unref();
    this.sleeping.set(device, t);
  }

  /** Sends one device's queue, oldest first, until it is empty, must wait, or the bureau went away. */
  private async runDevice(device: string): Promise<void> {
    let outcome: 'empty' | 'wait' | 'down' = 'down';
    try {
      outer: for (;;) {
        if (this.stopped || this.state !== 'up') break;
        const rows = await this.o.store.images.queue.nextOf(this.target.id, device, this.o.opts.batch);
        if (!rows.length) {
          outcome = 'empty';
          break;
        }
        for (const row of rows) {
          if (this.stopped || this.state !== 'up') break outer;
          const wait = row.nextAt - Date.now();
          if (wait > 0) {
            this.sleepDevice(device, wait);
            outcome = 'wait';
            break outer;
          }
          const r = await this.deliver(row);
          if (r === 'down') break outer;
          if (r === 'wait') {
            outcome = 'wait';
            break outer;
          }
        }
      }
    } catch (e) {
      this.o.log.error({ err: e, target: this.target.id, device }, 'forwarding a device queue failed');
      this.sleepDevice(device, 5000);
      outcome = 'wait';
    } finally {
      this.active.delete(device);
      const again = this.rewake.delete(device);
      if (outcome === 'empty') {
        if (again) this.requeue(device);
        else this.pending.delete(device);
      }
      this.pump();
    }
  }

  private async capture(row: QueueRow): Promise<FaceCapture | VehiclePass | undefined> {
    return row.kind === 'face' ? this.o.store.images.faces.byId(row.captureId) : this.o.store.images.vehicles.byId(row.captureId);
  }

  /** imageJsonData as received, images read back from disk, localTime = now on the bureau's clock. */
  private async payload(row: QueueRow, c: FaceCapture | VehiclePass): Promise<string> {
    const files = row.kind === 'face' ? [...(c as FaceCapture).faces.map((f) => f.file), ...((c as FaceCapture).background ? [(c as FaceCapture).background!.file] : [])] : (c as VehiclePass).images.map((i) => i.file);
    const contents = await Promise.all(
      files.map((f) =>
        this.o.files.read(f).then(
          (b) => b.toString('base64'),
          () => {
            this.o.log.warn({ file: f, capture: c.id }, 'image file missing; forwarded without it');
            return '';
          },
        ),
      ),
    );
    const json = fillContents(c.meta, (n) => contents[n]) as Record<string, unknown>;
    json.localTime = seedCompactTime(this.bureauNow(), this.o.tz);
    return JSON.stringify(json);
  }

  private rowBackoff(attempts: number, capMs: number): number {
    return Math.min(capMs, 1000 * 2 ** Math.min(attempts, 20));
  }

  /** One queued capture → 'ok' (answered success, or gone), 'rejected' (set aside), 'wait' (row back-off), 'down'. */
  private async deliver(row: QueueRow): Promise<'ok' | 'rejected' | 'wait' | 'down'> {
    const queue = this.o.store.images.queue;
    const c = await this.capture(row);
    if (!c) {
      await queue.delivered(row.id); // the capture was deleted: nothing left to send
      return 'ok';
    }
    const imageJsonData = await this.payload(row, c);
    const subject = this.target.authMode === 'node' ? this.target.nodeId : c.gateId;
    for (let attempt = 0; attempt < 3; attempt++) {
      let key: string;
      try {
        key = await this.key(subject);
      } catch (e) {
        if (e instanceof AuthRefused && this.target.authMode === 'device') {
          // the bureau does not know this device (EC000): the device's captures wait, the others go on
          await queue.failed(row.id, Date.now() + this.rowBackoff(row.attempts + 2, 600_000), e.message, false);
          this.sleepDevice(row.deviceId, this.rowBackoff(row.attempts + 2, 600_000));
          return 'wait';
        }
        this.down(e);
        return 'down';
      }
      const params: Record<string, string> = { imageGateTagCode: c.gateId, appIdentityKey: key, imageJsonData };
      if (this.target.kind === 'face' && this.target.authMode === 'node') params.nodeID = this.target.nodeId;
      // a capture whose earlier attempt got no answer may already be at the bureau: this attempt may duplicate it
      if (row.unanswered) this.counts.resent++;
      let a;
      try {
        a = await this.client.call('saveImageData', params);
      } catch (e) {
        const sent = e instanceof NoAnswer ? e.sent : true;
        await queue.failed(row.id, 0, (e as Error).message, sent);
        this.down(e);
        return 'down';
      }
      if (a.success) {
        await queue.delivered(row.id);
        this.counts.delivered++;
        this.counts.lastAt = new Date(this.now()).toISOString();
        return 'ok';
      }
      const why = `saveImageData: ${a.code ?? 'failed'} ${a.message}`.trim();
      if (a.code && AUTH_CODES.has(a.code)) {
        this.sessions.delete(subject); // expired or unknown to the bureau (it restarted?): authenticate again
        continue;
      }
      this.error(why);
      if (a.code === 'EC000') {
        // not registered at the bureau yet: keep it, try again later (up to every 10 minutes), in order
        const wait = this.rowBackoff(row.attempts + 2, 600_000);
        await queue.failed(row.id, Date.now() + wait, why, false);
        this.sleepDevice(row.deviceId, wait);
        return 'wait';
      }
      if (row.attempts + 1 >= this.target.maxAttempts) {
        await queue.reject(row.id, why);
        this.o.log.warn({ target: this.target.id, capture: c.id, why }, 'the bureau refused a capture repeatedly; set aside (retry from the console)');
        return 'rejected';
      }
      const wait = this.rowBackoff(row.attempts, this.target.retryMaxSeconds * 1000);
      await queue.failed(row.id, Date.now() + wait, why, false);
      this.sleepDevice(row.deviceId, wait);
      return 'wait';
    }
    this.down(new Error('the bureau keeps refusing freshly issued keys (EC001–EC003)'));
    return 'down';
  }

  private flushing: Promise<void> = Promise.resolve();
  /** counters on their way to the database (status adds them, so a reading never dips) */
  private writing = { delivered: 0, resent: 0 };

  /** Writes the delivery counters (one write at a time; on failure they are kept for the next one). */
  private flush(): Promise<void> {
    this.flushing = this.flushing.catch(() => undefined).then(async () => {
      const { delivered, resent, lastAt } = this.counts;
      if (!delivered && !resent) return;
      this.counts = { delivered: 0, resent: 0, lastAt: null };
      this.writing = { delivered, resent };
      try {
        await this.o.store.images.targets.addCounts(this.target.id, delivered, resent, lastAt);
      } catch (e) {
        this.counts.delivered += delivered;
        this.counts.resent += resent;
        this.counts.lastAt ??= lastAt;
        throw e;
      } finally {
        this.writing = { delivered: 0, resent: 0 };
      }
    });
    return this.flushing;
  }

  /** Counters not yet written to the database (status adds them). */
  unflushed(): { delivered: number; resent: number } {
    return { delivered: this.counts.delivered + this.writing.delivered, resent: this.counts.resent + this.writing.resent };
  }

  runtime(): TargetRuntime {
    const issued = this.target.authMode === 'node' ? this.sessions.get(this.target.nodeId)?.issuedAt : Math.min(...[...this.sessions.values()].map((s) => s.issuedAt));
    return {
      state: this.state,
      lastError: this.lastError ?? this.target.lastError,
      lastErrorAt: this.lastErrorAt ?? this.target.lastErrorAt,
      nextTryAt: this.state === 'down' && this.nextTryAt ? new Date(this.nextTryAt).toISOString() : null,
      clockOffsetMs: this.offsetMs,
      keyAgeSeconds: issued !== undefined && Number.isFinite(issued) ? Math.round((this.now() - issued) / 1000) : null,
      keys: this.sessions.size,
      inFlight: this.active.size,
      authentications: this.authentications,
      keepAlives: this.keepAlives,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.state = 'stopped';
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.retryTimer);
    for (const t of this.sleeping.values()) clearTimeout(t);
    this.sleeping.clear();
    this.abort.abort();
    await waitAtMost(Promise.allSettled([...this.runs]), 5000);
    await this.flush().catch(() => undefined);
  }
}

import { isGbId } from '../core/gbid.js';
import { formatLocalTime } from '../core/time.js';
import { formatChallenge, parseAuthParams, parseNameAddr, userOf, verifyDigest } from '../lib/sip/index.js';
import type { IncomingRequest } from '../sip/endpoint.js';
import { AuthThrottle } from './auth-throttle.js';
import type { GbDeps } from './context.js';
import type { DeviceJournal } from './device-journal.js';
import { NonceStore } from './nonces.js';
import type { Registry } from './registry.js';

export interface RegisterHooks {
  /** after a successful (re-)registration: catalog, device info, subscriptions */
  registered(deviceId: string, fresh: boolean): void;
  unregistered(deviceId: string): void;
}

const MIN_EXPIRES = 30;
const MAX_EXPIRES = 86_400;

/**
 * REGISTER handling (GB/T 28181-2016 §9.1): digest with realm = SIP domain (with or without qop), the device's own
 * password or the platform default, 200 OK with `Date` for time sync (§9.1.2.1), `Expires: 0` unregisters.
 * The device's address is learned from where the request came from (received/rport, NAT).
 */
export class Registrar {
  private readonly nonces = new NonceStore();
  private readonly throttle = new AuthThrottle();
  /** The Date header's seconds part, formatted once per second (Intl formatting costs ~20 µs per REGISTER). */
  private dateCache = { second: -1, text: '' };

  constructor(
    private readonly deps: GbDeps,
    private readonly registry: Registry,
    private readonly journal: DeviceJournal,
    private readonly hooks: RegisterHooks,
  ) {}

  async handle(r: IncomingRequest): Promise<void> {
    const { msg, peer } = r;
    const now = this.deps.clock.now();
    const nowMs = now.getTime();
    const { settings, store } = this.deps;
    const deviceId = userOf(msg.headers.get('from'));
    if (!deviceId || !isGbId(deviceId)) {
      this.journal.log(null, 'register.rejected', 'warn', `malformed device ID in From from ${peer.address}:${peer.port}`);
      return r.reply(400, 'Bad Request (From user must be a 20-digit GB/T 28181 ID)');
    }
    if (this.throttle.blocked(peer.address, nowMs)) return; // silent drop while a failure flood lasts

    const auth = msg.headers.get('authorization');
    if (!auth && settings.autoAdmit) {
      // Known or not, the first REGISTER only gets a challenge: no database read for it (half of a storm's REGISTERs).
      const nonce = this.nonces.issue(nowMs);
      return r.reply(401, 'Unauthorized', { 'WWW-Authenticate': formatChallenge(settings.domain, nonce, { qop: true }) });
    }
    const sealed = await store.devices.passwordSealed(deviceId);
    const known = sealed !== undefined;
    if (!known && !settings.autoAdmit) {
      this.fail(deviceId, peer.address, nowMs, 'not in the archive and auto-admit is off');
      return r.reply(403, 'Forbidden (device not in archive)');
    }
    if (!auth) {
      const nonce = this.nonces.issue(nowMs);
      return r.reply(401, 'Unauthorized', { 'WWW-Authenticate': formatChallenge(settings.domain, nonce, { qop: true }) });
    }
    const { scheme, params } = parseAuthParams(auth);
    let password = settings.defaultPassword;
    if (sealed) {
      try {
        password = this.deps.secrets.open(sealed);
      } catch {
        this.journal.log(deviceId, 'register.rejected', 'error', 'stored device password cannot be decrypted (secret key changed?)');
        return r.reply(403, 'Forbidden');
      }
    }
    if (scheme.toLowerCase() !== 'digest' || params.username !== deviceId) {
      this.fail(deviceId, peer.address, nowMs, `bad Authorization (scheme ${scheme}, username ${params.username})`);
      return r.reply(403, 'Forbidden');
    }
    if (!this.nonces.valid(params.nonce ?? '', nowMs)) {
      // Unknown or old nonce (e.g. after our restart): challenge again, flagged stale (RFC 2617 §3.2.1).
      const nonce = this.nonces.issue(nowMs);
      return r.reply(401, 'Unauthorized', { 'WWW-Authenticate': `${formatChallenge(settings.domain, nonce, { qop: true })}, stale=TRUE` });
    }
    if (!verifyDigest(params, 'REGISTER', password)) {
      this.fail(deviceId, peer.address, nowMs, 'wrong password');
      return r.reply(403, 'Forbidden (wrong password)');
    }

    const contact = msg.headers.get('contact');
    let expires = Number(msg.headers.get('expires') ?? NaN);
    if (Number.isNaN(expires) && contact) {
      try {
        expires = Number(parseNameAddr(contact).params.expires ?? NaN);
      } catch {
        /* keep default */
      }
    }
    if (Number.isNaN(expires)) expires = 3600;
    const headers = { Date: this.dateHeader(now) };
    if (expires === 0) {
      r.reply(200, 'OK', { ...headers, Expires: '0' });
      await this.unregister(deviceId, 'unregistered by the device (Expires: 0)');
      return;
    }
    expires = Math.min(MAX_EXPIRES, Math.max(MIN_EXPIRES, expires));
    const previous = this.registry.get(deviceId);
    const keepaliveInterval = previous?.keepaliveInterval ?? settings.keepaliveInterval;
    const expiresAt = nowMs + expires * 1000;
    const result = await store.gb.registered(
      deviceId,
      { ip: peer.address, port: peer.port, transport: peer.transport === 'TCP' ? 'tcp' : 'udp', expiresAt: new Date(expiresAt).toISOString(), userAgent: msg.headers.get('user-agent')?.slice(0, 200) ?? null, keepaliveInterval },
      now.toISOString(),
    );
    this.registry.set({ deviceId, peer, expiresAt, lastSeen: nowMs, keepaliveInterval, online: true });
    r.reply(200, 'OK', { ...headers, Expires: String(expires), ...(contact ? { Contact: contact } : {}) });

    const moved = previous && (previous.peer.address !== peer.address || previous.peer.port !== peer.port || previous.peer.transport !== peer.transport);
    const fresh = !previous || !previous.online || !result.wasOnline;
    if (result.created) this.journal.log(deviceId, 'device.admitted', 'info', `auto-admitted on first registration from ${peer.address}:${peer.port}`);
    if (fresh) {
      this.journal.log(deviceId, 'device.online', 'info', `registered from ${peer.transport} ${peer.address}:${peer.port}, expires ${expires}s`);
      this.journal.push('device.online', deviceId, { id: deviceId });
    } else if (moved) {
      this.journal.log(deviceId, 'device.moved', 'info', `re-registered from ${peer.transport} ${peer.address}:${peer.port} (was ${previous.peer.address}:${previous.peer.port})`);
    }
    this.hooks.registered(deviceId, fresh || Boolean(moved));
  }

  /** `2026-11-24T09:40:00.000` in the platform's zone (GB/T 28181-2016 §9.1.2.1), same text as formatLocalIso. */
  private dateHeader(now: Date): string {
    const ms = now.getTime();
    const second = Math.floor(ms / 1000);
    if (second !== this.dateCache.second) this.dateCache = { second, text: formatLocalTime(now, this.deps.settings.tz) };
    return `${this.dateCache.text}.${String(((ms % 1000) + 1000) % 1000).padStart(3, '0')}`;
  }

  async unregister(deviceId: string, why: string): Promise<void> {
    this.registry.delete(deviceId);
    await this.deps.store.gb.setDeviceOnline(deviceId, false, this.deps.clock.now().toISOString());
    this.journal.log(deviceId, 'device.offline', 'info', why);
    this.journal.push('device.offline', deviceId, { id: deviceId, reason: why });
    this.hooks.unregistered(deviceId);
  }

  private fail(deviceId: string, address: string, nowMs: number, why: string): void {
    const crossed = this.throttle.fail(address, nowMs);
    this.journal.log(deviceId, 'register.failed', 'warn', `${why} (from ${address})`);
    if (crossed) this.journal.log(deviceId, 'register.throttled', 'warn', `too many failed registrations from ${address}; dropping its REGISTERs for a while`);
  }
}

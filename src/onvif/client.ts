import {
  authorizationFor,
  contentType,
  device,
  envelope,
  isOnvifError,
  media,
  OnvifError,
  parseChallenges,
  parseEnvelope,
  pickChallenge,
  ptz,
  usernameToken,
  type Challenge,
  type DeviceInformation,
  type MediaProfile,
  type PtzPreset,
  type PtzVelocity,
  type ServiceAddresses,
  type SoapRequest,
} from '../lib/onvif/index.js';
import type { Tree } from '../lib/onvif/xml.js';

export { OnvifError, type OnvifErrorCode } from '../lib/onvif/index.js';
export type { DeviceInformation, MediaProfile, PtzPreset, PtzVelocity, ServiceAddresses } from '../lib/onvif/index.js';

/** Largest answer body read; a Hikvision GetProfiles with analytics settings is about 60 KiB. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 8000;
/** A refused digest re-measures the device clock only if the last measure is older than this (or never was). */
const RESYNC_AFTER_MS = 5 * 60_000;

export interface OnvifClientOptions {
  /** Device service address, `http://ip[:port]/onvif/device_service`. */
  xaddr: string;
  username?: string;
  password?: string;
  /** Per HTTP exchange, connection to last body byte (default 8000). */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Device clock minus ours, in ms, from an earlier `getSystemDateAndTime()` (see `clockOffsetMs`). */
  clockOffsetMs?: number;
  /** Service addresses stored from an earlier `getCapabilities()`; saves that round trip. */
  services?: ServiceAddresses;
  /**
   * Replace scheme, host and port of the service addresses the device reports with those of `xaddr`: for devices
   * behind port forwarding or NAT, which report their LAN address. Off by default.
   */
  rewriteXaddrs?: boolean;
}

interface HttpAuthState {
  challenge: Challenge;
  nc: number;
}

interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
}

const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

function causeCode(e: unknown): string | undefined {
  for (let c: unknown = e, i = 0; c && i < 4; i++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    c = (c as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A fetch/body failure as ONVIF error: our timeout → TIMEOUT, anything on the socket → UNREACHABLE. */
function transportError(e: unknown, url: string): OnvifError {
  if (e instanceof OnvifError) return e;
  const name = (e as { name?: unknown })?.name;
  const code = causeCode(e);
  if (name === 'TimeoutError' || name === 'AbortError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') {
    return new OnvifError('TIMEOUT', `no answer from ${url} in time`, { detail: code ?? String(name), cause: e });
  }
  const detail = code && NET_CODES.has(code) ? code : code ?? (e instanceof Error ? e.message : String(e));
  return new OnvifError('UNREACHABLE', `cannot reach ${url}: ${detail}`, { detail, cause: e });
}

/**
 * ONVIF client over HTTP (SOAP 1.2). Authentication: WS-Security UsernameToken with PasswordDigest, using the
 * device's clock (measured by `getSystemDateAndTime()`, and re-measured once automatically when the device
 * refuses a digest); answers HTTP Digest/Basic challenges when the device sends 401; drops WS-Security for a
 * device that only accepts HTTP Digest. Errors are `OnvifError`.
 */
export class OnvifClient {
  readonly xaddr: string;
  readonly #username?: string;
  readonly #password: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #rewrite: boolean;
  #offset: number;
  /** When the clock offset was last measured (ms since epoch, ours); 0 = never. */
  #syncedAt = 0;
  /** The measurement under way, shared by concurrent calls that were all refused. */
  #syncing?: Promise<Date>;
  #useWsse: boolean;
  #services?: Promise<ServiceAddresses>;
  readonly #httpAuth = new Map<string, HttpAuthState>();

  constructor(opts: OnvifClientOptions) {
    let u: URL;
    try {
      u = new URL(opts.xaddr);
    } catch {
      throw new OnvifError('INVALID_ARGUMENT', `xaddr ${JSON.stringify(String(opts.xaddr).slice(0, 100))} is not a URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new OnvifError('INVALID_ARGUMENT', 'xaddr must be an http or https URL');
    this.xaddr = u.toString();
    this.#username = opts.username ? opts.username : undefined;
    this.#password = opts.password ?? '';
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#fetch = opts.fetch ?? globalThis.fetch;
    this.#offset = Number.isFinite(opts.clockOffsetMs) ? (opts.clockOffsetMs as number) : 0;
    this.#rewrite = opts.rewriteXaddrs === true;
    this.#useWsse = this.#username !== undefined;
    if (opts.services) this.#services = Promise.resolve(this.#rewriteAll(opts.services));
  }

  /** Device clock minus ours (ms), as last measured: store it and pass it back as `clockOffsetMs`. */
  get clockOffsetMs(): number {
    return this.#offset;
  }

  /** How the last successful authenticated exchange authenticated: WS-Security, HTTP auth, both or none yet. */
  get authMode(): { wsSecurity: boolean; http: 'digest' | 'basic' | undefined } {
    const h = [...this.#httpAuth.values()][0]?.challenge.scheme;
    return { wsSecurity: this.#useWsse, http: h === 'digest' || h === 'basic' ? h : undefined };
  }

  // ---- device service -------------------------------------------------------------------------------------

  /**
   * The device's UTC clock; also records the offset used for WS-Security `Created`. Sent without credentials
   * first (the operation is pre-authentication in ONVIF Core §5.9.4, and a skewed digest would be refused), and
   * once more with credentials if the device insists.
   */
  async getSystemDateAndTime(): Promise<Date> {
    const req = device.getSystemDateAndTime();
    const t0 = Date.now();
    let body: Tree;
    try {
      body = await this.#exchange(this.xaddr, req, false);
    } catch (e) {
      if (this.#username === undefined || !(isOnvifError(e, 'AUTH_FAILED') || isOnvifError(e, 'SOAP_FAULT'))) throw e;
      body = await this.#call(this.xaddr, req, false);
    }
    const t1 = Date.now();
    const clock = device.parseSystemDateAndTime(body);
    // The device truncates to whole seconds: its true time is on average half a second later.
    this.#offset = clock.utc.getTime() + 500 - Math.round((t0 + t1) / 2);
    this.#syncedAt = t1;
    return clock.utc;
  }

  async getDeviceInformation(): Promise<DeviceInformation> {
    return device.parseDeviceInformation(await this.#call(this.xaddr, device.getDeviceInformation()));
  }

  /**
   * Service addresses from GetCapabilities, completed from GetServices when media or PTZ is missing there (and
   * replaced by it when GetCapabilities is refused). Cached for the life of the client.
   */
  getCapabilities(): Promise<ServiceAddresses> {
    if (!this.#services) {
      const p = this.#loadServices();
      this.#services = p;
      p.catch(() => {
        if (this.#services === p) this.#services = undefined;
      });
    }
    return this.#services;
  }

  async #loadServices(): Promise<ServiceAddresses> {
    let caps: ServiceAddresses = {};
    let capsError: unknown;
    try {
      caps = device.parseCapabilities(await this.#call(this.xaddr, device.getCapabilities()));
    } catch (e) {
      if (!isOnvifError(e) || e.code === 'AUTH_FAILED' || e.code === 'UNREACHABLE' || e.code === 'TIMEOUT') throw e;
      capsError = e;
    }
    if (!caps.mediaXaddr || !caps.ptzXaddr) {
      try {
        const svc = device.servicesToAddresses(device.parseServices(await this.#call(this.xaddr, device.getServices())));
        caps = { ...svc, ...caps };
      } catch (e) {
        if (capsError !== undefined) throw capsError;
        if (isOnvifError(e) && (e.code === 'AUTH_FAILED' || e.code === 'UNREACHABLE' || e.code === 'TIMEOUT')) throw e;
      }
    }
    return this.#rewriteAll(caps);
  }

  #rewriteAll(s: ServiceAddresses): ServiceAddresses {
    if (!this.#rewrite) return { ...s };
    const base = new URL(this.xaddr);
    const out: ServiceAddresses = {};
    for (const [k, v] of Object.entries(s) as [keyof ServiceAddresses, string | undefined][]) {
      if (!v) continue;
      try {
        const u = new URL(v);
        u.protocol = base.protocol;
        u.host = base.host;
        out[k] = u.toString();
      } catch {
        out[k] = v;
      }
    }
    return out;
  }

  async #mediaXaddr(): Promise<string> {
    const s = await this.getCapabilities();
    if (!s.mediaXaddr) throw new OnvifError('NOT_SUPPORTED', 'the device reports no media service');
    return s.mediaXaddr;
  }

  async #ptzXaddr(): Promise<string> {
    const s = await this.getCapabilities();
    if (!s.ptzXaddr) throw new OnvifError('NOT_SUPPORTED', 'the device reports no PTZ service');
    return s.ptzXaddr;
  }

  // ---- media ----------------------------------------------------------------------------------------------

  async getProfiles(): Promise<MediaProfile[]> {
    return media.parseProfiles(await this.#call(await this.#mediaXaddr(), media.getProfiles()));
  }

  /** RTSP URI for RTP unicast of a profile, as the device gives it (no credentials inserted). */
  async getStreamUri(profileToken: string): Promise<string> {
    const req = media.getStreamUri(profileToken);
    return media.parseMediaUri(await this.#call(await this.#mediaXaddr(), req), 'GetStreamUriResponse');
  }

  async getSnapshotUri(profileToken: string): Promise<string> {
    const req = media.getSnapshotUri(profileToken);
    return media.parseMediaUri(await this.#call(await this.#mediaXaddr(), req), 'GetSnapshotUriResponse');
  }

  // ---- PTZ --------------------------------------------------------------------------------------------------

  /** Velocity components in −1…1 (clamped); `timeoutSec` lets the device stop by itself if Stop is lost. */
  async ptzContinuousMove(profileToken: string, v: PtzVelocity, timeoutSec?: number): Promise<void> {
    const req = ptz.continuousMove(profileToken, v, timeoutSec);
    await this.#call(await this.#ptzXaddr(), req);
  }

  async ptzStop(profileToken: string, panTilt = true, zoom = true): Promise<void> {
    const req = ptz.stop(profileToken, panTilt, zoom);
    await this.#call(await this.#ptzXaddr(), req);
  }

  async getPresets(profileToken: string): Promise<PtzPreset[]> {
    const req = ptz.getPresets(profileToken);
    return ptz.parsePresets(await this.#call(await this.#ptzXaddr(), req));
  }

  async gotoPreset(profileToken: string, presetToken: string): Promise<void> {
    const req = ptz.gotoPreset(profileToken, presetToken);
    await this.#call(await this.#ptzXaddr(), req);
  }

  /** Stores the current position; returns the preset token (the one given, or the one the device allocated). */
  async setPreset(profileToken: string, name?: string, presetToken?: string): Promise<string> {
    const req = ptz.setPreset(profileToken, name, presetToken);
    return ptz.parseSetPreset(await this.#call(await this.#ptzXaddr(), req));
  }

  async removePreset(profileToken: string, presetToken: string): Promise<void> {
    const req = ptz.removePreset(profileToken, presetToken);
    await this.#call(await this.#ptzXaddr(), req);
  }

  // ---- transport --------------------------------------------------------------------------------------------

  /**
   * An authenticated call with the recoveries real devices need: when the device refuses the credentials,
   * re-measure its clock once (a skewed `Created` is the usual cause; skipped when measured in the last five
   * minutes, shared between concurrent calls) and retry; when it had challenged for HTTP
   * Digest and still refuses, retry once with HTTP auth alone (devices set to digest-only reject WS-Security).
   */
  async #call(url: string, req: SoapRequest, clockRetry = true): Promise<Tree> {
    if (this.#username === undefined) return this.#exchange(url, req, false);
    let clockTried = !clockRetry;
    let wsseTried = false;
    for (;;) {
      try {
        return await this.#exchange(url, req, true);
      } catch (e) {
        if (!isOnvifError(e, 'AUTH_FAILED')) throw e;
        if (!clockTried && this.#useWsse && (this.#syncing || Date.now() - this.#syncedAt > RESYNC_AFTER_MS)) {
          clockTried = true;
          const sync = (this.#syncing ??= this.getSystemDateAndTime().finally(() => {
            this.#syncing = undefined;
          }));
          try {
            await sync;
          } catch {
            throw e;
          }
          continue;
        }
        if (!wsseTried && this.#useWsse && this.#httpAuth.has(new URL(url).origin)) {
          wsseTried = true;
          this.#useWsse = false;
          try {
            return await this.#exchange(url, req, true);
          } catch (e2) {
            this.#useWsse = true;
            throw isOnvifError(e2, 'AUTH_FAILED') ? e : e2;
          }
        }
        throw e;
      }
    }
  }

  /** One SOAP exchange, answering at most one fresh HTTP authentication challenge. */
  async #exchange(url: string, req: SoapRequest, secure: boolean): Promise<Tree> {
    const u = new URL(url);
    const origin = u.origin;
    const creds = secure && this.#username !== undefined;
    let answered = false;
    for (;;) {
      const header = creds && this.#useWsse ? usernameToken({ username: this.#username!, password: this.#password, created: new Date(Date.now() + this.#offset) }) : '';
      const headers: Record<string, string> = { 'Content-Type': contentType(req.action), Accept: 'application/soap+xml, text/xml, */*' };
      const auth = creds ? this.#httpAuth.get(origin) : undefined;
      if (auth) headers.Authorization = authorizationFor(auth.challenge, { username: this.#username!, password: this.#password, method: 'POST', uri: u.pathname + u.search, nc: ++auth.nc });
      const res = await this.#post(url, headers, envelope(req.body, header));
      if (res.status === 401 && creds && !answered) {
        const c = pickChallenge(parseChallenges(res.headers.get('www-authenticate')));
        const fresh = c && (!auth || c.params.nonce !== auth.challenge.params.nonce || /^true$/i.test(c.params.stale ?? '') || c.scheme !== auth.challenge.scheme);
        if (c && fresh) {
          this.#httpAuth.set(origin, { challenge: c, nc: 0 });
          answered = true;
          continue;
        }
      }
      return this.#decode(res);
    }
  }

  #decode(res: RawAnswer): Tree {
    const isEnvelope = /<(?:[A-Za-z_][\w.-]*:)?Envelope[\s>/]/.test(res.text);
    if (isEnvelope) {
      const msg = parseEnvelope(res.text, res.status); // throws the fault, if any
      if (res.status >= 200 && res.status < 300) return msg.body;
    }
    if (res.status === 401 || res.status === 403) {
      throw new OnvifError('AUTH_FAILED', `device refused the credentials (HTTP ${res.status})`, { status: res.status, detail: `HTTP ${res.status}` });
    }
    if (res.status < 200 || res.status >= 300) {
      throw new OnvifError('BAD_RESPONSE', `device answered HTTP ${res.status}`, { status: res.status, detail: res.text.slice(0, 200) });
    }
    throw new OnvifError('BAD_RESPONSE', 'answer is not a SOAP envelope', { status: res.status, detail: res.text.slice(0, 200) });
  }

  /**
   * One HTTP POST. A connection the device closed while idle in the keep-alive pool fails with a reset before
   * anything was answered; that is retried once on a fresh connection (refused connections and timeouts are not).
   */
  async #post(url: string, headers: Record<string, string>, body: string): Promise<RawAnswer> {
    try {
      return await this.#postOnce(url, headers, body);
    } catch (e) {
      const code = e instanceof OnvifError && e.code === 'UNREACHABLE' ? e.detail : undefined;
      if (code !== 'ECONNRESET' && code !== 'UND_ERR_SOCKET' && code !== 'EPIPE') throw e;
      return this.#postOnce(url, headers, body);
    }
  }

  async #postOnce(url: string, headers: Record<string, string>, body: string): Promise<RawAnswer> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      const res = await this.#fetch(url, { method: 'POST', headers, body, signal, redirect: 'error' });
      const declared = Number(res.headers.get('content-length'));
      if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
        await res.body?.cancel().catch(() => undefined);
        throw new OnvifError('BAD_RESPONSE', `answer of ${declared} bytes is too large`, { status: res.status });
      }
      const buf = new Uint8Array(await res.arrayBuffer());
      if (buf.length > MAX_BODY_BYTES) throw new OnvifError('BAD_RESPONSE', `answer of ${buf.length} bytes is too large`, { status: res.status });
      return { status: res.status, headers: res.headers, text: new TextDecoder('utf-8').decode(buf) };
    } catch (e) {
      throw transportError(e, url);
    }
  }
}

import { answerChallenge, SipHeaders, type SipResponse } from '../lib/sip/index.js';
import type { Logger } from '../core/logger.js';
import { newCallId, newTag, SipTimeoutError, type SipEndpoint } from '../sip/endpoint.js';
import type { Peer } from '../sip/transport.js';
import type { UpperPlatform } from '../store/repos/upper-platforms.js';
import { waitAtMost } from '../core/wait.js';

export type LinkState = 'disabled' | 'registering' | 'registered' | 'failed';

export interface LinkStatus {
  id: string;
  state: LinkState;
  since: string;
  registeredAt?: string;
  expiresAt?: string;
  lastKeepaliveAt?: string;
  /** the upper's Date header on the last 200 (time reference, GB/T 28181-2016 §9.10) */
  upperDate?: string;
  error?: string;
  failures: number;
  nextAttemptAt?: string;
}

const MAX_BACKOFF_S = 300;

/**
 * Our registration to one upper platform (GB/T 28181-2016 §9.1.2, we as the lower platform): REGISTER with digest
 * (401 and 407, qop or not), refresh before expiry, keepalive MESSAGE every interval, register again when the upper
 * answers a keepalive with an error or leaves `keepaliveMisses` unanswered, back-off while it is down or refuses us.
 */
export class UpperLink {
  private st: LinkStatus;
  private timer?: NodeJS.Timeout;
  private kaTimer?: NodeJS.Timeout;
  private readonly callId = newCallId();
  private readonly fromTag = newTag();
  private cseq = 1;
  private challenge?: string;
  private nc = 0;
  private misses = 0;
  private sn = 1;
  private stopped = true;

  constructor(
    public upper: UpperPlatform,
    private readonly d: {
      endpoint: SipEndpoint;
      password: () => Promise<string>;
      log: Logger;
      keepaliveBody: (sn: number) => Buffer;
      onState?: (s: LinkStatus) => void;
    },
  ) {
    this.st = { id: upper.id, state: 'disabled', since: new Date().toISOString(), failures: 0 };
  }

  get peer(): Peer {
    return { transport: this.upper.transport === 'tcp' ? 'TCP' : 'UDP', address: this.upper.host, port: this.upper.port };
  }

  get status(): LinkStatus {
    return { ...this.st };
  }

  get registered(): boolean {
    return this.st.state === 'registered';
  }

  nextSn(): number {
    return this.sn++;
  }

  private get serverUri(): string {
    return `sip:${this.upper.serverId}@${this.upper.domain}`;
  }

  private get localUri(): string {
    return `sip:${this.upper.localId}@${this.upper.localId.slice(0, 10)}`;
  }

  private contact(): string {
    const l = this.d.endpoint.localFor(this.peer);
    return `<sip:${this.upper.localId}@${l.address}:${l.port}>`;
  }

  private set(state: LinkState, extra: Partial<LinkStatus> = {}): void {
    const changed = state !== this.st.state || extra.error !== this.st.error;
    this.st = { ...this.st, ...extra, state, since: changed ? new Date().toISOString() : this.st.since };
    if (state === 'registered') delete this.st.error;
    if (changed) this.d.onState?.(this.status);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.st.failures = 0;
    this.set('registering');
    void this.cycle();
  }

  /** Unregisters (Expires 0) when registered, then stays quiet. */
  async stop(unregister = true): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.kaTimer);
    if (unregister && this.st.state === 'registered') {
      // a live upper answers in well under a second; one that is gone must not hold a shutdown for the full 10 s
      await waitAtMost(this.register(0), 3000).catch(() => undefined);
    }
    this.set('disabled', { error: undefined, expiresAt: undefined, nextAttemptAt: undefined });
  }

  /** Apply an edited configuration: register again with it. */
  async reconfigure(u: UpperPlatform): Promise<void> {
    await this.stop();
    this.upper = u;
    this.challenge = undefined;
    if (u.enabled) this.start();
  }

  private async cycle(): Promise<void> {
    if (this.stopped) return;
    try {
      const res = await this.register(this.upper.expires);
      if (this.stopped) return;
      if (res.status >= 200 && res.status < 300) {
        const granted = grantedExpires(res, this.upper.expires);
        const now = Date.now();
        this.misses = 0;
        this.st.failures = 0;
        this.set('registered', { registeredAt: new Date(now).toISOString(), expiresAt: new Date(now + granted * 1000).toISOString(), upperDate: res.headers.get('date') ?? undefined, nextAttemptAt: undefined });
        // refresh at ~80 % of the granted time (never later than 60 s before it runs out)
        const refresh = Math.max(5, Math.min(granted * 0.8, granted - 60));
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.cycle(), refresh * 1000);
        this.timer.unref();
        this.scheduleKeepalive(Math.min(5, this.upper.keepaliveInterval));
        return;
      }
      this.fail(`REGISTER answered ${res.status} ${res.reason}${res.status === 401 || res.status === 403 ? ' (wrong ID or password? 注册被拒绝)' : ''}`);
    } catch (e) {
      if (this.stopped) return;
      this.fail(e instanceof SipTimeoutError ? 'upper platform did not answer REGISTER (上级平台无响应)' : `REGISTER failed: ${(e as Error).message}`);
    }
  }

  private fail(error: string): void {
    clearTimeout(this.kaTimer);
    this.st.failures++;
    // 5 s, 10 s, 20 s … 5 min: a wrong password or a down upper never turns into a tight loop
    const delayS = Math.min(MAX_BACKOFF_S, 5 * 2 ** Math.min(this.st.failures - 1, 10));
    this.set('failed', { error, nextAttemptAt: new Date(Date.now() + delayS * 1000).toISOString() });
    this.d.log.warn({ upper: this.upper.id, retryInS: delayS }, error);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.cycle(), delayS * 1000);
    this.timer.unref();
  }

  /** REGISTER answering one 401/407 challenge (RFC 3261 §22.2); re-uses the last challenge first. */
  private async register(expires: number): Promise<SipResponse> {
    const password = await this.d.password();
    const auth = () => {
      this.nc++;
      return answerChallenge(this.challenge!, { username: this.upper.username || this.upper.localId, password, method: 'REGISTER', uri: this.serverUri, nc: this.nc });
    };
    let res = await this.sendRegister(expires, this.challenge ? auth() : undefined);
    if (res.status === 401 || res.status === 407) {
      const ch = res.headers.get(res.status === 401 ? 'www-authenticate' : 'proxy-authenticate');
      if (!ch) return res;
      this.challenge = ch;
      this.nc = 0;
      res = await this.sendRegister(expires, auth(), res.status === 407);
      if (res.status === 401 || res.status === 407) this.challenge = undefined;
    }
    return res;
  }

  private sendRegister(expires: number, authorization?: string, proxy = false): Promise<SipResponse> {
    const h = SipHeaders.from({
      From: `<${this.localUri}>;tag=${this.fromTag}`,
      To: `<${this.localUri}>`,
      'Call-ID': this.callId,
      CSeq: `${this.cseq++} REGISTER`,
      Contact: this.contact(),
      Expires: expires,
    });
    if (authorization) h.set(proxy ? 'Proxy-Authorization' : 'Authorization', authorization);
    return this.d.endpoint.request(this.peer, { kind: 'request', method: 'REGISTER', uri: this.serverUri, headers: h, body: Buffer.alloc(0) }, { timeoutMs: 10_000 });
  }

  private scheduleKeepalive(delayS: number): void {
    clearTimeout(this.kaTimer);
    this.kaTimer = setTimeout(() => this.keepalive(), delayS * 1000);
    this.kaTimer.unref();
  }

  private keepalive(): void {
    if (this.stopped || this.st.state !== 'registered') return;
    this.scheduleKeepalive(this.upper.keepaliveInterval);
    this.message(this.d.keepaliveBody(this.nextSn()), Math.min(32_000, this.upper.keepaliveInterval * 1000)).then(
      (res) => {
        if (res.status < 300) {
          this.misses = 0;
          this.set('registered', { lastKeepaliveAt: new Date().toISOString() });
          return;
        }
        // the upper no longer knows us (it restarted): register again now (GB/T 28181-2016 §9.6)
        this.d.log.info({ upper: this.upper.id, status: res.status }, 'keepalive refused by the upper platform; registering again');
        clearTimeout(this.kaTimer);
        this.set('registering');
        void this.cycle();
      },
      () => {
        if (this.stopped || this.st.state !== 'registered') return;
        if (++this.misses >= this.upper.keepaliveMisses) {
          this.d.log.info({ upper: this.upper.id, misses: this.misses }, 'keepalives unanswered; registering again');
          this.misses = 0;
          clearTimeout(this.kaTimer);
          this.set('registering', { error: 'keepalives unanswered (心跳超时)' });
          void this.cycle();
        }
      },
    );
  }

  /** A MESSAGE with a MANSCDP body to the upper, as its own transaction. */
  message(body: Buffer, timeoutMs = 8000): Promise<SipResponse> {
    const h = SipHeaders.from({
      From: `<${this.localUri}>;tag=${newTag()}`,
      To: `<${this.serverUri}>`,
      'Call-ID': newCallId(),
      CSeq: `${this.cseq++} MESSAGE`,
      'Content-Type': 'Application/MANSCDP+xml',
    });
    return this.d.endpoint.request(this.peer, { kind: 'request', method: 'MESSAGE', uri: this.serverUri, headers: h, body }, { timeoutMs });
  }
}

/** Expires the upper granted: Contact;expires, then Expires, then what we asked (RFC 3261 §10.2.4). */
function grantedExpires(res: SipResponse, asked: number): number {
  const c = /expires\s*=\s*(\d+)/i.exec(res.headers.get('contact') ?? '');
  const e = Number(c?.[1] ?? res.headers.get('expires') ?? asked);
  return Number.isFinite(e) && e > 0 ? e : asked;
}

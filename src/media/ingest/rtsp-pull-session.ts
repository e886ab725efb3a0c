import type { Logger } from '../../core/logger.js';
import type { Frame } from '../../lib/av/frame.js';
import { DEFAULT_SESSION_TIMEOUT, formatTransport, parseRtpInfo, parseRtspTracks, parseSession, parseTransport, type RtpInfoEntry, type RtspResponse, type RtspTrack, type RtspTransport } from '../../lib/rtsp/index.js';
import { attr } from '../../lib/sdp/attributes.js';
import { parseSdp } from '../../lib/sdp/parse.js';
import { RtspAuth } from './rtsp-pull-auth.js';
import { RtspControl } from './rtsp-pull-control.js';
import { PullError, statusError } from './rtsp-pull-errors.js';
import { SessionClock } from './rtsp-pull-timing.js';
import { chooseTracks, TrackReceiver } from './rtsp-pull-track.js';
import { UdpPair } from './rtsp-pull-udp.js';
import { type PullTarget, parsePullUrl, resolveUrl } from './rtsp-pull-url.js';

export type PullTransport = 'tcp' | 'udp';

export interface PullSessionOptions {
  target: PullTarget;
  /** 'auto': TCP interleaved, UDP when the server refuses it */
  transport: PullTransport | 'auto';
  timeoutMs: number;
  udpPortRange?: readonly [number, number];
  log: Logger;
  /** PLAY was accepted for these tracks; no frame of the session comes before this */
  onStart(kinds: ('video' | 'audio')[]): void;
  /** the first RTP packet arrived */
  onPlaying(info: { transport: PullTransport; tracks: string[] }): void;
  onFrame(f: Frame): void;
  /** an RTP packet of a track, `bytes` long */
  onPacket(bytes: number): void;
  onLoss(count: number): void;
}

const MAX_REDIRECTS = 3;
/** packets that arrive before the PLAY answer is handled (its RTP-Info is needed first); beyond this, dropped */
const MAX_HELD = 512;
const TEARDOWN_WAIT_MS = 1000;
const REORDER_WINDOW = { tcp: 4, udp: { video: 64, audio: 16 } };

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((a, b) => {
    resolve = a;
    reject = b;
  });
  promise.catch(() => {}); // settled early (the connection drops during the handshake): not an unhandled rejection
  return { promise, resolve, reject };
}

interface SetupTrack {
  track: RtspTrack;
  rx: TrackReceiver;
  /** TCP: the interleaved channel pair the server answered */
  channels?: [number, number];
  udp?: UdpPair;
  /** UDP: where media may come from, and the server's RTCP port */
  sources?: Set<string>;
  serverRtcp?: number;
}

/** RTP-Info entry of a track: same URL, else same last path segment (servers differ in how they echo it), else by position. */
function rtpInfoFor(entries: readonly RtpInfoEntry[], control: string, index: number, count: number): RtpInfoEntry | undefined {
  const exact = entries.find((e) => e.url === control);
  if (exact) return exact;
  const tail = (u: string): string => u.replace(/\/+$/, '').split(/[/?]/).pop() ?? '';
  const byTail = entries.filter((e) => tail(e.url) === tail(control));
  if (byTail.length === 1) return byTail[0];
  return entries.length === count ? entries[index] : undefined;
}

/** A view into a much larger socket chunk would keep the whole chunk alive in the GOP cache: copy it to its size. */
function own(data: Buffer): Buffer {
  if (data.buffer.byteLength <= data.length * 2 + 256) return data;
  const b = Buffer.allocUnsafeSlow(data.length);
  data.copy(b);
  return b;
}

/**
 * One RTSP 1.0 client session (RFC 2326 §10): OPTIONS, DESCRIBE (following up to 3 redirects), SETUP of the chosen
 * tracks (TCP interleaved or UDP client ports), PLAY, then RTP → frames until the connection drops, no RTP comes for
 * timeoutMs (TIMEOUT), or close(). Keepalive: GET_PARAMETER (OPTIONS when the server does not list it) every
 * half session timeout. run() settles only after every socket and timer of the session is released.
 */
export class PullSession {
  transport: PullTransport | undefined;
  private control: RtspControl | undefined;
  private readonly abort = new AbortController();
  private readonly end = deferred();
  private readonly tracks: SetupTrack[] = [];
  private readonly byChannel = new Map<number, SetupTrack>();
  private held: { t: SetupTrack; data: Buffer }[] | undefined = [];
  private readonly clock = new SessionClock();
  private readonly timers: NodeJS.Timeout[] = [];
  private aggregate = '';
  private publicMethods = '';
  private sessionTimeout = DEFAULT_SESSION_TIMEOUT;
  private playing = false;
  private lastPacketAt = 0;
  private gotMedia = false;
  private aborted = false;
  private running: Promise<void> | undefined;
  private callbackErrors = 0;

  constructor(private readonly opts: PullSessionOptions) {}

  /** Resolves when closed by close(); rejects with a PullError when the session failed. */
  run(): Promise<void> {
    this.running ??= this.execute();
    return this.running;
  }

  /** Ends the session: TEARDOWN (waited for at most 1 s) when it is playing, then every socket closed. */
  async close(): Promise<void> {
    this.aborted = true;
    this.abort.abort();
    if (!this.playing) void this.control?.close();
    this.end.resolve();
    await this.running?.catch(() => {});
  }

  private async execute(): Promise<void> {
    let failure: unknown;
    try {
      await this.negotiate();
      await this.end.promise;
    } catch (e) {
      failure = e;
    }
    await this.release();
    if (!this.aborted && failure !== undefined) {
      throw failure instanceof PullError ? failure : new PullError('PROTOCOL', (failure as Error)?.message ?? String(failure));
    }
  }

  private fail(err: PullError): void {
    this.end.reject(err);
  }

  private checkAborted(): void {
    if (this.aborted) throw new PullError('PROTOCOL', 'stopped');
  }

  private async connect(target: PullTarget): Promise<RtspControl> {
    const connecting = RtspControl.connect({
      host: target.host,
      port: target.port,
      timeoutMs: this.opts.timeoutMs,
      auth: new RtspAuth(target.user, target.password),
      log: this.opts.log,
      onInterleaved: (ch, data) => this.onInterleaved(ch, data),
      onClose: (err) => this.fail(err),
      signal: this.abort.signal,
    });
    const c = await connecting;
    if (this.aborted) {
      await c.close();
      this.checkAborted();
    }
    return c;
  }

  private async negotiate(): Promise<void> {
    let target = this.opts.target;
    let describe: RtspResponse;
    for (let hop = 0; ; hop++) {
      this.control = await this.connect(target);
      const c = this.control;
      const options = await c.request('OPTIONS', target.url);
      if (options.status === 401 || options.status === 403) throw statusError('OPTIONS', options.status, options.reason);
      this.publicMethods = options.status === 200 ? (options.headers.get('public') ?? '') : '';
      describe = await c.request('DESCRIBE', target.url, { Accept: 'application/sdp' });
      const location = describe.headers.get('location');
      if ([301, 302, 303, 305, 307].includes(describe.status) && location && hop < MAX_REDIRECTS) {
        const next = parsePullUrl(resolveUrl(location, target.url));
        // credentials go along only to the same host
        if (next.user === undefined && next.host === target.host) Object.assign(next, { user: target.user, password: target.password });
        this.opts.log.info({ from: target.display, to: next.display }, 'rtsp pull redirected');
        await c.close();
        target = next;
        continue;
      }
      if (describe.status !== 200) throw statusError('DESCRIBE', describe.status, describe.reason);
      break;
    }
    const base = resolveUrl(describe.headers.get('content-base') ?? describe.headers.get('content-location') ?? target.url, target.url);
    let tracks: RtspTrack[];
    try {
      const sdp = parseSdp(describe.body.toString('utf8'));
      tracks = parseRtspTracks(sdp, base);
      const control = attr(sdp.attributes, 'control');
      this.aggregate = !control || control === '*' ? base : /^[a-z][a-z0-9+.-]*:\/\//i.test(control) ? control : resolveUrl(control, base);
    } catch (e) {
      throw new PullError('PROTOCOL', `DESCRIBE answer is not a usable SDP: ${(e as Error).message}`);
    }
    const chosen = chooseTracks(tracks);
    const wanted = [chosen.video, chosen.audio].filter((t): t is RtspTrack => t !== undefined);
    if (!wanted.length) {
      const found = [...chosen.skipped].join(', ') || 'no media';
      throw new PullError('UNSUPPORTED_CODEC', `no H.264/H.265 video and no AAC/G.711 audio offered (${found})`);
    }
    if (chosen.skipped.length) this.opts.log.info({ skipped: chosen.skipped }, 'rtsp pull: tracks not pulled');

    let transport: PullTransport = this.opts.transport === 'udp' ? 'udp' : 'tcp';
    for (const [i, track] of wanted.entries()) {
      this.checkAborted();
      let res = await this.setup(track, i, transport);
      if (res && i === 0 && this.opts.transport === 'auto' && transport === 'tcp' && res.status !== 401 && res.status !== 403 && res.status !== 404) {
        this.opts.log.info({ status: res.status }, 'rtsp pull: TCP interleaved refused, trying UDP');
        transport = 'udp';
        res = await this.setup(track, i, transport);
      }
      if (!res) continue;
      if (i === 0) throw statusError('SETUP', res.status, res.reason);
      this.opts.log.warn({ track: track.control, status: res.status }, 'rtsp pull: SETUP of a track refused, pulled without it');
    }
    this.transport = transport;
    this.checkAborted();

    const play = await this.control!.request('PLAY', this.aggregate, { Range: 'npt=0.000-' });
    if (play.status !== 200) throw statusError('PLAY', play.status, play.reason);
    const info = play.headers.get('rtp-info');
    const entries = info ? parseRtpInfo(info) : [];
    // RTP-Info aligns the tracks only when every track has its rtptime; otherwise all are aligned by arrival
    const rtptimes = this.tracks.map((t, i) => rtpInfoFor(entries, t.track.control, i, this.tracks.length)?.rtptime);
    if (rtptimes.every((r) => r !== undefined)) this.tracks.forEach((t, i) => t.rx.setRtptime(rtptimes[i]));
    this.playing = true;
    this.lastPacketAt = Date.now();
    this.opts.onStart(this.tracks.map((t) => t.rx.kind));
    for (const t of this.tracks) if (t.udp) t.udp.punch(this.control!.remoteAddress, t.serverRtcp ?? 0);
    const held = this.held ?? [];
    this.held = undefined;
    for (const h of held) this.deliver(h.t, h.data);
    this.startTimers();
  }

  /** SETUP of one track; undefined when it succeeded, else the refusing answer. */
  private async setup(track: RtspTrack, index: number, transport: PullTransport): Promise<RtspResponse | undefined> {
    const c = this.control!;
    let udp: UdpPair | undefined;
    let header: string;
    const slot: { t?: SetupTrack } = {};
    if (transport === 'tcp') {
      header = formatTransport({ profile: 'RTP/AVP', lowerTransport: 'TCP', unicast: true, interleaved: [2 * index, 2 * index + 1] });
    } else {
      udp = await UdpPair.bind({
        type: c.remoteFamily === 'IPv6' ? 'udp6' : 'udp4',
        range: this.opts.udpPortRange,
        log: this.opts.log,
        onRtp: (data, address) => {
          const t = slot.t;
          if (t && (address === c.remoteAddress || t.sources?.has(address))) this.onMedia(t, data);
        },
      });
      header = formatTransport({ profile: 'RTP/AVP', lowerTransport: 'UDP', unicast: true, clientPort: [udp.rtpPort, udp.rtcpPort] });
    }
    let res: RtspResponse;
    try {
      res = await c.request('SETUP', track.control, { Transport: header });
    } catch (e) {
      await udp?.close();
      throw e;
    }
    if (res.status !== 200) {
      await udp?.close();
      return res;
    }
    const fail = async (msg: string): Promise<never> => {
      await udp?.close();
      throw new PullError('PROTOCOL', msg);
    };
    const sessionHeader = res.headers.get('session');
    if (!c.session) {
      if (!sessionHeader) return fail('SETUP answer without a Session header');
      const s = parseSession(sessionHeader);
      c.session = s.id;
      this.sessionTimeout = s.timeout && s.timeout > 0 ? s.timeout : DEFAULT_SESSION_TIMEOUT;
    }
    let answered: RtspTransport | undefined;
    try {
      const th = res.headers.get('transport');
      answered = th ? parseTransport(th)[0] : undefined;
    } catch {
      answered = undefined;
    }
    if (answered && answered.lowerTransport !== (transport === 'tcp' ? 'TCP' : 'UDP')) return fail(`SETUP asked for ${transport.toUpperCase()}, the server answered ${answered.lowerTransport}`);
    const kind = track.media === 'video' ? 'video' : 'audio';
    const rx = new TrackReceiver({
      track,
      clock: this.clock,
      reorderWindow: transport === 'tcp' ? REORDER_WINDOW.tcp : REORDER_WINDOW.udp[kind],
      onFrame: (f) => this.opts.onFrame(f),
      onLoss: (n) => this.opts.onLoss(n),
    });
    const t: SetupTrack = { track, rx };
    if (transport === 'tcp') {
      const ch = answered?.interleaved ?? [2 * index, 2 * index + 1];
      t.channels = ch;
      this.byChannel.set(ch[0], t);
    } else {
      t.udp = udp;
      t.sources = new Set(answered?.source ? [answered.source] : []);
      t.serverRtcp = answered?.serverPort?.[1];
      slot.t = t;
    }
    this.tracks.push(t);
    return undefined;
  }

  private onInterleaved(channel: number, data: Buffer): void {
    const t = this.byChannel.get(channel);
    if (t) this.onMedia(t, own(data)); // odd channels: RTCP, ignored
  }

  private onMedia(t: SetupTrack, data: Buffer): void {
    if (this.held) {
      if (this.held.length < MAX_HELD) this.held.push({ t, data });
      return;
    }
    this.deliver(t, data);
  }

  private deliver(t: SetupTrack, data: Buffer): void {
    if (this.aborted) return;
    try {
      if (!t.rx.push(data)) return;
      this.opts.onPacket(data.length);
      this.lastPacketAt = Date.now();
      if (!this.gotMedia) {
        this.gotMedia = true;
        this.opts.onPlaying({ transport: this.transport ?? 'tcp', tracks: this.tracks.map((x) => `${x.track.media} ${x.track.encoding}`) });
      }
    } catch (e) {
      // a failing consumer must not break the connection's parser; logged a few times, not per packet
      if (this.callbackErrors++ < 5) this.opts.log.error({ err: e }, 'rtsp pull: frame delivery failed');
    }
  }

  private startTimers(): void {
    const every = Math.max(50, Math.min(1000, Math.floor(this.opts.timeoutMs / 4)));
    this.timers.push(
      setInterval(() => {
        if (Date.now() - this.lastPacketAt <= this.opts.timeoutMs) return;
        this.fail(new PullError('TIMEOUT', this.gotMedia ? `no RTP for ${this.opts.timeoutMs} ms` : `no RTP within ${this.opts.timeoutMs} ms of PLAY`));
      }, every),
    );
    const keepalive = Math.max(1000, (this.sessionTimeout * 1000) / 2);
    const method = /\bGET_PARAMETER\b/i.test(this.publicMethods) ? 'GET_PARAMETER' : 'OPTIONS';
    this.timers.push(setInterval(() => void this.keepalive(method), keepalive));
  }

  private async keepalive(method: string): Promise<void> {
    const c = this.control;
    if (!c?.open || this.aborted) return;
    try {
      const res = await c.request(method, method === 'OPTIONS' ? this.opts.target.url : this.aggregate);
      if (res.status === 454) this.fail(new PullError('PROTOCOL', `${method} keepalive: session not found (454), the server dropped it`));
    } catch (e) {
      this.opts.log.debug({ err: (e as Error).message, method }, 'rtsp pull keepalive unanswered');
    }
  }

  private async release(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    this.held = undefined;
    const c = this.control;
    if (c?.open && c.session && this.playing) {
      // best effort, and bounded: a keepalive still waiting for its answer would hold the TEARDOWN back
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(this.opts.timeoutMs, TEARDOWN_WAIT_MS))));
      await Promise.race([c.request('TEARDOWN', this.aggregate).then(
        () => {},
        () => {},
      ), limit]);
      clearTimeout(timer);
    }
    await Promise.all([c?.close(), ...this.tracks.map((t) => t.udp?.close())]);
  }
}

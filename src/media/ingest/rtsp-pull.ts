import type { Logger } from '../../core/logger.js';
import type { Frame } from '../../lib/av/frame.js';
import type { Stream } from '../../stream/stream.js';
import { PullError, type PullErrorCode } from './rtsp-pull-errors.js';
import { PullSession } from './rtsp-pull-session.js';
import { SessionSplicer } from './rtsp-pull-splice.js';
import { type PullTarget, parsePullUrl } from './rtsp-pull-url.js';

export type { PullErrorCode } from './rtsp-pull-errors.js';

export interface PullState {
  status: 'connecting' | 'playing' | 'retrying' | 'stopped';
  /** why the last attempt failed; kept while connecting again, cleared when playing */
  error?: { code: PullErrorCode; message: string };
  /** when this status (or error) was entered, ms since the epoch */
  since: number;
  /** failed attempts since the last time it played (0 while playing) */
  attempts: number;
  /** while playing: the transport in use */
  transport?: 'tcp' | 'udp';
}

export interface RtspPullerOptions {
  /** rtsp://[user[:password]@]host[:port]/path — see parsePullUrl for what the password may contain */
  url: string;
  /** 'auto' (default): TCP interleaved first (passes NAT and firewalls), UDP when the server refuses TCP */
  transport?: 'tcp' | 'udp' | 'auto';
  stream: Stream;
  log: Logger;
  onState?(s: PullState): void;
  /** wait before reconnecting, doubling per failure; default 1 s .. 30 s */
  backoff?: { minMs: number; maxMs: number };
  /** TCP connect, each RTSP answer, and RTP silence while playing; default 10 s */
  timeoutMs?: number;
  /** where UDP client_port pairs are taken from; default 49152-65535 */
  udpPortRange?: readonly [number, number];
}

export interface PullStats {
  /** RTP packets received (all tracks, all sessions) */
  packets: number;
  bytes: number;
  /** RTP sequence numbers given up as lost */
  lost: number;
  /** sessions started after the first one */
  reconnects: number;
}

const DEFAULT_BACKOFF = { minMs: 1000, maxMs: 30_000 };
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Pulls a non-GB camera (or any RTSP server) into a hub stream: one RTSP session at a time (PullSession), and when
 * it fails — server closed, socket error, no RTP for timeoutMs, an error answer — a new one after a back-off that
 * doubles from minMs to maxMs (reset once it plays again), until stop(). Each new session is spliced onto the time
 * line of the last (SessionSplicer) and the stream told (sourceRestarted) before its first frame, so timestamps keep
 * growing across reconnects, on every track. State changes are reported
 * through onState, with the error code of the last failure (AUTH_FAILED keeps being retried, and reported).
 *
 * In 'auto' mode the transport that worked is kept for the reconnects (a server that refused TCP once is asked for
 * UDP directly).
 */
export class RtspPuller {
  private current: PullState;
  private readonly target: PullTarget | undefined;
  private readonly badUrl: PullError | undefined;
  private readonly backoff: { minMs: number; maxMs: number };
  private readonly timeoutMs: number;
  private transport: 'tcp' | 'udp' | 'auto';
  private session: PullSession | undefined;
  private loop: Promise<void> | undefined;
  private stopped = false;
  private wait: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  private readonly counters: PullStats = { packets: 0, bytes: 0, lost: 0, reconnects: 0 };
  private sessions = 0;
  private lastLogged = '';
  private readonly splicer: SessionSplicer;

  constructor(private readonly opts: RtspPullerOptions) {
    this.transport = opts.transport ?? 'auto';
    this.backoff = {
      minMs: Math.max(10, opts.backoff?.minMs ?? DEFAULT_BACKOFF.minMs),
      maxMs: Math.max(opts.backoff?.minMs ?? DEFAULT_BACKOFF.minMs, opts.backoff?.maxMs ?? DEFAULT_BACKOFF.maxMs),
    };
    this.timeoutMs = Math.max(100, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    try {
      this.target = parsePullUrl(opts.url);
    } catch (e) {
      this.badUrl = e instanceof PullError ? e : new PullError('PROTOCOL', String(e));
    }
    this.current = { status: 'stopped', since: Date.now(), attempts: 0 };
    const stream = opts.stream;
    this.splicer = new SessionSplicer(
      (f) => stream.push(f),
      () => stream.sourceRestarted(),
    );
  }

  get state(): PullState {
    return this.current;
  }

  stats(): PullStats {
    return { ...this.counters };
  }

  /** Connects, and keeps reconnecting with back-off until stop(). A second call does nothing. */
  start(): void {
    if (this.loop || this.stopped) return;
    this.loop = this.run();
  }

  /** TEARDOWN (best effort, ≤ 1 s), sockets closed, timers cleared; the state becomes 'stopped'. */
  async stop(): Promise<void> {
    if (this.stopped) {
      await this.loop;
      return;
    }
    this.stopped = true;
    this.wake();
    await this.session?.close();
    await this.loop;
    this.setState({ status: 'stopped', since: Date.now(), attempts: this.current.attempts });
  }

  private setState(s: PullState): void {
    this.current = s;
    try {
      this.opts.onState?.(s);
    } catch (e) {
      this.opts.log.error({ err: e }, 'rtsp pull onState handler failed');
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    let lastError: PullState['error'];
    while (!this.stopped) {
      this.setState({ status: 'connecting', since: Date.now(), attempts: failures, ...(lastError ? { error: lastError } : {}) });
      try {
        await this.attempt(() => {
          failures = 0;
          lastError = undefined;
        });
      } catch (e) {
        const err = e instanceof PullError ? e : new PullError('PROTOCOL', (e as Error)?.message ?? String(e));
        lastError = { code: err.code, message: err.message };
      }
      if (this.stopped) break;
      failures++; // a session that played and then dropped counts as the first failure: reconnect after minMs
      lastError ??= { code: 'UNREACHABLE', message: 'the session ended' };
      this.logFailure(lastError, failures);
      const delay = Math.min(this.backoff.maxMs, this.backoff.minMs * 2 ** Math.min(20, failures - 1));
      this.setState({ status: 'retrying', since: Date.now(), attempts: failures, error: lastError });
      await this.sleep(delay);
    }
  }

  /** One session, from connect to its end; `onPlaying` when its first RTP packet arrives. */
  private async attempt(onPlaying: () => void): Promise<void> {
    if (this.badUrl || !this.target) throw this.badUrl ?? new PullError('PROTOCOL', 'no URL');
    if (this.sessions++ > 0) this.counters.reconnects++;
    const session = new PullSession({
      target: this.target,
      transport: this.transport,
      timeoutMs: this.timeoutMs,
      udpPortRange: this.opts.udpPortRange,
      log: this.opts.log,
      onStart: (kinds) => this.splicer.begin(kinds),
      onPlaying: (info) => {
        onPlaying();
        if (this.transport === 'auto' && info.transport === 'udp') this.transport = 'udp';
        this.lastLogged = '';
        this.opts.log.info({ url: this.target!.display, transport: info.transport, tracks: info.tracks }, 'rtsp pull playing');
        this.setState({ status: 'playing', since: Date.now(), attempts: 0, transport: info.transport });
      },
      onFrame: (f: Frame) => this.splicer.push(f),
      onPacket: (bytes) => {
        this.counters.packets++;
        this.counters.bytes += bytes;
      },
      onLoss: (n) => {
        this.counters.lost += n;
      },
    });
    this.session = session;
    try {
      await session.run();
    } finally {
      this.session = undefined;
      this.splicer.flush();
    }
  }

  private logFailure(err: NonNullable<PullState['error']>, failures: number): void {
    const key = `${err.code} ${err.message}`;
    const first = key !== this.lastLogged;
    this.lastLogged = key;
    this.opts.log[first ? 'warn' : 'debug']({ url: this.target?.display ?? '(bad url)', code: err.code, err: err.message, attempts: failures }, 'rtsp pull failed, retrying');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wait = undefined;
        resolve();
      }, ms);
      this.wait = {
        timer,
        wake: () => {
          clearTimeout(timer);
          this.wait = undefined;
          resolve();
        },
      };
    });
  }

  private wake(): void {
    this.wait?.wake();
  }
}

/**
 * One pane's live player: asks the API for signed URLs, plays the WS-FLV URL with mpegts.js (loaded on first use, in
 * its own chunk), and reconnects by itself — a player error, a stall or no first picture closes it, and after a
 * back-off a new `POST /live` (fresh token) starts a new one. `destroy()` ends everything.
 */
import type Mpegts from 'mpegts.js';
import { ApiError } from '../../api/http';
import type { LiveAnswer } from '../../api/live';
import { errorText } from '../../utils/errors';
import { Backoff, isPermanent } from '../../utils/backoff';

type MpegtsLib = typeof Mpegts;

let lib: Promise<MpegtsLib> | null = null;
/** mpegts.js, fetched once (the login page and the other pages never load it). */
export function loadMpegts(): Promise<MpegtsLib> {
  lib ??= import('mpegts.js').then((m) => {
    const mpegts = (m.default ?? m) as MpegtsLib;
    mpegts.LoggingControl.applyConfig({ enableAll: false, enableError: false, enableWarn: false, enableInfo: false, enableDebug: false, enableVerbose: false });
    return mpegts;
  });
  return lib;
}

const HEVC_MSE = 'video/mp4; codecs="hvc1.1.6.L93.B0"';
/** Whether this browser decodes H.265 in MSE; if not, H.265 channels are asked for as H.264 (server rendition). */
export function canPlayHevc(): boolean {
  try {
    return typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported(HEVC_MSE);
  } catch {
    return false;
  }
}

export type PlayerPhase = 'opening' | 'playing' | 'retrying' | 'failed' | 'stopped';

export interface PlayerStatus {
  phase: PlayerPhase;
  /** last error, as shown to the operator ("message (CODE)") */
  error?: string;
  code?: string;
  /** reconnects since the last healthy stretch */
  attempt: number;
  /** when retrying: epoch ms of the next attempt */
  retryAt?: number;
  /** ms from start() to the first decoded picture of this player (first connection only) */
  firstFrameMs?: number;
}

export interface PlayerInfo {
  codec?: string;
  width?: number;
  height?: number;
  fps?: number;
  kbps?: number;
  stream?: string;
  fallback?: boolean;
  transcoded?: boolean;
  dropped?: number;
}

export interface LivePlayerOptions {
  /** `POST /live`; `h264` asks for the H.264 rendition (set after this browser failed to decode the stream) */
  open: (h264: boolean) => Promise<LiveAnswer>;
  onStatus: (s: PlayerStatus) => void;
  onInfo: (i: PlayerInfo) => void;
  backoff?: Backoff;
  /** no progress for this long while playing: reconnect */
  stallMs?: number;
  /** no first picture this long after the URL was opened: reconnect */
  firstFrameTimeoutMs?: number;
}

export class LivePlayer {
  private player: Mpegts.Player | null = null;
  private destroyed = false;
  private generation = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private readonly backoff: Backoff;
  private readonly startedAt = performance.now();
  private firstFrameMs: number | undefined;
  private status: PlayerStatus = { phase: 'opening', attempt: 0 };
  private info: PlayerInfo = {};
  private lastTime = -1;
  private lastProgressAt = 0;
  private playingSince = 0;
  /** the browser could not decode the stream's codec: ask for H.264 from now on */
  private forceH264 = false;
  private readonly onFrame = () => this.frameSeen();

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly o: LivePlayerOptions,
  ) {
    this.backoff = o.backoff ?? new Backoff();
    video.addEventListener('playing', this.onFrame);
    video.addEventListener('loadeddata', this.onFrame);
  }

  start(): void {
    void this.connect();
  }

  /** Reconnect now (the operator's "retry" button), forgetting the back-off. */
  retry(): void {
    if (this.destroyed) return;
    this.backoff.reset();
    this.clearRetry();
    void this.connect();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.generation++;
    this.clearRetry();
    this.teardown();
    this.video.removeEventListener('playing', this.onFrame);
    this.video.removeEventListener('loadeddata', this.onFrame);
    this.setStatus({ phase: 'stopped' });
  }

  private setStatus(patch: Partial<PlayerStatus>) {
    this.status = { ...this.status, ...patch, attempt: this.backoff.attempts, firstFrameMs: this.firstFrameMs };
    this.o.onStatus(this.status);
  }

  private setInfo(patch: PlayerInfo) {
    this.info = { ...this.info, ...patch };
    this.o.onInfo(this.info);
  }

  private clearRetry() {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private teardown() {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    const p = this.player;
    this.player = null;
    if (p) {
      try {
        p.pause();
        p.unload();
        p.detachMediaElement();
        p.destroy();
      } catch {
        /* already torn down */
      }
    }
    this.video.removeAttribute('src');
    try {
      this.video.load();
    } catch {
      /* happy-dom */
    }
  }

  private async connect(): Promise<void> {
    const gen = ++this.generation;
    this.teardown();
    this.setStatus({ phase: 'opening' });
    let answer: LiveAnswer;
    let mpegts: MpegtsLib;
    try {
      [answer, mpegts] = await Promise.all([this.o.open(this.forceH264), loadMpegts()]);
    } catch (e) {
      if (gen !== this.generation) return;
      const status = e instanceof ApiError ? e.status : undefined;
      this.fail(errorText(e), e instanceof ApiError ? e.code : undefined, isPermanent(status));
      return;
    }
    if (gen !== this.generation) return;
    this.setInfo({ codec: answer.info?.codec, width: answer.info?.width, height: answer.info?.height, fps: answer.info?.fps, kbps: answer.info?.bitrateKbps, stream: answer.stream, fallback: answer.fallback, transcoded: !!answer.transcoded });
    const player = mpegts.createPlayer(
      { type: 'flv', isLive: true, url: answer.wsFlv, hasAudio: false, hasVideo: true },
      {
        enableStashBuffer: false,
        lazyLoad: false,
        liveBufferLatencyChasing: true,
        liveBufferLatencyMaxLatency: 1.5,
        liveBufferLatencyMinRemain: 0.3,
        autoCleanupSourceBuffer: true,
        autoCleanupMaxBackwardDuration: 12,
        autoCleanupMinBackwardDuration: 6,
        statisticsInfoReportInterval: 1000,
      },
    );
    this.player = player;
    player.on(mpegts.Events.ERROR, (type: string, detail: string, data?: { msg?: string }) => {
      if (gen !== this.generation) return;
      // an H.265 stream this browser cannot decode after all: the next attempt asks for the H.264 rendition
      if (type === mpegts.ErrorTypes.MEDIA_ERROR && !answer.transcoded && answer.info?.codec === 'h265') this.forceH264 = true;
      this.fail(`${type}: ${detail}${data?.msg ? ` (${data.msg})` : ''}`, type);
    });
    player.on(mpegts.Events.LOADING_COMPLETE, () => {
      // the server ended the stream (device BYE, node restart): reconnect
      if (gen === this.generation) this.fail('stream ended', 'STREAM_ENDED');
    });
    player.on(mpegts.Events.MEDIA_INFO, (mi: Mpegts.MSEPlayerMediaInfo) => {
      if (gen === this.generation) this.setInfo({ width: mi.width ?? this.info.width, height: mi.height ?? this.info.height, fps: mi.fps ? Math.round(mi.fps * 10) / 10 : this.info.fps });
    });
    player.on(mpegts.Events.STATISTICS_INFO, (s: Mpegts.MSEPlayerStatisticsInfo) => {
      if (gen !== this.generation) return;
      const q = typeof this.video.getVideoPlaybackQuality === 'function' ? this.video.getVideoPlaybackQuality() : undefined;
      this.setInfo({ kbps: s.speed !== undefined ? Math.round(s.speed * 8) : this.info.kbps, dropped: q?.droppedVideoFrames ?? s.droppedFrames });
    });
    player.attachMediaElement(this.video);
    player.load();
    const opened = performance.now();
    this.lastTime = -1;
    this.lastProgressAt = opened;
    this.playingSince = 0;
    const played = player.play();
    if (played && typeof (played as Promise<void>).catch === 'function') (played as Promise<void>).catch(() => undefined);
    const stallMs = this.o.stallMs ?? 6000;
    const firstMs = this.o.firstFrameTimeoutMs ?? 12_000;
    this.watchdog = setInterval(() => {
      if (gen !== this.generation) return;
      const now = performance.now();
      const t = this.video.currentTime;
      if (t !== this.lastTime) {
        this.lastTime = t;
        this.lastProgressAt = now;
        if (this.playingSince) this.backoff.healthy(now - this.playingSince);
        return;
      }
      if (this.status.phase === 'playing' && now - this.lastProgressAt > stallMs) this.fail('no video for a while (stalled)', 'STALLED');
      else if (this.status.phase === 'opening' && now - opened > firstMs) this.fail('no picture arrived', 'NO_PICTURE');
    }, 1000);
  }

  private frameSeen() {
    if (this.destroyed || !this.player || this.status.phase === 'playing') return;
    if (this.video.readyState < 2) return;
    if (this.firstFrameMs === undefined) this.firstFrameMs = Math.round(performance.now() - this.startedAt);
    this.playingSince = performance.now();
    this.setStatus({ phase: 'playing', error: undefined, code: undefined, retryAt: undefined });
  }

  private fail(message: string, code: string | undefined, permanent = false) {
    if (this.destroyed) return;
    this.generation++;
    this.teardown();
    if (permanent) {
      this.setStatus({ phase: 'failed', error: message, code, retryAt: undefined });
      return;
    }
    const delay = this.backoff.next();
    this.setStatus({ phase: 'retrying', error: message, code, retryAt: Date.now() + delay });
    this.clearRetry();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
  }
}

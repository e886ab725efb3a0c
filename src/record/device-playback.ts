import { AppError, isAppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { MediaDialog } from '../gb28181/invites.js';
import type { GbService } from '../gb28181/service.js';
import { buildMansrtsp, type MansrtspRequest } from '../lib/mansrtsp/index.js';
import { MEDIA_STATUS_END_OF_FILE } from '../lib/manscdp/index.js';
import type { MediaNode, PlaybackAction, PlaybackState, RetimeState, StreamRef } from '../media/node.js';
import type { Store } from '../store/index.js';
import { inviteHistory } from './device-invite.js';

export interface DevicePlaybackDeps {
  store: Store;
  gb: GbService;
  media: MediaNode;
  log: Logger;
  /** the first picture must arrive within this after the INVITE (MEDIA_TIMEOUT otherwise) */
  firstFrameTimeoutMs: number;
  /** no frame for this long while playing: the device stopped sending, the session ends */
  stallMs: number;
}

/** After a seek the device starts at a keyframe: its own clock places it when it lands within this window of the target. */
const LAND_BEFORE_MS = 5000;
const LAND_AFTER_MS = 1000;
/** how long a step or a paused seek waits for its frame before pausing the device again */
const STEP_WAIT_MS = 3000;

export interface DeviceEnd {
  reason: string;
  at: number;
}

/**
 * One playback of a device's own recording (GB/T 28181-2016 §9.8): INVITE `s=Playback`, then MANSRTSP in INFO for
 * PAUSE / PLAY (resume), `Range: npt=` (seek, seconds from the INVITE's start) and `Scale` (speed); the device's
 * MediaStatus 121 or BYE ends it. Frames pass the media node's retimer (timestamps ÷ speed: wall-pace output while
 * content runs k× — the platform-playback rule) which also holds frames while paused and lets exactly one video
 * frame through for a step. Position = the anchor (seek target, refined by the device's own clock when it lands
 * near it) + content received since, by the device's timestamps.
 */
export class DevicePlayback {
  speed: number;
  /** the speed the device was last told (a speed chosen while paused goes with the next PLAY) */
  private deviceSpeed = 1;
  paused = false;
  ended?: DeviceEnd;
  private dialog?: MediaDialog;
  /** t= start of the current dialog (whole seconds): npt is counted from here */
  private fromMs: number;
  private cseq = 1;
  /** position of the anchor frame (set when a mark lands) */
  private baseMs: number;
  /** a seek (or the start) waits for its anchor keyframe */
  private pendingTarget?: number;
  private lastPosition: number;
  /** frames are expected from here on (a resume or seek restarts the stall clock) */
  private activeSince = Date.now();
  private watch?: NodeJS.Timeout;
  private busy: Promise<unknown> = Promise.resolve();
  onEnded: (why: DeviceEnd) => void = () => undefined;

  constructor(
    private readonly d: DevicePlaybackDeps,
    readonly ref: StreamRef,
    readonly deviceId: string,
    readonly startMs: number,
    readonly endMs: number,
    speed: number,
  ) {
    this.speed = speed;
    this.fromMs = startMs;
    this.baseMs = startMs;
    this.lastPosition = startMs;
  }

  get key(): string {
    return this.ref.key;
  }

  get callId(): string | undefined {
    return this.dialog?.callId;
  }

  /** INVITE from `startMs`, wait for the first picture, then ask for the speed. */
  async start(): Promise<void> {
    await this.invite(this.startMs);
    try {
      await this.d.media.waitLive(this.key, this.d.firstFrameTimeoutMs);
    } catch (e) {
      await this.close('no video');
      throw e;
    }
    this.watch = setInterval(() => void this.checkStall(), 1000);
    this.watch.unref?.();
  }

  private async invite(fromMs: number): Promise<void> {
    // t= is in whole seconds: the device's npt 0 and its first frame are at the second
    this.fromMs = Math.floor(fromMs / 1000) * 1000;
    this.pendingTarget = this.fromMs;
    this.ended = undefined;
    this.activeSince = Date.now();
    const dialog = await inviteHistory(this.d, {
      ref: this.ref,
      deviceId: this.deviceId,
      channelId: this.ref.channelId,
      subject: 'Playback',
      fromMs,
      toMs: this.endMs,
      onBye: (dl) => {
        if (this.dialog?.callId !== dl.callId) return;
        this.dialog = undefined;
        void this.finish('the device ended the playback (BYE)', false);
      },
      onMediaStatus: (dl, t) => {
        if (this.dialog?.callId !== dl.callId) return;
        if (t === MEDIA_STATUS_END_OF_FILE) void this.finish('end of the recording (MediaStatus 121)', true);
      },
    });
    this.dialog = dialog;
    this.deviceSpeed = 1; // a device plays a new dialog at 1× until told otherwise
    // paused (a seek after the end): hold, but let the landing picture through
    if (this.paused) await this.d.media.retime(this.key, 'step');
    if (this.speed !== 1) {
      await this.d.media.setPlaybackScale(this.key, this.speed);
      await this.play().catch((e) => this.d.log.warn({ stream: this.key, err: (e as Error).message }, 'device refused the playback speed'));
    }
  }

  /** PLAY with the speed when the device does not have it yet, and a Range when given. */
  private async play(range?: MansrtspRequest['range']): Promise<void> {
    const scale = this.speed !== this.deviceSpeed ? this.speed : undefined;
    if (scale === undefined && !range) return;
    await this.info({ method: 'PLAY', ...(scale !== undefined ? { scale } : {}), ...(range ? { range } : {}) });
    this.deviceSpeed = this.speed;
  }

  private async info(r: Omit<MansrtspRequest, 'cseq'>): Promise<void> {
    if (!this.dialog) throw new AppError('PLAYBACK_NOT_FOUND', 'the device playback has ended (录像回放已结束)');
    await this.d.gb.invites.info(this.dialog.callId, buildMansrtsp({ ...r, cseq: this.cseq++ }));
  }

  /** The device finished (121), hung up (BYE) or stopped sending: the stream stays for its viewers until they leave. */
  private async finish(reason: string, bye: boolean): Promise<void> {
    if (this.ended) return;
    this.lastPosition = await this.position().catch(() => this.lastPosition);
    this.ended = { reason, at: Date.now() };
    const d = this.dialog;
    this.dialog = undefined;
    if (d && bye) await this.d.gb.invites.bye(d.callId).catch(() => undefined);
    await this.d.media.stopReceive(this.key).catch(() => undefined);
    this.d.log.info({ stream: this.key, reason, position: new Date(this.lastPosition).toISOString() }, 'device playback ended');
    this.onEnded(this.ended);
  }

  private async checkStall(): Promise<void> {
    if (this.paused || this.ended || !this.dialog) return;
    const rt = await this.d.media.retime(this.key);
    const last = Math.max(rt?.lastInAt ?? 0, this.activeSince);
    if (Date.now() - last > this.d.stallMs) await this.finish(`the device stopped sending (no video for ${Math.round(this.d.stallMs / 1000)} s)`, true);
  }

  private async position(rt?: RetimeState): Promise<number> {
    if (this.ended) return this.lastPosition;
    const r = rt ?? (await this.d.media.retime(this.key));
    if (!r || !r.anchored) return this.pendingTarget ?? this.lastPosition;
    if (this.pendingTarget !== undefined) {
      const target = this.pendingTarget;
      this.pendingTarget = undefined;
      // the device's clock puts its first frame after a seek at fromMs + offset; trusted when close to the target
      const own = r.anchorOffsetMs === undefined ? undefined : this.fromMs + r.anchorOffsetMs;
      this.baseMs = own !== undefined && own >= target - LAND_BEFORE_MS && own <= target + LAND_AFTER_MS ? own : target;
    }
    this.lastPosition = Math.min(this.endMs, Math.max(this.startMs, this.baseMs + r.contentMs));
    return this.lastPosition;
  }

  async state(): Promise<PlaybackState & { source: 'device'; endReason?: string }> {
    const positionMs = await this.position();
    return { positionMs, speed: this.speed, paused: this.paused, ended: !!this.ended, startMs: this.startMs, endMs: this.endMs, source: 'device', ...(this.ended ? { endReason: this.ended.reason } : {}) };
  }

  /** Controls run one at a time (a drag sends many seeks; each INFO waits for the device's answer). */
  control(a: PlaybackAction): Promise<PlaybackState> {
    const run = this.busy.then(() => this.apply(a));
    this.busy = run.catch(() => undefined);
    return run;
  }

  private async apply(a: PlaybackAction): Promise<PlaybackState> {
    const key = this.key;
    const media = this.d.media;
    switch (a.action) {
      case 'pause':
        if (this.paused || this.ended) break;
        await media.retime(key, 'hold');
        await this.info({ method: 'PAUSE', pauseTime: 'now' });
        this.paused = true;
        break;
      case 'resume':
        if (!this.paused) break;
        this.paused = false;
        await media.retime(key, 'release');
        if (this.ended) break;
        this.activeSince = Date.now();
        await this.play({ from: 'now' });
        break;
      case 'speed':
        await this.position(); // settle the anchor before the map changes
        this.speed = a.speed;
        if (this.ended) break;
        await media.setPlaybackScale(key, a.speed);
        if (!this.paused) await this.play();
        break;
      case 'seek': {
        const target = Math.min(Math.max(a.time, this.startMs), Math.max(this.startMs, this.endMs - 1000));
        if (this.ended) {
          // the dialog is over: a new INVITE from the target (the stream and its viewers stay)
          await this.invite(target);
          if (this.paused) await this.land();
          break;
        }
        await media.retime(key, 'mark');
        this.pendingTarget = target;
        this.lastPosition = target;
        this.activeSince = Date.now();
        if (this.paused) await media.retime(key, 'step');
        await this.play({ from: (target - this.fromMs) / 1000 });
        if (this.paused) await this.land();
        break;
      }
      case 'step':
        if (a.direction === 'backward') throw new AppError('UNSUPPORTED_BY_DEVICE', 'a device recording steps forward only: GB/T 28181 devices can seek but cannot send the previous frame (单帧后退仅支持平台录像)');
        if (this.ended) break;
        if (!this.paused) {
          await media.retime(key, 'hold');
          await this.info({ method: 'PAUSE', pauseTime: 'now' });
          this.paused = true;
        }
        if ((await media.retime(key, 'step'))?.stepPending) {
          // nothing held: let the device play until one video frame came through, then pause it again
          this.activeSince = Date.now();
          await this.play({ from: 'now' });
          await this.land();
        }
        break;
    }
    return this.state();
  }

  /** While paused: wait until the pending step/seek frame passed, then pause the device again. */
  private async land(): Promise<void> {
    const until = Date.now() + STEP_WAIT_MS;
    while (Date.now() < until) {
      const rt = await this.d.media.retime(this.key);
      if (!rt || !rt.stepPending) break;
      await new Promise((r) => setTimeout(r, 15));
    }
    await this.d.media.retime(this.key, 'hold');
    await this.info({ method: 'PAUSE', pauseTime: 'now' }).catch((e) => {
      if (!isAppError(e) || e.code !== 'PLAYBACK_NOT_FOUND') throw e;
    });
  }

  async close(reason: string): Promise<void> {
    clearInterval(this.watch);
    const d = this.dialog;
    this.dialog = undefined;
    if (!this.ended) this.ended = { reason, at: Date.now() };
    if (d) await this.d.gb.invites.bye(d.callId).catch(() => undefined);
    await this.d.media.closeStream(this.key, reason).catch(() => undefined);
  }
}

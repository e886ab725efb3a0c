import type { Principal } from '../../auth/access.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { Limiter } from '../../core/limiter.js';
import type { Logger } from '../../core/logger.js';
import { hasTool } from '../../core/tools.js';
import type { LiveService } from '../../live/live-service.js';
import type { Store } from '../../store/index.js';
import type { Channel } from '../../store/repos/channels.js';
import { runPictureCheck } from './picture-check.js';
import { QualityStore, type StoredCheck } from './quality-store.js';

export interface QualitySettings {
  /** seconds of video each picture check reads */
  seconds: number;
  /** checks running at once (each is one ffmpeg decoding the stream) */
  concurrency: number;
}

/**
 * Video quality diagnosis (R12): measured parameters per channel come from the media core (codec, size, frame rate,
 * bitrate, GOP on the channel row); picture checks read a few seconds of the channel's live video from the
 * platform's own HTTP-FLV output with a signed URL (so it works wherever the stream's media node is) and run ffmpeg's
 * detectors on it (picture-check.ts). Results are kept with their time and who asked.
 */
export class QualityService {
  readonly store: QualityStore;
  private readonly limiter: Limiter;
  private ffmpeg?: boolean;

  constructor(
    private readonly d: { store: Store; live?: LiveService; clock: Clock; log: Logger; settings: QualitySettings; ffmpegBin?: string },
  ) {
    this.store = new QualityStore(d.store.database.db);
    this.limiter = new Limiter(Math.max(1, d.settings.concurrency));
  }

  get available(): boolean {
    this.ffmpeg ??= hasTool(this.d.ffmpegBin ?? 'ffmpeg');
    return this.ffmpeg;
  }

  /**
   * Picture check of a channel for a principal allowed to view it: starts (or joins) its live video, reads
   * `seconds` of HTTP-FLV from the media output of the node holding the stream (`mediaBase(nodeId)` →
   * `http://host:port`) and stores the result.
   */
  async check(p: Principal, ch: Channel, mediaBase: (nodeId: string) => Promise<string>): Promise<StoredCheck> {
    if (!this.available) throw new AppError('FEATURE_UNAVAILABLE', 'picture checks need ffmpeg on this server (apt-get install ffmpeg); measured parameters are still listed (视频画面诊断需要 ffmpeg)');
    if (!this.d.live) throw new AppError('FEATURE_UNAVAILABLE', 'live video is not running on this node');
    const live = this.d.live;
    if (this.limiter.waiting >= 8) throw new AppError('MEDIA_BUSY', 'too many picture checks waiting; try again shortly');
    return this.limiter.run(async () => {
      const g = await live.open(p, ch, 'main');
      const url = `${await mediaBase(g.stream.nodeId)}/media/${g.path}.flv?token=${encodeURIComponent(g.token)}`;
      const seconds = this.d.settings.seconds;
      const t0 = Date.now();
      const r = await runPictureCheck(url, { seconds, timeoutMs: seconds * 1000 + 15_000, bin: this.d.ffmpegBin });
      this.d.log.info({ channel: ch.id, flags: r.flags, frames: r.frames, ms: Date.now() - t0 }, 'picture check');
      return this.store.addCheck(ch.id, this.d.clock.now().toISOString(), p.username, r);
    });
  }
}

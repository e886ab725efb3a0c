import type { Clock } from '../../core/clock.js';
import { isAppError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { LiveService } from '../../live/live-service.js';
import { liveKey, type MediaNode } from '../../media/node.js';
import type { Store } from '../../store/index.js';
import { ALL_CHANNELS } from '../../store/scope.js';
import type { AvailabilityAccountant } from './accountant.js';

export interface ProbeSettings {
  /** probes running at once (0 = probing off) */
  concurrency: number;
  /** a channel is probed at most once per this many ms (platform clock) */
  intervalMs: number;
}

export interface ProbeOutcome {
  channelId: string;
  /** ok: first frame arrived; failed: the device/source gave no picture; skipped: our side could not tell */
  result: 'ok' | 'failed' | 'skipped';
  detail?: string;
  ms: number;
}

/** channels looked at per round at most when few are due (the next round goes on from there) */
const SCAN_PER_ROUND = 20_000;

/** Errors that say nothing about the camera (our media side is busy or away): the probe is not counted. */
const INCONCLUSIVE = new Set(['MEDIA_BUSY', 'MEDIA_NO_PORT', 'FEATURE_UNAVAILABLE', 'NO_MEDIA_NODE', 'NODE_UNAVAILABLE', 'CLUSTER_UNAVAILABLE', 'DEVICE_OFFLINE', 'NOT_FOUND', 'CHANNEL_NOT_PUBLISHING']);

/**
 * The rotating probe (R15): asks live video for one channel at a time like an operator would (LiveService: INVITE,
 * first frame), counts a first frame as "delivering video", and hangs up at once unless someone started watching
 * meanwhile. At most `concurrency` probes run; a channel is visited at most once per `intervalMs`; channels whose
 * delivery is unknown (just came online) go first, then the longest unvisited. Channels with a stream already
 * running are not probed: the stream is the evidence.
 */
export class AvailabilityProber {
  private readonly running = new Set<string>();
  private readonly lastProbe = new Map<string, number>();
  /** where the round robin over the accountant's channels stands (a live Map iterator: new channels join its end) */
  private cursor?: IterableIterator<string>;
  private stopped = false;

  constructor(
    private readonly d: { store: Store; live: LiveService; media: MediaNode; accountant: AvailabilityAccountant; clock: Clock; log: Logger; settings: ProbeSettings },
  ) {}

  get active(): number {
    return this.running.size;
  }

  /** Starts probes for the free slots; resolves when those probes have finished (the timer does not wait). */
  async runOnce(): Promise<ProbeOutcome[]> {
    const { concurrency, intervalMs } = this.d.settings;
    const free = concurrency - this.running.size;
    if (this.stopped || free <= 0) return [];
    const now = this.d.clock.now().getTime();
    // Unknown first (oldest first), then round robin over every channel, which visits the longest unvisited first.
    // Nothing here is a pass over all 100,000 channels: a full scan and sort every 10 s cost ~4 % of a core.
    const acc = this.d.accountant;
    const due: string[] = [];
    const eligible = (id: string) => !this.running.has(id) && !due.includes(id) && acc.isCandidate(id) && now - (this.lastProbe.get(id) ?? -Infinity) >= intervalMs;
    for (const id of acc.takeUnknown()) {
      if (due.length >= free) break;
      if (!acc.isCandidate(id)) acc.dropUnknown(id);
      else if (eligible(id)) {
        due.push(id);
        // picked: an inconclusive probe leaves it unknown, and the round robin comes back to it
        acc.dropUnknown(id);
      }
    }
    for (let looked = 0, limit = Math.min(acc.channelCount, SCAN_PER_ROUND); due.length < free && looked < limit; looked++) {
      let r = this.cursor?.next();
      if (!r || r.done) {
        this.cursor = acc.channelIds();
        r = this.cursor.next();
        if (r.done) break;
      }
      if (eligible(r.value)) due.push(r.value);
    }
    return Promise.all(due.map((id) => this.probe(id)));
  }

  /** One probe of one channel (also used on demand). */
  async probe(channelId: string): Promise<ProbeOutcome> {
    const t0 = Date.now();
    this.running.add(channelId);
    this.lastProbe.set(channelId, this.d.clock.now().getTime());
    const key = liveKey(channelId, 'main');
    let started = false;
    try {
      const ch = await this.d.store.channels.get(channelId, ALL_CHANNELS);
      if (!ch) return { channelId, result: 'skipped', detail: 'channel deleted', ms: Date.now() - t0 };
      if (await this.d.media.stream(key)) return { channelId, result: 'skipped', detail: 'stream already running', ms: Date.now() - t0 };
      started = true;
      const { info } = await this.d.live.openStream(ch, 'main');
      const ok = info.state === 'live';
      if (!this.stopped) await this.d.accountant.recordProbe(channelId, ok);
      return { channelId, result: ok ? 'ok' : 'failed', detail: `${info.codec ?? '?'} ${info.width ?? '?'}x${info.height ?? '?'}`, ms: Date.now() - t0 };
    } catch (e) {
      const code = isAppError(e) ? e.code : 'INTERNAL';
      const detail = `${code}: ${(e as Error).message}`;
      if (INCONCLUSIVE.has(code)) return { channelId, result: 'skipped', detail, ms: Date.now() - t0 };
      if (!this.stopped) await this.d.accountant.recordProbe(channelId, false);
      this.d.log.info({ channel: channelId, err: detail }, 'availability probe: no picture');
      return { channelId, result: 'failed', detail, ms: Date.now() - t0 };
    } finally {
      // do not hold the stream: hang up unless a viewer joined while we waited for the first frame
      if (started) await this.d.live.release(key, t0, 'availability probe done').catch(() => undefined);
      this.running.delete(channelId);
    }
  }

  stop(): void {
    this.stopped = true;
  }
}

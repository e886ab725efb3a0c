import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { MediaNode } from '../../media/node.js';
import type { Store } from '../../store/index.js';
import type { AvailabilityDelta, AvailabilityStore } from './availability-store.js';
import { localDay, splitByDay } from './days.js';

/** What the accountant knows of a channel between two ticks. */
export interface ChannelPresence {
  deviceId: string;
  orgId: string | null;
  sourceType: string;
  online: boolean;
}

/**
 * Whether a channel delivers video: `ok` (a first frame arrived / a running stream has fresh frames), `bad` (a
 * probe got no picture, a running stream went silent), `unknown` (not seen since it came online).
 */
export type VideoVerdict = 'ok' | 'bad' | 'unknown';

/** A running stream counts as delivering while its newest frame is younger than this (media node wall clock). */
const FRESH_MS = 10_000;
/** channels read per query when taking presence */
const PRESENCE_PAGE = 2_000;

/**
 * Books time to channel availability (完好率, R15): between two ticks every channel is observed, online if its
 * device and itself are online, and *available* when online and its last video evidence says it delivers. Evidence
 * comes from the streams already running (free) and from the rotating probe (a short INVITE, `recordProbe`).
 *
 * Time a channel spends online before any evidence (it just came online, nothing probed it yet) is held apart and
 * given to the first verdict: a working camera is not counted down for the minutes the probe needs to reach it, and
 * one that sends no picture is not counted up. All accounting uses the injected clock; stream freshness uses the
 * media node's own clock (its `lastFrameAt`), which is the clock that stamped it.
 */
export class AvailabilityAccountant {
  private channels = new Map<string, ChannelPresence>();
  private readonly verdicts = new Map<string, VideoVerdict>();
  /** online time without evidence yet, per channel and day */
  private readonly pending = new Map<string, Map<string, number>>();
  private readonly deltas = new Map<string, AvailabilityDelta>();
  /** channels with a live stream running at the last tick (the probe leaves them alone) */
  private streaming = new Set<string>();
  private lastAt?: number;
  private chain: Promise<void> = Promise.resolve();
  private queued = false;

  constructor(
    private readonly d: { store: Store; repo: AvailabilityStore; media?: MediaNode; clock: Clock; tz: string; log: Logger },
  ) {}

  /** Books the time since the last tick and reads the new state. Serialised; bursts of calls share one run. */
  tick(): Promise<void> {
    if (this.queued) return this.chain;
    this.queued = true;
    this.chain = this.chain.then(async () => {
      this.queued = false;
      await this.run().catch((err) => this.d.log.error({ err }, 'availability tick failed'));
    });
    return this.chain;
  }

  private async run(): Promise<void> {
    const now = this.d.clock.now().getTime();
    if (this.lastAt !== undefined && now > this.lastAt) this.book(this.lastAt, now);
    this.lastAt = Math.max(now, this.lastAt ?? now);
    const next = await this.readPresence();
    for (const [id, p] of next) {
      const before = this.channels.get(id);
      // back online (or first seen online): what it delivers now is unknown until evidence arrives
      if (p.online && !before?.online) this.setVerdict(id, 'unknown');
      if (!p.online && before?.online) this.setVerdict(id, 'unknown');
    }
    for (const id of this.channels.keys()) {
      if (!next.has(id)) {
        this.verdicts.delete(id);
        this.pending.delete(id);
      }
    }
    this.channels = next;
    await this.streamEvidence();
  }

  private book(a: number, b: number): void {
    const parts = splitByDay(a, b, this.d.tz);
    for (const [id, p] of this.channels) {
      const v = this.verdicts.get(id) ?? 'unknown';
      for (const { day, ms } of parts) {
        const delta = this.delta(id, day, p);
        delta.observedMs += ms;
        if (!p.online) continue;
        delta.onlineMs += ms;
        if (v === 'ok') delta.videoMs += ms;
        else if (v === 'unknown') {
          let m = this.pending.get(id);
          if (!m) this.pending.set(id, (m = new Map()));
          m.set(day, (m.get(day) ?? 0) + ms);
        }
      }
    }
  }

  private delta(id: string, day: string, p: { deviceId: string | null; orgId: string | null }): AvailabilityDelta {
    const k = `${id}|${day}`;
    let x = this.deltas.get(k);
    if (!x) this.deltas.set(k, (x = { channelId: id, day, deviceId: p.deviceId, orgId: p.orgId, onlineMs: 0, videoMs: 0, observedMs: 0, probesOk: 0, probesFailed: 0 }));
    return x;
  }

  /** New evidence: an `ok` or `bad` verdict settles the online time held while it was unknown. */
  private setVerdict(id: string, v: VideoVerdict): void {
    const held = this.pending.get(id);
    if (held && v !== 'unknown') {
      const p = this.channels.get(id);
      if (v === 'ok' && p) for (const [day, ms] of held) this.delta(id, day, p).videoMs += ms;
      this.pending.delete(id);
    }
    if (v === 'unknown') this.pending.delete(id);
    this.verdicts.set(id, v);
  }

  /**
   * Channel online = channel online and, for GB/T 28181 channels, its device registered (§9.6 keepalives). Read in
   * pages of 2,000 with a yield between them: 100,000 channels in one synchronous SQLite read held the event loop
   * for over a second every tick.
   */
  private async readPresence(): Promise<Map<string, ChannelPresence>> {
    const out = new Map<string, ChannelPresence>();
    let after = '';
    for (;;) {
      const rows = await this.d.store.database.db
        .selectFrom('channels')
        .leftJoin('devices', 'devices.id', 'channels.device_id')
        .select(['channels.id', 'channels.device_id', 'channels.org_id', 'channels.online', 'channels.source_type', 'channels.source_url', 'devices.online as device_online', 'devices.source as device_source'])
        .where('channels.id', '>', after)
        .orderBy('channels.id')
        .limit(PRESENCE_PAGE)
        .execute();
      for (const r of rows) {
        const sourceType = r.source_type ?? (r.source_url ? 'rtsp' : 'gb');
        const deviceOk = sourceType !== 'gb' || r.device_source !== 'gb' || Boolean(r.device_online);
        out.set(r.id, { deviceId: r.device_id, orgId: r.org_id, sourceType, online: Boolean(r.online) && deviceOk });
      }
      if (rows.length < PRESENCE_PAGE) return out;
      after = rows[rows.length - 1].id;
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Running live streams are free evidence: fresh frames → ok; a stream gone silent → bad. */
  private async streamEvidence(): Promise<void> {
    if (!this.d.media) return;
    const streams = await this.d.media.streams().catch(() => []);
    const streaming = new Set<string>();
    const wall = Date.now();
    for (const s of streams) {
      if (s.kind !== 'live' || !this.channels.has(s.channelId)) continue;
      streaming.add(s.channelId);
      if (s.state !== 'live' || !this.channels.get(s.channelId)?.online) continue;
      const last = s.lastFrameAt ? Date.parse(s.lastFrameAt) : 0;
      const fresh = wall - last < FRESH_MS;
      // one fresh variant is enough; a silent one only counts when no other variant of the channel is fresh
      if (fresh) this.setVerdict(s.channelId, 'ok');
      else if (!streams.some((o) => o.channelId === s.channelId && o.kind === 'live' && o.lastFrameAt && wall - Date.parse(o.lastFrameAt) < FRESH_MS)) this.setVerdict(s.channelId, 'bad');
    }
    this.streaming = streaming;
  }

  /** A probe finished: count it on today's row and take its verdict (the time before it was booked by a tick). */
  async recordProbe(channelId: string, ok: boolean): Promise<void> {
    await this.tick();
    const p = this.channels.get(channelId);
    if (!p) return;
    const d = this.delta(channelId, localDay(this.d.clock.now().getTime(), this.d.tz), p);
    if (ok) d.probesOk++;
    else d.probesFailed++;
    if (p.online) this.setVerdict(channelId, ok ? 'ok' : 'bad');
  }

  /** Writes the booked time; on failure it stays in memory for the next flush. */
  async flush(): Promise<void> {
    if (!this.deltas.size) return;
    const batch = [...this.deltas.values()];
    this.deltas.clear();
    try {
      await this.d.repo.add(batch, this.d.clock.now().toISOString());
    } catch (err) {
      for (const x of batch) {
        const y = this.delta(x.channelId, x.day, x);
        y.observedMs += x.observedMs;
        y.onlineMs += x.onlineMs;
        y.videoMs += x.videoMs;
        y.probesOk += x.probesOk;
        y.probesFailed += x.probesFailed;
      }
      throw err;
    }
  }

  /** Channels the probe may visit: online, not streaming, not RTMP (a publisher is either there or not). */
  probeCandidates(): Array<{ id: string; verdict: VideoVerdict }> {
    const out: Array<{ id: string; verdict: VideoVerdict }> = [];
    for (const [id, p] of this.channels) {
      if (!p.online || p.sourceType === 'rtmp' || this.streaming.has(id)) continue;
      out.push({ id, verdict: this.verdicts.get(id) ?? 'unknown' });
    }
    return out;
  }

  verdict(channelId: string): VideoVerdict {
    return this.verdicts.get(channelId) ?? 'unknown';
  }

  isStreaming(channelId: string): boolean {
    return this.streaming.has(channelId);
  }
}

import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { MediaNode } from '../../media/node.js';
import type { Store } from '../../store/index.js';
import type { AvailabilityDelta, AvailabilityStore } from './availability-store.js';
import { localDay, splitByDay } from './days.js';
import { yieldToLoop } from '../../core/wait.js';

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
/** channels handled between two yields in passes over all of them (~5 ms each) */
const SLICE = 2_000;

/** A channel as tracked: its presence and the instant up to which its time is booked. */
interface Tracked extends ChannelPresence {
  id: string;
  since: number;
}

type PresenceRow = { id: string; device_id: string; org_id: string | null; online: number | boolean | null; source_type: string | null; source_url: string | null; device_online: number | boolean | null; device_source: string | null };

/**
 * Books time to channel availability (完好率, R15): every channel is observed, online if its device and itself are
 * online, and *available* when online and its last video evidence says it delivers. Evidence comes from the streams
 * already running (free) and from the rotating probe (a short INVITE, `recordProbe`).
 *
 * Booking is lazy, per channel: a channel's time is booked (from `since` to now, with the state it had) only when
 * that state changes or when the books are written. Nothing here is O(channels) per event or per probe: with 100,000
 * channels, a tick per probe re-read and re-booked all of them every few seconds (measured: 20–25 % of a core with
 * 20,000 devices doing nothing but keepalives).
 *
 * Time a channel spends online before any evidence (it just came online, nothing probed it yet) is held apart and
 * given to the first verdict: a working camera is not counted down for the minutes the probe needs to reach it, and
 * one that sends no picture is not counted up. All accounting uses the injected clock; stream freshness uses the
 * media node's own clock (its `lastFrameAt`), which is the clock that stamped it.
 */
export class AvailabilityAccountant {
  private channels = new Map<string, Tracked>();
  private readonly verdicts = new Map<string, VideoVerdict>();
  /** online time without evidence yet, per channel and day */
  private readonly pending = new Map<string, Map<string, number>>();
  private readonly deltas = new Map<string, AvailabilityDelta>();
  /** channels with a live stream running at the last look (the probe leaves them alone) */
  private streaming = new Set<string>();
  /** channels whose verdict turned unknown while online, in that order (for the probe; a Set keeps it small and ordered) */
  private readonly unknownQueue = new Set<string>();
  /** splitByDay answers of the current pass: after a flush most channels share the same `since` */
  private splits = new Map<string, Array<{ day: string; ms: number }>>();
  private chain: Promise<void> = Promise.resolve();
  private queued = false;

  constructor(
    private readonly d: { store: Store; repo: AvailabilityStore; media?: MediaNode; clock: Clock; tz: string; log: Logger },
  ) {}

  /** Reads every channel's presence and the running streams; changes book the time before them. Serialised. */
  tick(): Promise<void> {
    if (this.queued) return this.chain;
    this.queued = true;
    this.chain = this.chain.then(async () => {
      this.queued = false;
      await this.run().catch((err) => this.d.log.error({ err }, 'availability tick failed'));
    });
    return this.chain;
  }

  private now(): number {
    return this.d.clock.now().getTime();
  }

  private async run(): Promise<void> {
    const next = await this.readPresence();
    const now = this.now();
    let n = 0;
    for (const [id, p] of next) {
      this.adopt(id, p, now);
      if (++n % SLICE === 0) await yieldToLoop();
    }
    for (const id of [...this.channels.keys()]) if (!next.has(id)) this.forget(id, now);
    await this.streamEvidence();
  }

  /**
   * Re-reads only the channels of these devices and these channels (presence events name them): a device coming
   * online costs a read of its own channels, not of all 100,000. Serialised with the ticks.
   */
  refresh(deviceIds: string[], channelIds: string[]): Promise<void> {
    this.chain = this.chain.then(async () => {
      await this.runPartial(deviceIds, channelIds).catch((err) => this.d.log.error({ err }, 'availability refresh failed'));
    });
    return this.chain;
  }

  private async runPartial(deviceIds: string[], channelIds: string[]): Promise<void> {
    const rows: PresenceRow[] = [];
    for (let i = 0; i < deviceIds.length; i += 500) rows.push(...(await this.presenceQuery().where('channels.device_id', 'in', deviceIds.slice(i, i + 500)).execute()));
    for (let i = 0; i < channelIds.length; i += 500) rows.push(...(await this.presenceQuery().where('channels.id', 'in', channelIds.slice(i, i + 500)).execute()));
    const now = this.now();
    const seen = new Set<string>();
    for (const r of rows) {
      seen.add(r.id);
      this.adopt(r.id, presenceOf(r), now);
    }
    const devices = new Set(deviceIds);
    const named = new Set(channelIds);
    for (const c of [...this.channels.values()]) if (!seen.has(c.id) && (named.has(c.id) || devices.has(c.deviceId))) this.forget(c.id, now);
  }

  /** A channel that is gone: its time up to now is booked, then it is no longer observed. */
  private forget(id: string, now: number): void {
    const c = this.channels.get(id);
    if (c) this.accrue(c, now);
    this.channels.delete(id);
    this.verdicts.delete(id);
    this.pending.delete(id);
    this.unknownQueue.delete(id);
  }

  /** Only the running streams (cheap: no database read), serialised with the ticks. */
  evidence(): Promise<void> {
    this.chain = this.chain.then(() => this.streamEvidence().catch((err) => this.d.log.error({ err }, 'availability evidence failed')));
    return this.chain;
  }

  /** A channel's presence as just read: the time before a change is booked with the state it had. */
  private adopt(id: string, p: ChannelPresence, now: number): void {
    const before = this.channels.get(id);
    if (!before) {
      this.channels.set(id, { ...p, id, since: now });
      if (p.online) this.setVerdict(id, 'unknown');
      return;
    }
    if (before.online === p.online && before.orgId === p.orgId && before.deviceId === p.deviceId && before.sourceType === p.sourceType) return;
    this.accrue(before, now);
    const flipped = before.online !== p.online;
    Object.assign(before, p);
    // back online (or gone offline): what it delivers is unknown until evidence arrives
    if (flipped) this.setVerdict(id, 'unknown');
  }

  /** Books [since, t) of one channel with its current presence and verdict. */
  private accrue(c: Tracked, t: number): void {
    const id = c.id;
    if (!(t > c.since)) return;
    const key = `${c.since}-${t}`;
    let parts = this.splits.get(key);
    if (!parts) {
      if (this.splits.size > 1000) this.splits.clear();
      this.splits.set(key, (parts = splitByDay(c.since, t, this.d.tz)));
    }
    c.since = t;
    const v = this.verdicts.get(id) ?? 'unknown';
    for (const { day, ms } of parts) {
      const delta = this.delta(id, day, c);
      delta.observedMs += ms;
      if (!c.online) continue;
      delta.onlineMs += ms;
      if (v === 'ok') delta.videoMs += ms;
      else if (v === 'unknown') {
        let m = this.pending.get(id);
        if (!m) this.pending.set(id, (m = new Map()));
        m.set(day, (m.get(day) ?? 0) + ms);
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
    const c = this.channels.get(id);
    // the time up to this moment belongs to the verdict it had
    if (c) this.accrue(c, this.now());
    const held = this.pending.get(id);
    if (held && v !== 'unknown') {
      if (v === 'ok' && c) for (const [day, ms] of held) this.delta(id, day, c).videoMs += ms;
      this.pending.delete(id);
    }
    if (v === 'unknown') this.pending.delete(id);
    this.verdicts.set(id, v);
    if (v === 'unknown' && c?.online) this.unknownQueue.add(id);
    else this.unknownQueue.delete(id);
  }

  /**
   * Channel online = channel online and, for GB/T 28181 channels, its device registered (§9.6 keepalives). Read in
   * pages of 2,000 with a yield between them: 100,000 channels in one synchronous SQLite read held the event loop
   * for over a second.
   */
  private async readPresence(): Promise<Map<string, ChannelPresence>> {
    const out = new Map<string, ChannelPresence>();
    let after = '';
    for (;;) {
      const rows = await this.presenceQuery().where('channels.id', '>', after).orderBy('channels.id').limit(PRESENCE_PAGE).execute();
      for (const r of rows) out.set(r.id, presenceOf(r));
      if (rows.length < PRESENCE_PAGE) return out;
      after = rows[rows.length - 1].id;
      await yieldToLoop();
    }
  }

  private presenceQuery() {
    return this.d.store.database.db
      .selectFrom('channels')
      .leftJoin('devices', 'devices.id', 'channels.device_id')
      .select(['channels.id', 'channels.device_id', 'channels.org_id', 'channels.online', 'channels.source_type', 'channels.source_url', 'devices.online as device_online', 'devices.source as device_source']);
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

  /**
   * A probe finished: count it on today's row and take its verdict. Only this channel's presence is re-read (it
   * may have come online since the last tick); a full tick per probe was the accountant's largest cost.
   */
  async recordProbe(channelId: string, ok: boolean): Promise<void> {
    await this.chain;
    const row = await this.presenceQuery().where('channels.id', '=', channelId).executeTakeFirst();
    if (!row) return;
    const now = this.now();
    this.adopt(channelId, presenceOf(row), now);
    const p = this.channels.get(channelId)!;
    const d = this.delta(channelId, localDay(now, this.d.tz), p);
    if (ok) d.probesOk++;
    else d.probesFailed++;
    if (p.online) this.setVerdict(channelId, ok ? 'ok' : 'bad');
  }

  /** Writes the booked time; on failure it stays in memory for the next flush. */
  async flush(): Promise<void> {
    await this.chain;
    // bring every channel's books up to now, a slice at a time (100,000 channels are ~100 ms of work)
    const now = this.now();
    let n = 0;
    for (const c of [...this.channels.values()]) {
      this.accrue(c, now);
      if (++n % SLICE === 0) await yieldToLoop();
    }
    this.splits.clear();
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

  /** Whether the probe may visit this channel: tracked, online, not streaming, not RTMP (a publisher is there or not). */
  isCandidate(id: string): boolean {
    const p = this.channels.get(id);
    return !!p && p.online && p.sourceType !== 'rtmp' && !this.streaming.has(id);
  }

  /** Channels whose delivery became unknown (came online, or back), oldest first; the probe takes them first. */
  takeUnknown(): IterableIterator<string> {
    return this.unknownQueue.keys();
  }

  /** The probe has looked at this unknown channel (or it no longer is one). */
  dropUnknown(id: string): void {
    this.unknownQueue.delete(id);
  }

  /** Every tracked channel id, in a stable cyclic order (the probe walks it round robin). */
  channelIds(): IterableIterator<string> {
    return this.channels.keys();
  }

  get channelCount(): number {
    return this.channels.size;
  }

  verdict(channelId: string): VideoVerdict {
    return this.verdicts.get(channelId) ?? 'unknown';
  }

  isStreaming(channelId: string): boolean {
    return this.streaming.has(channelId);
  }
}

function presenceOf(r: PresenceRow): ChannelPresence {
  const sourceType = r.source_type ?? (r.source_url ? 'rtsp' : 'gb');
  const deviceOk = sourceType !== 'gb' || r.device_source !== 'gb' || Boolean(r.device_online);
  return { deviceId: r.device_id, orgId: r.org_id, sourceType, online: Boolean(r.online) && deviceOk };
}

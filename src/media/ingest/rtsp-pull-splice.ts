import type { Frame } from '../../lib/av/frame.js';

type Track = 'video' | 'audio';

/** Held at most this long (90 kHz span) or this many frames while waiting for every track of a new session. */
const MAX_HOLD_SPAN = 90_000;
const MAX_HOLD_FRAMES = 100;
/** the steps Stream.rebase uses (src/stream/stream.ts): audio 20 ms, video the last frame interval */
const AUDIO_STEP = 1800;
const DEFAULT_VIDEO_STEP = 3600;

/**
 * Joins the sessions of one pull onto one time line. Each session's clock starts anew (SessionClock), so a new
 * session is shifted to continue where the last one stopped: one offset for all its tracks (A/V sync kept), chosen
 * so that every track's first frame comes at least one step after that track's last one. That needs the first frame
 * of every track, so the first frames of a reconnect are held (≤ 1 s or 100 frames) until each track has shown up.
 *
 * `onRestart` (the stream's sourceRestarted) is called before the first frame of every session. Stream.rebase then
 * re-bases on that frame's track alone and would let the other track step back a little (see the report); pushing
 * first the frame that decided the offset, with the step Stream uses, makes its re-base a no-op, and a per-track
 * floor keeps dts growing whatever happens.
 */
export class SessionSplicer {
  private readonly last: Partial<Record<Track, number>> = {};
  private videoStep = DEFAULT_VIDEO_STEP;
  private offset = 0;
  private held: Frame[] | undefined;
  private expected: Set<Track> = new Set();
  private started = false;

  constructor(
    private readonly out: (f: Frame) => void,
    private readonly onRestart: () => void,
  ) {}

  /** A new session with these tracks begins. */
  begin(tracks: readonly Track[]): void {
    this.flush();
    this.expected = new Set(tracks);
    this.started = false;
    this.held = this.last.video !== undefined || this.last.audio !== undefined ? [] : undefined;
  }

  push(f: Frame): void {
    if (!this.held) {
      if (!this.started) {
        this.started = true;
        this.onRestart();
      }
      this.emit(f);
      return;
    }
    this.held.push(f);
    const seen = new Set(this.held.map((h) => h.track));
    const span = Math.max(...this.held.map((h) => h.dts)) - Math.min(...this.held.map((h) => h.dts));
    if ([...this.expected].every((t) => seen.has(t)) || span > MAX_HOLD_SPAN || this.held.length >= MAX_HOLD_FRAMES) this.flush();
  }

  /** Lets held frames go (end of a session). */
  flush(): void {
    const held = this.held;
    this.held = undefined;
    if (!held?.length) return;
    const first: Partial<Record<Track, Frame>> = {};
    for (const f of held) first[f.track] ??= f;
    let binding: Frame | undefined;
    let offset = -Infinity;
    for (const t of ['video', 'audio'] as const) {
      const f = first[t];
      const last = this.last[t];
      if (!f || last === undefined) continue;
      const o = last + (t === 'video' ? this.videoStep : AUDIO_STEP) - f.dts;
      if (o > offset) {
        offset = o;
        binding = f;
      }
    }
    if (binding) this.offset = offset;
    this.started = true;
    this.onRestart();
    const lead = binding ?? held[0];
    this.emit(lead);
    for (const f of held) if (f !== lead) this.emit(f);
  }

  private emit(f: Frame): void {
    let dts = f.dts + this.offset;
    let pts = f.pts + this.offset;
    const last = this.last[f.track];
    if (last !== undefined && dts <= last) {
      dts = last + 1;
      if (pts < dts) pts = dts;
    }
    if (f.track === 'video' && last !== undefined && dts - last < 45_000) this.videoStep = dts - last;
    this.last[f.track] = dts;
    this.out(dts === f.dts && pts === f.pts ? f : ({ ...f, dts, pts } as Frame));
  }
}

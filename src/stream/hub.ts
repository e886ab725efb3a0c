import { EventEmitter } from 'node:events';
import { Stream, type StreamDescriptor, type StreamStats } from './stream.js';
import type { ReaderCloseReason, ReaderIdentity } from './sink.js';
import type { ReaderStats } from './stream.js';

export interface HubOptions {
  /** how long a stream with no reader is kept before `idle` is raised (the source is then stopped) */
  lingerMs: number;
  /** no frame for this long while live, or no first frame this long after start: `stalled` */
  stallMs: number;
  now?: () => number;
}

export interface HubEvents {
  /** no readers for lingerMs: the owner should stop the source and remove the stream */
  idle: [Stream];
  /** the source stopped sending */
  stalled: [Stream];
  opened: [Stream];
  removed: [Stream, string];
  'reader.open': [Stream, ReaderStats];
  'reader.close': [Stream, ReaderStats, ReaderCloseReason];
}

/** All streams of a media node by key. Watches for idle streams (linger) and stalled sources. */
export class Hub extends EventEmitter<HubEvents> {
  private readonly streams = new Map<string, Stream>();
  private readonly idleSince = new Map<string, number>();
  private readonly stallReported = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly opts: HubOptions) {
    super();
    this.setMaxListeners(0);
    this.now = opts.now ?? Date.now;
    this.timer = setInterval(() => this.sweep(), Math.min(1000, Math.max(50, Math.floor(opts.stallMs / 4))));
    this.timer.unref();
  }

  get(key: string): Stream | undefined {
    return this.streams.get(key);
  }

  /** Returns the running stream for the key or creates one (a stream outlives source restarts). */
  open(desc: StreamDescriptor): Stream {
    const existing = this.streams.get(desc.key);
    if (existing && !existing.ended) return existing;
    const s = new Stream(desc, this.now);
    this.streams.set(desc.key, s);
    this.idleSince.set(desc.key, this.now());
    s.on('readers', (n) => {
      if (n === 0) this.idleSince.set(desc.key, this.now());
      else this.idleSince.delete(desc.key);
    });
    s.on('reader.open', (r) => this.emit('reader.open', s, r));
    s.on('reader.close', (r, why) => this.emit('reader.close', s, r, why));
    this.emit('opened', s);
    return s;
  }

  remove(key: string, reason: string): void {
    const s = this.streams.get(key);
    if (!s) return;
    this.streams.delete(key);
    this.idleSince.delete(key);
    this.stallReported.delete(key);
    s.end(reason);
    this.emit('removed', s, reason);
  }

  /** Marks a stream busy so linger starts again (e.g. an API caller is about to connect). */
  touch(key: string): void {
    if (this.idleSince.has(key)) this.idleSince.set(key, this.now());
  }

  /** The source was restarted: forget a reported stall. */
  resetStall(key: string): void {
    this.stallReported.delete(key);
    this.streams.get(key)?.sourceRestarted();
  }

  list(): Stream[] {
    return [...this.streams.values()];
  }

  stats(): StreamStats[] {
    return this.list().map((s) => s.stats());
  }

  closeReaders(match: (id: ReaderIdentity) => boolean, reason: ReaderCloseReason): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.closeReaders(match, reason);
    return n;
  }

  private sweep(): void {
    const t = this.now();
    for (const [key, since] of this.idleSince) {
      const s = this.streams.get(key);
      if (s && t - since >= this.opts.lingerMs) {
        this.idleSince.set(key, Number.POSITIVE_INFINITY); // raise once; the owner removes it
        this.emit('idle', s);
      }
    }
    for (const s of this.streams.values()) {
      if (this.stallReported.has(s.key)) continue;
      const last = Math.max(s.lastFrameAt ?? 0, s.sourceSince);
      if (t - last >= this.opts.stallMs) {
        this.stallReported.add(s.key);
        this.emit('stalled', s);
      }
    }
  }

  close(): void {
    clearInterval(this.timer);
    for (const key of [...this.streams.keys()]) this.remove(key, 'node-stopping');
  }
}

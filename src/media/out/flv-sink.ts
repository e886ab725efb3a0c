import type { Frame, TrackParams } from '../../lib/av/frame.js';
import { FlvMuxer } from '../../lib/flv/index.js';
import type { ReaderCloseReason, Stream, StreamSink } from '../../stream/index.js';

/**
 * One FLV muxer per stream: each frame becomes one tag Buffer that every FLV reader of the stream writes
 * (1,000 viewers cost one mux, not 1,000). Tags are remembered per frame object, so the GOP-cache replay to a new
 * viewer reuses them too. FLV timestamps count from the stream's first frame; each reader's header is stamped with
 * the time of the first frame it gets.
 */
export class SharedFlv {
  // G.711 left out: browsers (MSE via mpegts.js) refuse FLV with G.711 audio; RTSP passes it through instead
  readonly muxer = new FlvMuxer({ g711: false });
  private readonly tags = new WeakMap<Frame, Buffer | null>();

  tagFor(f: Frame): Buffer | undefined {
    let t = this.tags.get(f);
    if (t === undefined) {
      t = this.muxer.tag(f) ?? null;
      this.tags.set(f, t);
    }
    return t ?? undefined;
  }
}

const shared = new WeakMap<Stream, SharedFlv>();

export function sharedFlvFor(s: Stream): SharedFlv {
  let m = shared.get(s);
  if (!m) {
    m = new SharedFlv();
    shared.set(s, m);
  }
  return m;
}

export interface ByteSink {
  write(b: Buffer): void;
  backlog(): number;
  end(reason: ReaderCloseReason): void;
}

/** A reader that writes FLV to an HTTP response or a WebSocket. */
export class FlvSink implements StreamSink {
  private params?: TrackParams;
  private headerSent = false;

  constructor(
    private readonly flv: SharedFlv,
    private readonly out: ByteSink,
  ) {}

  start(params: TrackParams): void {
    // Later calls (new SPS or resolution) need nothing here: the muxer puts a new sequence header before the next
    // key frame's tag, which mpegts.js and ffmpeg accept mid-stream.
    this.params = params;
  }

  write(frame: Frame): void {
    if (!this.headerSent) {
      // the tag first: it fixes the stream's FLV time origin on the very first frame
      const tag = this.flv.tagFor(frame);
      this.out.write(this.flv.muxer.header(this.params ?? {}, this.flv.muxer.timestamp(frame.dts)));
      this.headerSent = true;
      if (tag) this.out.write(tag);
      return;
    }
    const tag = this.flv.tagFor(frame);
    if (tag) this.out.write(tag);
  }

  backlog(): number {
    return this.out.backlog();
  }

  close(reason: ReaderCloseReason): void {
    this.out.end(reason);
  }
}

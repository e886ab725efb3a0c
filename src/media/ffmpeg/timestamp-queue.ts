/** A picture written to ffmpeg, waiting for its output. */
export interface FedPicture {
  seq: number;
  pts: number;
  key: boolean;
}

/**
 * The source timestamps of the pictures in ffmpeg, to give each output picture its source's time. ffmpeg outputs
 * pictures in presentation order (the rendition has no B-frames), so the queue is kept in pts order. With a picture
 * tag (picture-tag.ts) the match is exact and pictures the decoder dropped are skipped; without, output n takes the
 * n-th smallest pts (exact as long as the decoder drops nothing, which `-fps_mode passthrough` guarantees for
 * intact input).
 */
export class TimestampQueue {
  private q: FedPicture[] = [];
  /** pictures the decoder never output (skipped on a tag match) */
  lost = 0;

  push(p: FedPicture): void {
    let i = this.q.length;
    while (i > 0 && this.q[i - 1].pts > p.pts) i--; // B-frame sources: decode order ≠ presentation order
    if (i === this.q.length) this.q.push(p);
    else this.q.splice(i, 0, p);
  }

  /** The entry for the next output picture: by tag when given (and known), else the oldest. */
  take(seq?: number): FedPicture | undefined {
    if (seq !== undefined) {
      const i = this.q.findIndex((p) => p.seq === seq);
      if (i >= 0) {
        // output is in pts order: anything earlier still queued will never come out
        this.lost += i;
        const [p] = this.q.splice(0, i + 1).slice(-1);
        return p;
      }
    }
    return this.q.shift();
  }

  get length(): number {
    return this.q.length;
  }

  clear(): void {
    this.q = [];
  }
}

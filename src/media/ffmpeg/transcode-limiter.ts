/**
 * At most `max` transcoders on a node (each is a full decode + encode: ~0.3 core for 360p, ~1.5 cores for 1080p
 * with x264 veryfast). tryAcquire() never waits: a rendition either starts now or the viewer is told to use the
 * original stream.
 */
export class TranscodeLimiter {
  private used = 0;

  constructor(readonly max: number) {}

  tryAcquire(): boolean {
    if (this.used >= this.max) return false;
    this.used++;
    return true;
  }

  release(): void {
    if (this.used > 0) this.used--;
  }

  get inUse(): number {
    return this.used;
  }
}

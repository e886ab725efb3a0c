/**
 * At most `max` transcoders on a node (each is a full decode + encode, x264 veryfast, measured on an EPYC VM:
 * ~0.15 core for 360p H.265, ~0.75 core for 1080p H.264, ~1 core for 1080p H.265 at 25 fps). tryAcquire() never waits: a rendition
 * either starts now or the viewer is told to use the original stream.
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

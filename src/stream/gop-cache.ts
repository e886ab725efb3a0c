import type { Frame } from '../lib/av/frame.js';

/**
 * The frames since the last video keyframe, so a new viewer starts decoding at once instead of waiting up to a GOP
 * (the < 1 s first-frame goal). Bounded: a stream with absurd GOPs is cut at the limits and then cached again from
 * the next keyframe.
 */
export class GopCache {
  private frames: Frame[] = [];
  private bytes = 0;
  private hasKey = false;

  constructor(
    private readonly maxFrames = 600,
    private readonly maxBytes = 24 * 1024 * 1024,
  ) {}

  add(f: Frame, size: number): void {
    if (f.track === 'video' && f.key) {
      this.frames = [];
      this.bytes = 0;
      this.hasKey = true;
    }
    if (!this.hasKey) return; // audio before the first keyframe is useless to a new viewer
    if (this.frames.length >= this.maxFrames || this.bytes + size > this.maxBytes) {
      this.clear();
      return;
    }
    this.frames.push(f);
    this.bytes += size;
  }

  clear(): void {
    this.frames = [];
    this.bytes = 0;
    this.hasKey = false;
  }

  snapshot(): readonly Frame[] {
    return this.frames;
  }

  get size(): { frames: number; bytes: number } {
    return { frames: this.frames.length, bytes: this.bytes };
  }
}

import type { Channel } from '../../store/repos/channels.js';
/**
 * The video standard channels are measured against (R12; GB/T 28181-2016 §5.1.2 / GB 35114 practice for public
 * security video: 1080P, ≥ 25 fps, H.264 / H.265 / SVAC / MPEG-4).
 */
export const STANDARD = {
  /** 1920×1080 pixels (either orientation: a corridor-mode 1080×1920 passes) */
  minPixels: 1920 * 1080,
  minFps: 25,
  /** measured frame rate swings by a fraction over one-second windows; 24.5 still counts as 25 */
  fpsTolerance: 0.5,
  codecs: ['h264', 'h265', 'svac', 'mpeg4'] as readonly string[],
} as const;

export type QualityFlag = 'not-measured' | 'below-1080p' | 'below-25fps' | 'codec-not-standard';

/** What the media core measured on the channel row (R12). */
export type MeasuredQuality = Pick<Channel, 'codec' | 'width' | 'height' | 'fps' | 'bitrateKbps' | 'gop' | 'mediaAt'>;

/** Flags of a channel's measured video against the standard; `not-measured` when video never ran. */
export function qualityFlags(q: MeasuredQuality): QualityFlag[] {
  if (!q.mediaAt || !q.codec) return ['not-measured'];
  const f: QualityFlag[] = [];
  if (!q.width || !q.height || q.width * q.height < STANDARD.minPixels) f.push('below-1080p');
  if (q.fps === null || q.fps < STANDARD.minFps - STANDARD.fpsTolerance) f.push('below-25fps');
  if (!STANDARD.codecs.includes(normaliseCodec(q.codec))) f.push('codec-not-standard');
  return f;
}

/** `hevc` / `H.265` / `avc` … → the names the standard list uses. */
export function normaliseCodec(c: string): string {
  const s = c.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (s === 'hevc' || s === 'h265') return 'h265';
  if (s === 'avc' || s === 'h264') return 'h264';
  if (s === 'mpeg4' || s === 'mp4v' || s === 'mpeg4part2') return 'mpeg4';
  if (s.startsWith('svac')) return 'svac';
  return s;
}

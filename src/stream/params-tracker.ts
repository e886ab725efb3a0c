import type { AudioParams, Frame, TrackParams, VideoFrame, VideoParams } from '../lib/av/frame.js';
import { h264Params } from '../lib/h264/index.js';
import { h265Params } from '../lib/h265/index.js';

const H264_SPS = 7;
const H265_SPS = 33;

/**
 * Follows a stream's codec parameters (SPS/PPS/VPS, resolution, audio format) so outputs can write their
 * sequence headers, and says when they change (a camera switched resolution or codec): readers then restart at the
 * next keyframe with new headers.
 */
export class ParamsTracker {
  params: TrackParams = {};
  private lastSps?: Buffer;
  private fpsSamples: number[] = [];
  private lastVideoDts?: number;

  /** true once video (or, for audio-only sources, audio) can be decoded */
  get ready(): boolean {
    return !!this.params.video || (!!this.params.audio && !this.expectVideo);
  }

  /** sources that carry video but whose parameter sets have not been seen yet */
  expectVideo = false;

  /** Returns true when the parameters changed in a way readers must restart for. */
  observe(f: Frame): boolean {
    if (f.track === 'audio') return this.observeAudio(f.codec, f.params);
    this.expectVideo = true;
    this.measureFps(f);
    const sps = findSps(f);
    if (!sps) {
      if (!this.params.video && (f.codec === 'mpeg4' || f.codec === 'svac') && f.key) {
        // no parameter sets to parse: pass through with unknown size (RTSP/PS outputs only)
        this.params = { ...this.params, video: { codec: f.codec, width: 0, height: 0, fps: 0 } };
        return true;
      }
      return false;
    }
    if (this.lastSps && this.lastSps.equals(sps) && this.params.video?.codec === f.codec) return false;
    const p = f.codec === 'h264' ? h264Params(f.units) : f.codec === 'h265' ? h265Params(f.units) : undefined;
    if (!p) return false; // incomplete set (e.g. PPS missing): wait for the next keyframe
    this.lastSps = Buffer.from(sps);
    const video: VideoParams = p.fps ? p : { ...p, fps: this.measuredFps() };
    this.params = { ...this.params, video };
    return true;
  }

  private observeAudio(codec: AudioParams['codec'], given: AudioParams | undefined): boolean {
    const cur = this.params.audio;
    const next: AudioParams = given ?? (codec === 'aac' ? (cur?.codec === 'aac' ? cur : { codec, sampleRate: 0, channels: 0 }) : { codec, sampleRate: 8000, channels: 1 });
    if (cur && cur.codec === next.codec && cur.sampleRate === next.sampleRate && cur.channels === next.channels) return false;
    if (codec === 'aac' && !next.config) return false; // cannot describe AAC to a muxer without its config
    this.params = { ...this.params, audio: next };
    return true;
  }

  private measureFps(f: VideoFrame): void {
    if (this.lastVideoDts !== undefined && this.fpsSamples.length < 50) {
      const d = f.dts - this.lastVideoDts;
      if (d > 0 && d < 90_000) this.fpsSamples.push(d);
    }
    this.lastVideoDts = f.dts;
  }

  private measuredFps(): number {
    if (this.fpsSamples.length < 3) return 0;
    const s = [...this.fpsSamples].sort((a, b) => a - b);
    const median = s[s.length >> 1];
    return Math.round((90_000 / median) * 100) / 100;
  }
}

function findSps(f: VideoFrame): Buffer | undefined {
  if (!f.key) return undefined;
  for (const u of f.units) {
    if (u.length < 2) continue;
    if (f.codec === 'h264' && (u[0] & 0x1f) === H264_SPS) return u;
    if (f.codec === 'h265' && ((u[0] >> 1) & 0x3f) === H265_SPS) return u;
  }
  return undefined;
}

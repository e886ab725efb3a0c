/** Test helpers for media outputs: real encodes (ffmpeg) split into frames and pushed into a hub stream in real time. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AudioFrame, AudioParams, Frame, VideoCodec, VideoFrame } from '../../../src/lib/av/frame.js';
import { splitAdts } from '../../../src/lib/aac/index.js';
import { audioSpecificConfig } from '../../../src/lib/aac/index.js';
import { h264StartsAccessUnit, isH264Keyframe, splitAnnexB } from '../../../src/lib/h264/index.js';
import { h265StartsAccessUnit, isH265Keyframe } from '../../../src/lib/h265/index.js';
import type { Stream } from '../../../src/stream/index.js';

export const haveFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0 && spawnSync('ffprobe', ['-version']).status === 0;

export function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Access units of an Annex-B elementary stream, in decoding order (a new AU at an AU-start NAL after a VCL NAL). */
export function accessUnits(es: Buffer, codec: 'h264' | 'h265'): Buffer[][] {
  const aus: Buffer[][] = [];
  let cur: Buffer[] = [];
  let vcl = false;
  for (const u of splitAnnexB(es)) {
    const starts = codec === 'h264' ? h264StartsAccessUnit(u, 0) : h265StartsAccessUnit(u, 0);
    const isVcl = codec === 'h264' ? (u[0] & 0x1f) >= 1 && (u[0] & 0x1f) <= 5 : ((u[0] >> 1) & 0x3f) <= 31;
    if (starts && vcl) {
      aus.push(cur);
      cur = [];
      vcl = false;
    }
    cur.push(u);
    if (isVcl) vcl = true;
  }
  if (cur.length) aus.push(cur);
  return aus;
}

export interface Clip {
  codec: VideoCodec;
  /** one element per 40 ms picture */
  aus: Buffer[][];
  keys: boolean[];
}

/** Encodes `seconds` of testsrc2 at 25 fps (GOP 25, no B-frames) to Annex B and splits it into access units. */
export function encodeVideo(dir: string, codec: 'h264' | 'h265', size: string, seconds: number): Clip {
  const file = join(dir, `clip-${size}.${codec}`);
  const src = ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`, '-t', String(seconds), '-pix_fmt', 'yuv420p'];
  if (codec === 'h264') ffmpeg([...src, '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-keyint_min', '25', '-sc_threshold', '0', '-bf', '0', '-f', 'h264', file]);
  else ffmpeg([...src, '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'keyint=25:min-keyint=25:scenecut=0:bframes=0:log-level=error', '-f', 'hevc', file]);
  const aus = accessUnits(readFileSync(file), codec);
  const keys = aus.map((u) => (codec === 'h264' ? isH264Keyframe(u) : isH265Keyframe(u)));
  if (!keys[0]) throw new Error('clip does not start with a keyframe');
  return { codec, aus, keys };
}

export interface AudioClip {
  params: AudioParams;
  /** raw units; `samples` each */
  units: Buffer[];
  samples: number;
}

/** 1 kHz tone as G.711 A-law, 8 kHz mono, cut into 40 ms (320-sample) units. */
export function encodeG711a(dir: string, seconds: number): AudioClip {
  const file = join(dir, 'tone.alaw');
  ffmpeg(['-f', 'lavfi', '-i', `sine=frequency=1000:sample_rate=8000:duration=${seconds}`, '-c:a', 'pcm_alaw', '-f', 'alaw', file]);
  const b = readFileSync(file);
  const units: Buffer[] = [];
  for (let o = 0; o + 320 <= b.length; o += 320) units.push(b.subarray(o, o + 320));
  return { params: { codec: 'g711a', sampleRate: 8000, channels: 1 }, units, samples: 320 };
}

/** 440 Hz tone as AAC-LC 44.1 kHz stereo raw frames (ADTS removed). */
export function encodeAac(dir: string, seconds: number): AudioClip {
  const file = join(dir, 'tone.aac');
  ffmpeg(['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`, '-ac', '2', '-c:a', 'aac', '-b:a', '64k', '-f', 'adts', file]);
  const a = splitAdts(readFileSync(file));
  if (!a) throw new Error('bad ADTS');
  return { params: { codec: 'aac', sampleRate: a.sampleRate, channels: a.channels, config: audioSpecificConfig(a.objectType, a.sampleRate, a.channels) }, units: a.frames, samples: 1024 };
}

/**
 * Pushes the clip (looped, timestamps always growing) into the stream in real time: one picture every 40 ms, audio
 * units up to the video time. Returns a stop function.
 */
export function feed(stream: Stream, clip: Clip, audio?: AudioClip, startPts = 900_000): () => void {
  let n = 0;
  let an = 0;
  const t0 = Date.now();
  const tick = (): void => {
    // catch up on timer lateness so the stream really runs at 25 fps
    const due = Math.floor((Date.now() - t0) / 40) + 1;
    while (n < due) {
      const i = n % clip.aus.length;
      const pts = startPts + n * 3600;
      const f: VideoFrame = { track: 'video', codec: clip.codec, pts, dts: pts, key: clip.keys[i], units: clip.aus[i] };
      stream.push(f);
      n++;
      if (audio) {
        while (true) {
          const apts = startPts + Math.round((an * audio.samples * 90_000) / audio.params.sampleRate);
          if (apts > pts) break;
          const u = audio.units[an % audio.units.length];
          const af: AudioFrame = { track: 'audio', codec: audio.params.codec, pts: apts, dts: apts, key: true, units: [u], params: audio.params };
          stream.push(af as Frame);
          an++;
        }
      }
    }
  };
  tick();
  const timer = setInterval(tick, 40);
  return () => clearInterval(timer);
}

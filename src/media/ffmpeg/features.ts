import { execFile, spawnSync } from 'node:child_process';

/** What the installed ffmpeg can do, as far as the tools here care. */
export interface FfmpegFeatures {
  /** the libx264 encoder is built in (Debian's ffmpeg has it): needed for the H.264 rendition */
  libx264: boolean;
  /**
   * libx264 copies user-data-unregistered SEI from the decoded picture into the output (`-udu_sei`, ffmpeg ≥ 5.1):
   * lets the transcoder tag each input picture and read the tag back from the output, so timestamps stay exact
   * even if the decoder drops a broken picture.
   */
  uduSei: boolean;
  /** `-fps_mode` (ffmpeg ≥ 5.1); older versions take the deprecated `-vsync` */
  fpsMode: boolean;
}

export const NO_FEATURES: FfmpegFeatures = { libx264: false, uduSei: false, fpsMode: false };

function helpText(bin: string, topic: string): string {
  try {
    const r = spawnSync(bin, ['-hide_banner', '-h', topic], { encoding: 'utf8', timeout: 5000, maxBuffer: 4 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
    return r.status === 0 ? (r.stdout ?? '') : '';
  } catch {
    return '';
  }
}

function helpTextAsync(bin: string, topic: string): Promise<string> {
  return new Promise((resolve) => {
    try {
      execFile(bin, ['-hide_banner', '-h', topic], { encoding: 'utf8', timeout: 5000, maxBuffer: 4 << 20 }, (err, stdout) => resolve(err ? '' : stdout));
    } catch {
      resolve('');
    }
  });
}

function parse(x264: string, long: string): FfmpegFeatures {
  const libx264 = /Encoder libx264/.test(x264);
  return { libx264, uduSei: libx264 && /-udu_sei\b/.test(x264), fpsMode: /-fps_mode\b/.test(long) };
}

/** Asks the binary (two short synchronous runs: blocks 50–500 ms; prefer probeFeaturesAsync). */
export function probeFeatures(bin: string): FfmpegFeatures {
  return parse(helpText(bin, 'encoder=libx264'), helpText(bin, 'long'));
}

/** probeFeatures without blocking; never rejects (a failed run means "no such feature"). */
export async function probeFeaturesAsync(bin: string): Promise<FfmpegFeatures> {
  const [x264, long] = await Promise.all([helpTextAsync(bin, 'encoder=libx264'), helpTextAsync(bin, 'long')]);
  return parse(x264, long);
}

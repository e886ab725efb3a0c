import { spawnSync } from 'node:child_process';

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

/** Asks the binary once (two short synchronous runs, ~50 ms; done at start-up). */
export function probeFeatures(bin: string): FfmpegFeatures {
  const x264 = helpText(bin, 'encoder=libx264');
  const libx264 = /Encoder libx264/.test(x264);
  return { libx264, uduSei: libx264 && /-udu_sei\b/.test(x264), fpsMode: /-fps_mode\b/.test(helpText(bin, 'long')) };
}

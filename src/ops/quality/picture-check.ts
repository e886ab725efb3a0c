import { spawn } from 'node:child_process';
import { AppError } from '../../core/errors.js';

/**
 * Picture checks on a few seconds of a channel's video (R12 视频质量诊断), run by ffmpeg as a separate process:
 *   freezedetect   frozen picture (every frame the same within -60 dB for ≥ 2 s)
 *   blackdetect    black picture (≥ 98 % of pixels below 10 % luma for ≥ 0.5 s)
 *   signalstats    average luma, and TOUT (share of temporal-outlier pixels: heavy noise, snow)
 *   blurdetect     blur score (edge width; sharp camera pictures score about 2–6)
 * The limits for blurry/noisy are starting points measured on test patterns (sharp ≈ 4.7, Gaussian σ=6 ≈ 19;
 * clean TOUT < 0.0001, strong temporal noise ≈ 0.006); an installation tunes them from its own cameras.
 */
export interface PictureCheck {
  /** seconds of video analysed (last frame time − first) */
  seconds: number;
  frames: number;
  /** share of the analysed time the picture was frozen / black (0–1) */
  frozenRatio: number;
  blackRatio: number;
  /** mean luma 0–255 (8-bit) */
  lumaAvg: number | null;
  /** mean blurdetect score */
  blur: number | null;
  /** mean signalstats TOUT */
  noise: number | null;
  flags: PictureFlag[];
}

export type PictureFlag = 'no-frames' | 'frozen' | 'black' | 'blurry' | 'noisy' | 'too-dark';

export const PICTURE_LIMITS = { frozenRatio: 0.5, blackRatio: 0.5, blur: 10, noise: 0.002, darkLuma: 25 };

/**
 * Frames are thinned to 10 fps and scaled to 640 px wide first: the detectors do not need more, and 1080p at full
 * rate took 12 s of CPU for 5 s of video on the 2-core CI machine (1.4 s after thinning).
 */
export const PICTURE_FILTERS = 'fps=10,scale=640:-2:flags=area,freezedetect=n=0.001:d=2,blackdetect=d=0.5:pix_th=0.10,signalstats=stat=tout,blurdetect,metadata=mode=print';

/** Reads ffmpeg's info-level log of the filter chain above (pure: tested on captured logs). */
export function parsePictureLog(log: string): PictureCheck {
  let first: number | undefined;
  let last: number | undefined;
  let frames = 0;
  const sums = { luma: [0, 0], blur: [0, 0], noise: [0, 0] };
  const freezes: Array<[number, number | undefined]> = [];
  const blacks: Array<[number, number]> = [];
  let openBlack: number | undefined;
  for (const line of log.split(/\r?\n/)) {
    let m = /\bframe:\s*\d+\s+pts:\s*-?\d+\s+pts_time:\s*(-?[\d.]+)/.exec(line);
    if (m && line.includes('Parsed_metadata')) {
      const t = Number(m[1]);
      first ??= t;
      last = t;
      frames++;
      continue;
    }
    if ((m = /lavfi\.signalstats\.YAVG=([\d.]+)/.exec(line))) add(sums.luma, m[1]);
    else if ((m = /lavfi\.signalstats\.TOUT=([\d.e+-]+)/.exec(line))) add(sums.noise, m[1]);
    else if ((m = /lavfi\.blur=([\d.e+-]+)/.exec(line))) add(sums.blur, m[1]);
    else if (line.includes('freezedetect @')) {
      // the filter's own log lines (the metadata copies of the same values are skipped)
      if ((m = /freeze_start:\s*([\d.]+)/.exec(line))) freezes.push([Number(m[1]), undefined]);
      else if ((m = /freeze_end:\s*([\d.]+)/.exec(line)) && freezes.length) freezes[freezes.length - 1][1] = Number(m[1]);
    } else if (line.includes('blackdetect @')) {
      if ((m = /black_start:\s*([\d.]+)\s+black_end:\s*([\d.]+)/.exec(line))) blacks.push([Number(m[1]), Number(m[2])]);
      else if ((m = /black_start:\s*([\d.]+)/.exec(line))) openBlack = Number(m[1]);
    }
  }
  const start = first ?? 0;
  const end = last ?? 0;
  // frames last a frame time; without two frames there is no span to judge
  const span = Math.max(0, end - start) || 0;
  const covered = (intervals: Array<[number, number | undefined]>) => intervals.reduce((s, [a, b]) => s + Math.max(0, Math.min(b ?? end, end) - Math.max(a, start)), 0);
  if (openBlack !== undefined) blacks.push([openBlack, end]);
  const ratio = (x: number) => (span > 0 ? Math.min(1, x / span) : 0);
  const frozenRatio = ratio(covered(freezes));
  const blackRatio = ratio(covered(blacks));
  const mean = (s: number[]) => (s[1] ? Math.round((s[0] / s[1]) * 10_000) / 10_000 : null);
  const check: PictureCheck = { seconds: Math.round(span * 100) / 100, frames, frozenRatio: round(frozenRatio), blackRatio: round(blackRatio), lumaAvg: mean(sums.luma), blur: mean(sums.blur), noise: mean(sums.noise), flags: [] };
  check.flags = pictureFlags(check);
  return check;
}

export function pictureFlags(c: Omit<PictureCheck, 'flags'>): PictureFlag[] {
  const L = PICTURE_LIMITS;
  const f: PictureFlag[] = [];
  if (c.frames < 2) return ['no-frames'];
  if (c.blackRatio >= L.blackRatio) f.push('black');
  else if (c.lumaAvg !== null && c.lumaAvg < L.darkLuma) f.push('too-dark');
  if (c.frozenRatio >= L.frozenRatio) f.push('frozen');
  if (c.blur !== null && c.blur > L.blur && !f.includes('black')) f.push('blurry');
  if (c.noise !== null && c.noise > L.noise) f.push('noisy');
  return f;
}

function add(s: number[], v: string): void {
  const n = Number(v);
  if (Number.isFinite(n)) {
    s[0] += n;
    s[1]++;
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Runs the check on `input` (an HTTP-FLV URL of the platform's own output, or a file) for `seconds`. The process is
 * killed after `timeoutMs`; QUALITY_CHECK_FAILED when ffmpeg cannot read it, FEATURE_UNAVAILABLE without ffmpeg.
 */
export function runPictureCheck(input: string, opts: { seconds: number; timeoutMs: number; bin?: string }): Promise<PictureCheck> {
  const bin = opts.bin ?? 'ffmpeg';
  const net = /^https?:/.test(input) ? ['-rw_timeout', '8000000'] : [];
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'info', ...net, '-i', input, '-t', String(opts.seconds), '-an', '-sn', '-vf', PICTURE_FILTERS, '-f', 'null', '-'];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    child.stderr.on('data', (b: Buffer) => {
      // ~40 lines per frame; a 10 s sample of 30 fps stays far below this
      if (size < 32 * 2 ** 20) chunks.push(b);
      size += b.length;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new AppError('FEATURE_UNAVAILABLE', `picture checks need ffmpeg (apt-get install ffmpeg): ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const log = Buffer.concat(chunks).toString('utf8');
      const r = parsePictureLog(log);
      if (r.frames === 0) {
        const tail = log.split(/\r?\n/).filter((l) => l && !l.includes('Parsed_metadata')).slice(-3).join(' | ').slice(0, 400);
        reject(new AppError('QUALITY_CHECK_FAILED', `ffmpeg read no video (${signal ? `killed after ${opts.timeoutMs} ms` : `exit ${code}`}): ${tail}`));
        return;
      }
      resolve(r);
    });
  });
}

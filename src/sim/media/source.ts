import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { splitAnnexB } from '../../lib/h264/index.js';
import { CODECS, type SimCodec } from './codecs.js';
import { premux, type PsFrame } from './ps.js';

/** Elementary-stream extensions read as they are (Annex-B byte streams). */
const ES_EXT: Record<string, SimCodec> = { '.h264': 'h264', '.264': 'h264', '.h265': 'h265', '.265': 'h265', '.hevc': 'h265' };

/** One video file, loaded once, split into access units and muxed into PS: what every simulated channel sends. */
export interface MediaSource {
  readonly file: string;
  /** the Annex-B file actually read (the input itself, or the extraction cache) */
  readonly esFile: string;
  readonly codec: SimCodec;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** where fps came from */
  readonly fpsFrom: 'option' | 'vui' | 'container' | 'default';
  /** access units in decoding order, starting at a keyframe, each muxed into PS once */
  readonly frames: readonly PsFrame[];
  readonly keyframes: number;
  /** indexes of the keyframes in `frames` (a stream may start at any of them) */
  readonly keyIndexes: readonly number[];
  /** bytes of PS per loop of the file */
  readonly psBytes: number;
  /** average bit rate of the PS, kbit/s */
  readonly kbps: number;
}

export interface LoadOptions {
  /** frame rate to use instead of the SPS VUI timing */
  fps?: number;
  /** where extracted elementary streams are cached (default: `<os tmp>/sharpeye-sim`) */
  cacheDir?: string;
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void };
}

const loaded = new Map<string, Promise<MediaSource>>();

/**
 * Loads `file` once per process (every Simulator asking for the same file and frame rate shares the frames).
 * Not an elementary stream: ffprobe tells the codec, ffmpeg copies the video out as Annex-B into a cache file
 * (once; later runs reuse it). Throws Error with a user-facing message.
 */
export function loadMediaSource(file: string, opts: LoadOptions = {}): Promise<MediaSource> {
  const key = `${path.resolve(file)}\0${opts.fps ?? ''}`;
  let p = loaded.get(key);
  if (!p) {
    p = load(path.resolve(file), opts);
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));
  }
  return p;
}

async function load(file: string, opts: LoadOptions): Promise<MediaSource> {
  let st;
  try {
    st = await stat(file);
  } catch {
    throw new Error(`--media file not found: ${file}`);
  }
  if (!st.isFile()) throw new Error(`--media is not a file: ${file}`);
  let codec = ES_EXT[path.extname(file).toLowerCase()];
  let esFile = file;
  let containerFps = 0;
  if (!codec) {
    const probe = await ffprobe(file);
    codec = probe.codec;
    containerFps = probe.fps;
    esFile = await extract(file, codec, st, opts);
  }
  const es = await readFile(esFile);
  const units = splitAnnexB(es);
  if (!units.length) throw new Error(`${esFile}: no NAL units (not an Annex-B ${codec} stream)`);
  const c = CODECS[codec];
  const aus = accessUnits(units, codec);
  if (!aus.length) throw new Error(`${esFile}: no ${codec} pictures found`);
  const params = c.params(aus[0].units);
  let fps = 0;
  let fpsFrom: MediaSource['fpsFrom'] = 'default';
  if (opts.fps) [fps, fpsFrom] = [opts.fps, 'option'];
  else if (params?.fps && params.fps > 0 && params.fps <= 240) [fps, fpsFrom] = [params.fps, 'vui'];
  else if (containerFps > 0 && containerFps <= 240) [fps, fpsFrom] = [containerFps, 'container'];
  else fps = 25;
  const track = { video: params ?? { codec, width: 0, height: 0, fps } };
  const frames = aus.map((au) => premux(au.units, au.key, codec, track));
  let psBytes = 0;
  const keyIndexes: number[] = [];
  frames.forEach((f, i) => {
    psBytes += f.ps.length;
    if (f.key) keyIndexes.push(i);
  });
  const keyframes = keyIndexes.length;
  const src: MediaSource = {
    file,
    esFile,
    codec,
    width: params?.width ?? 0,
    height: params?.height ?? 0,
    fps,
    fpsFrom,
    frames,
    keyframes,
    keyIndexes,
    psBytes,
    kbps: Math.round((psBytes * 8 * fps) / frames.length / 1000),
  };
  opts.log?.info({ file, codec, width: src.width, height: src.height, fps, fpsFrom, frames: frames.length, keyframes, kbps: src.kbps, es: esFile }, 'media loaded');
  return src;
}

interface Au {
  units: Buffer[];
  key: boolean;
}

/**
 * Access units of an Annex-B stream (H.264 §7.4.1.2.3, H.265 §7.4.2.4.4): a new one begins at an AUD, and at a
 * parameter set / prefix SEI / first slice of a picture once the current one has a picture. Units before the first
 * keyframe are dropped (every loop starts decodable); a keyframe without its parameter sets gets the last seen ones.
 */
export function accessUnits(units: readonly Buffer[], codec: SimCodec): Au[] {
  const c = CODECS[codec];
  const out: Au[] = [];
  let cur: Buffer[] = [];
  let hasVcl = false;
  const flush = () => {
    if (hasVcl) out.push({ units: cur, key: cur.some((u) => c.isKey(u)) });
    cur = [];
    hasVcl = false;
  };
  for (const u of units) {
    if (c.isAud(u)) flush();
    else if (hasVcl && c.startsAu(u)) flush();
    cur.push(u);
    if (c.isVcl(u)) hasVcl = true;
  }
  flush();
  const first = out.findIndex((a) => a.key);
  if (first < 0) {
    // no IDR/IRAP at all (intra refresh): start anywhere
    if (out.length) out[0].key = true;
    return out;
  }
  const aus = out.slice(first);
  // parameter sets: remember the latest of each kind; a keyframe lacking one gets it in front
  const last = new Map<number, Buffer>();
  for (const au of aus) {
    for (const u of au.units) if (c.paramTypes.includes(c.nalType(u))) last.set(c.nalType(u), u);
    if (!au.key) continue;
    const missing = c.paramTypes.filter((t) => !au.units.some((u) => c.nalType(u) === t) && last.has(t));
    if (missing.length) {
      const at = au.units.findIndex((u) => c.isVcl(u) || c.nalType(u) === c.seiType);
      au.units.splice(at < 0 ? 0 : at, 0, ...missing.map((t) => last.get(t)!));
    }
  }
  // the first keyframe's sets (a loop starts there) may sit in later frames only in odd files: nothing to do then
  return aus;
}

// ---- ffprobe / ffmpeg ----

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === 'ENOENT') reject(new Error(`${cmd} not found: install ffmpeg, or give --media an Annex-B .h264/.h265 file`));
        else reject(new Error(`${cmd} failed: ${String(stderr).trim().split('\n').slice(-3).join(' | ') || e.message}`));
        return;
      }
      resolve({ stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const CODEC_NAMES: Record<string, SimCodec> = { h264: 'h264', hevc: 'h265' };

async function ffprobe(file: string): Promise<{ codec: SimCodec; fps: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,avg_frame_rate,r_frame_rate', '-of', 'json', file], 60_000);
  let s: { codec_name?: string; avg_frame_rate?: string; r_frame_rate?: string } | undefined;
  try {
    s = (JSON.parse(stdout) as { streams?: (typeof s)[] }).streams?.[0];
  } catch {
    s = undefined;
  }
  if (!s?.codec_name) throw new Error(`${file}: no video stream (ffprobe found none)`);
  const codec = CODEC_NAMES[s.codec_name];
  if (!codec) throw new Error(`${file}: video codec is ${s.codec_name}; the simulator sends H.264 or H.265 only (transcode it first, e.g. ffmpeg -i ${path.basename(file)} -c:v libx264 -bf 0 out.mp4)`);
  const rate = (r?: string) => {
    const m = /^(\d+)\/(\d+)$/.exec(r ?? '');
    return m && Number(m[2]) > 0 ? Number(m[1]) / Number(m[2]) : 0;
  };
  const fps = rate(s.avg_frame_rate) || rate(s.r_frame_rate);
  return { codec, fps: Math.round(fps * 1000) / 1000 };
}

/** ffmpeg copies the first video stream out as Annex-B (no transcoding); the result is cached by path, size and mtime. */
async function extract(file: string, codec: SimCodec, st: { size: number; mtimeMs: number }, opts: LoadOptions): Promise<string> {
  const dir = opts.cacheDir ?? path.join(os.tmpdir(), 'sharpeye-sim');
  await mkdir(dir, { recursive: true });
  const id = createHash('sha1').update(`${file}\0${st.size}\0${st.mtimeMs}`).digest('hex').slice(0, 16);
  const out = path.join(dir, `${path.basename(file, path.extname(file)).replace(/[^\w.-]/g, '_').slice(0, 40)}-${id}.${codec}`);
  try {
    if ((await stat(out)).size > 0) return out;
  } catch {
    /* not cached yet */
  }
  const part = `${out}.${process.pid}.part`;
  const fmt = codec === 'h264' ? 'h264' : 'hevc';
  opts.log?.info({ file, cache: out }, 'extracting the video stream with ffmpeg (once)');
  try {
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-i', file, '-map', '0:v:0', '-c:v', 'copy', '-bsf:v', `${fmt === 'h264' ? 'h264' : 'hevc'}_mp4toannexb`, '-f', fmt, part], 600_000);
    await rename(part, out);
  } catch (e) {
    await unlink(part).catch(() => undefined);
    throw e;
  }
  return out;
}


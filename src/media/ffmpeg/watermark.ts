/**
 * Burnt-in watermarks for downloads and server snapshots (issue 8): ffmpeg's drawtext filter draws the lines given
 * (user and time, and the policy's own line) twice, at the top left and the bottom right, in white with a dark border
 * at 75 % opacity, sized to the picture (a line ≈ 1/24 of its height).
 *
 * - The text goes through a temporary text file (`textfile=`, `expansion=none`), so a user name is never parsed as
 *   filter syntax or as drawtext's `%{…}` expansions.
 * - User names are often Chinese: the font is one with CJK glyphs, found at run time with fontconfig
 *   (`fc-list :lang=zh`, Debian `fonts-noto-cjk`) or at a known path; ASCII-only text may use any font. No usable
 *   font, or an ffmpeg without drawtext (libfreetype): FEATURE_UNAVAILABLE — a watermark that is required is never
 *   silently left out.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AppError } from '../../core/errors.js';

/** What to burn in: the lines, top to bottom (serialisable: it crosses the MediaNode door). */
export interface WatermarkSpec {
  lines: string[];
}

/** A watermark ready for one ffmpeg run: its filter for a picture height, and the temporary text file to remove. */
export interface PreparedWatermark {
  filter(height: number): string;
  dispose(): Promise<void>;
}

const KNOWN_CJK_FONTS = [
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc',
  '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc',
  '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc',
  '/usr/share/fonts/truetype/arphic/uming.ttc',
];
const KNOWN_LATIN_FONTS = ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf'];

let fonts: { cjk?: string; any?: string } | undefined;

function fcList(pattern: string): string[] {
  try {
    const out = execFileSync('fc-list', [pattern, 'file'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    return out
      .split('\n')
      .map((l) => l.replace(/:\s*$/, '').trim())
      .filter(Boolean)
      .sort();
  } catch {
    return [];
  }
}

/** Fonts for watermarks, looked up once: one with CJK glyphs (preferring a regular sans face) and any at all. */
export function watermarkFonts(): { cjk?: string; any?: string } {
  if (fonts) return fonts;
  const zh = fcList(':lang=zh-cn');
  const cjk = zh.find((f) => /Sans.*Regular|microhei/i.test(f)) ?? zh.find((f) => !/Bold|Black|Light|Thin/i.test(f)) ?? zh[0] ?? KNOWN_CJK_FONTS.find((f) => existsSync(f));
  const any = cjk ?? fcList(':lang=en').find((f) => /Sans/i.test(f)) ?? KNOWN_LATIN_FONTS.find((f) => existsSync(f));
  fonts = { cjk, any };
  return fonts;
}

const drawtextCache = new Map<string, boolean>();

/** ffmpeg was built with drawtext (libfreetype); Debian's is. */
export function hasDrawtext(bin: string): boolean {
  let ok = drawtextCache.get(bin);
  if (ok === undefined) {
    try {
      const r = spawnSync(bin, ['-hide_banner', '-filters'], { encoding: 'utf8', timeout: 5000, maxBuffer: 4 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
      ok = r.status === 0 && /\sdrawtext\s/.test(r.stdout ?? '');
    } catch {
      ok = false;
    }
    drawtextCache.set(bin, ok);
  }
  return ok;
}

/** A filter option value in single quotes (filtergraph escaping: only ' and \ need care inside). */
function quoted(v: string): string {
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, `'\\''`)}'`;
}

/**
 * Writes the text file and returns the drawtext filters. Throws FEATURE_UNAVAILABLE when ffmpeg cannot draw text or
 * no font can show the text.
 */
export async function prepareWatermark(spec: WatermarkSpec, ffmpegBin: string): Promise<PreparedWatermark> {
  if (!hasDrawtext(ffmpegBin)) throw new AppError('FEATURE_UNAVAILABLE', 'this ffmpeg has no drawtext filter (libfreetype): watermarked downloads and snapshots are unavailable');
  const text = spec.lines
    .map((l) => l.replace(/[\r\n\t]+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');
  if (!text) throw new AppError('VALIDATION_FAILED', 'empty watermark');
  const ascii = /^[ -~\n]*$/.test(text);
  const f = watermarkFonts();
  const font = ascii ? f.any : f.cjk;
  if (!font) throw new AppError('FEATURE_UNAVAILABLE', `no font ${ascii ? '' : 'with Chinese glyphs '}for the watermark (apt-get install fonts-noto-cjk)`);
  const dir = await mkdtemp(path.join(tmpdir(), 'sharpeye-wm-'));
  const file = path.join(dir, 'text.txt');
  await writeFile(file, text, 'utf8');
  return {
    filter(height: number): string {
      const size = Math.max(12, Math.round((height || 360) / 24));
      const margin = Math.max(4, Math.round(size * 0.6));
      const common = `fontfile=${quoted(font)}:textfile=${quoted(file)}:expansion=none:fontsize=${size}:fontcolor=white@0.75:borderw=${Math.max(1, Math.round(size / 10))}:bordercolor=black@0.6:line_spacing=${Math.round(size / 4)}`;
      return [`drawtext=${common}:x=${margin}:y=${margin}`, `drawtext=${common}:x=w-text_w-${margin}:y=h-text_h-${margin}`].join(',');
    },
    async dispose() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

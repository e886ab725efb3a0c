/**
 * GB/T 28181-2016 附录F `f=` media description:
 *   f= v/编码格式/分辨率/帧率/码率类型/码率大小a/编码格式/码率大小/采样率
 * e.g. "f=v/2/4/25/1/1024a/1/8/1". Empty fields mean "not specified"; devices often send "f=" or "f=v/////a///".
 * Code points (2016 附录F): video codec 1 MPEG-4, 2 H.264, 3 SVAC, 4 3GP (GB/T 28181-2022 adds 5 H.265);
 * resolution 1 QCIF, 2 CIF, 3 4CIF, 4 D1, 5 720P, 6 1080P/I (2022 also allows W×H); bitrate type 1 CBR, 2 VBR;
 * bitrate in kbit/s; audio codec 1 G.711, 2 G.723.1, 3 G.729, 4 G.722.1; audio bitrate 1 5.3, 2 6.3, 3 8, 4 16,
 * 5 24, 6 32, 7 48, 8 64 kbit/s; sample rate 1 8, 2 14, 3 16, 4 32 kHz.
 */
export interface GbMediaFormat {
  video?: {
    codec?: number;
    /** a code (1–6) or W×H as written */
    resolution?: string;
    frameRate?: number;
    bitrateType?: number;
    bitrate?: number;
  };
  audio?: {
    codec?: number;
    bitrate?: number;
    sampleRate?: number;
  };
}

function num(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  return /^\d+$/.test(t) ? Number(t) : undefined;
}

function str(s: string | undefined): string | undefined {
  const t = s?.trim();
  return t ? t : undefined;
}

function compact<T extends object>(o: T): T | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return Object.keys(out).length ? (out as T) : undefined;
}

/** Parses the value of an `f=` line; undefined when nothing is specified. */
export function parseGbFormat(value: string | undefined): GbMediaFormat | undefined {
  const s = value?.trim();
  if (!s) return undefined;
  const r = /^v\/(.*?)\s*(?:a\/(.*))?$/i.exec(s);
  if (!r) return undefined;
  const v = r[1].split('/');
  const a = (r[2] ?? '').split('/');
  const out: GbMediaFormat = {};
  const video = compact({ codec: num(v[0]), resolution: str(v[1]), frameRate: num(v[2]), bitrateType: num(v[3]), bitrate: num(v[4]) });
  const audio = compact({ codec: num(a[0]), bitrate: num(a[1]), sampleRate: num(a[2]) });
  if (video) out.video = video;
  if (audio) out.audio = audio;
  return video || audio ? out : undefined;
}

/** Writes an `f=` value; unspecified fields stay empty ("v/2/4/25/1/1024a///"). */
export function formatGbFormat(f: GbMediaFormat): string {
  const e = (x: number | string | undefined) => (x === undefined ? '' : String(x));
  const v = f.video ?? {};
  const a = f.audio ?? {};
  return `v/${e(v.codec)}/${e(v.resolution)}/${e(v.frameRate)}/${e(v.bitrateType)}/${e(v.bitrate)}a/${e(a.codec)}/${e(a.bitrate)}/${e(a.sampleRate)}`;
}

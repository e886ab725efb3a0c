/** Live video, PTZ, presets and snapshots of a channel (docs/api.md "Live video", gb28181.md PTZ). */
import { http, rawRequest } from './http';

export type StreamKind = 'main' | 'sub';

export interface LiveAnswer {
  flv: string;
  wsFlv: string;
  hls: string;
  rtsp: string;
  stream: StreamKind;
  /** the sub-stream was asked for but the device has none: main is served */
  fallback: boolean;
  /** an H.264 rendition of an H.265 channel */
  transcoded?: boolean;
  /** seconds within which the URLs must be opened */
  expiresIn: number;
  info: { codec?: string; width?: number; height?: number; fps?: number; bitrateKbps?: number };
}

export type PtzAction =
  | 'left' | 'right' | 'up' | 'down' | 'upleft' | 'upright' | 'downleft' | 'downright'
  | 'zoomin' | 'zoomout' | 'stop' | 'focusnear' | 'focusfar' | 'irisopen' | 'irisclose' | 'fistop';

export interface Preset {
  index: number;
  name: string;
}

const base = (id: string) => `/channels/${encodeURIComponent(id)}`;

export const liveApi = {
  open: (id: string, stream: StreamKind, codec?: 'h264') => http.post<LiveAnswer>(`${base(id)}/live`, codec ? { stream, codec } : { stream }),
  ptz: (id: string, action: PtzAction, speed?: number) => http.post<void>(`${base(id)}/ptz`, speed ? { action, speed } : { action }),
  presets: (id: string) => http.get<Preset[]>(`${base(id)}/presets`),
  preset: (id: string, action: 'set' | 'call' | 'delete', index: number) => http.post<void>(`${base(id)}/presets`, { action, index }),
  /** Server snapshot (ffmpeg, main stream): a JPEG. */
  snapshot: async (id: string) => (await rawRequest('POST', `${base(id)}/snapshot`)).blob(),
  /** Server continuous snapshot: `count` JPEGs `intervalMs` apart, zipped. */
  snapshots: async (id: string, count: number, intervalMs: number, stream: StreamKind) =>
    (await rawRequest('POST', `${base(id)}/snapshots`, { body: { count, intervalMs, stream } })).blob(),
};

/** Hands a blob to the browser as a download. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** `<name>-20261125-103015` style file stem (local time), safe for every file system. */
export function fileStem(name: string, at = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${at.getFullYear()}${p(at.getMonth() + 1)}${p(at.getDate())}-${p(at.getHours())}${p(at.getMinutes())}${p(at.getSeconds())}`;
  const safe = name.replace(/[\\/:*?"<>|\s]+/g, '_').slice(0, 60) || 'channel';
  return `${safe}-${stamp}`;
}

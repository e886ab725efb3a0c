/** Client-side snapshots: the picture a <video> shows, drawn on a canvas, as PNG/JPEG; several of them zipped. */
import { zipStore, type ZipEntry } from '../../utils/zip';

export type ImageFormat = 'png' | 'jpeg';

/** The current frame at the camera's resolution. Rejects when nothing has been decoded yet. */
export function captureFrame(video: HTMLVideoElement, format: ImageFormat, quality = 0.92): Promise<Blob> {
  const w = video.videoWidth;
  const h = video.videoHeight;
  if (!w || !h || video.readyState < 2) return Promise.reject(new Error('no picture yet'));
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  if (!ctx) return Promise.reject(new Error('canvas unavailable'));
  ctx.drawImage(video, 0, 0, w, h);
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('encoding failed'))), format === 'png' ? 'image/png' : 'image/jpeg', quality),
  );
}

export interface BurstOptions {
  count: number;
  intervalMs: number;
  format: ImageFormat;
  /** file stem; pictures are `<stem>-001.png` … */
  stem: string;
  onProgress?: (done: number) => void;
  /** stop early (pane closed) */
  signal?: AbortSignal;
}

/** `count` frames `intervalMs` apart, as a store-only zip. */
export async function captureBurst(video: HTMLVideoElement, o: BurstOptions): Promise<Blob> {
  const entries: ZipEntry[] = [];
  const ext = o.format === 'png' ? 'png' : 'jpg';
  for (let i = 0; i < o.count; i++) {
    if (o.signal?.aborted) break;
    if (i > 0) await new Promise((r) => setTimeout(r, o.intervalMs));
    const at = new Date();
    const blob = await captureFrame(video, o.format);
    entries.push({ name: `${o.stem}-${String(i + 1).padStart(3, '0')}.${ext}`, data: new Uint8Array(await blob.arrayBuffer()), date: at });
    o.onProgress?.(i + 1);
  }
  if (!entries.length) throw new Error('no picture captured');
  return new Blob([zipStore(entries) as BlobPart], { type: 'application/zip' });
}

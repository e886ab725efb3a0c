import { reactive } from 'vue';
import { filenameFromDisposition } from '../../api/http';
import { recordsApi } from '../../api/records';
import { errorText } from '../../utils/errors';
import { IncompleteDownload, readWithProgress, saveBlob } from '../../utils/download';
import type { TimeSpan } from '../../utils/timeline';

export interface DownloadItem {
  key: number;
  channelId: string;
  channelName: string;
  startMs: number;
  endMs: number;
  received: number;
  total: number;
  percent: number;
  bytesPerSec: number;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  error: string;
  /** damaged or missing segments the server left out */
  skipped: number;
  file: string;
  cancel: () => void;
}

let seq = 0;

/**
 * Range downloads as one MP4 each: the response is read with fetch so progress is shown (bytes of Content-Length),
 * then saved through a Blob URL. Errors keep the API's message and code; a short stream is reported as incomplete.
 */
export function useDownloads(incompleteText: (received: number, total: number) => string) {
  const items = reactive<DownloadItem[]>([]);

  async function start(ch: { id: string; name: string }, range: TimeSpan): Promise<void> {
    items.unshift({ key: ++seq, channelId: ch.id, channelName: ch.name, startMs: range.startMs, endMs: range.endMs, received: 0, total: 0, percent: 0, bytesPerSec: 0, state: 'running', error: '', skipped: 0, file: '', cancel: () => undefined });
    const item = items[0]!;
    let cancelled = false;
    item.cancel = () => {
      cancelled = true;
    };
    try {
      const res = await recordsApi.download(ch.id, range.startMs, range.endMs);
      const name = filenameFromDisposition(res.headers.get('Content-Disposition'), `${ch.id}.mp4`);
      item.total = Number(res.headers.get('Content-Length')) || 0;
      item.skipped = Number(res.headers.get('X-Skipped-Segments') ?? 0) || 0;
      const h = readWithProgress(res, (p) => Object.assign(item, { received: p.received, percent: p.percent, bytesPerSec: p.bytesPerSec }));
      item.cancel = () => {
        cancelled = true;
        h.cancel();
      };
      if (cancelled) h.cancel();
      const blob = await h.done;
      Object.assign(item, { state: 'done', percent: 100, file: name, received: blob.size });
      saveBlob(blob, name);
    } catch (e) {
      if (cancelled) item.state = 'cancelled';
      else Object.assign(item, { state: 'failed', error: e instanceof IncompleteDownload ? incompleteText(e.received, e.total) : errorText(e) });
    }
  }

  function clearFinished() {
    for (let i = items.length - 1; i >= 0; i--) if (items[i]!.state !== 'running') items.splice(i, 1);
  }

  return { items, start, clearFinished };
}

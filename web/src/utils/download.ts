/** Reading a download response with progress, then handing it to the browser as a file. */

export interface Progress {
  received: number;
  /** from Content-Length; 0 when unknown */
  total: number;
  /** 0–100, one decimal */
  percent: number;
  bytesPerSec: number;
}

export class IncompleteDownload extends Error {
  constructor(
    readonly received: number,
    readonly total: number,
  ) {
    super(`download ended at ${received} of ${total} bytes`);
    this.name = 'IncompleteDownload';
  }
}

export function percentOf(received: number, total: number): number {
  if (!total) return 0;
  return Math.min(100, Math.floor((received / total) * 1000) / 10);
}

export interface ReadHandle {
  /** resolves with the file; rejects with IncompleteDownload when the stream ends short, or the reader's error */
  done: Promise<Blob>;
  /** stops reading (the connection is closed); `done` rejects with an AbortError */
  cancel(): void;
}

/** Reads `res.body` chunk by chunk, reporting progress at most every `everyMs` and once at the end. */
export function readWithProgress(res: Response, onProgress: (p: Progress) => void, everyMs = 200, now: () => number = () => performance.now()): ReadHandle {
  const total = Number(res.headers.get('Content-Length')) || 0;
  const type = res.headers.get('Content-Type') ?? 'application/octet-stream';
  let cancelled = false;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const done = (async () => {
    const t0 = now();
    const report = (received: number) => {
      const secs = (now() - t0) / 1000;
      onProgress({ received, total, percent: total ? percentOf(received, total) : 0, bytesPerSec: secs > 0 ? Math.round(received / secs) : 0 });
    };
    if (!res.body) {
      const blob = await res.blob();
      report(blob.size);
      return blob;
    }
    reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let received = 0;
    let last = t0;
    for (;;) {
      const { done: end, value } = await reader.read();
      if (cancelled) throw new DOMException('download cancelled', 'AbortError');
      if (end) break;
      chunks.push(value);
      received += value.byteLength;
      if (now() - last >= everyMs) {
        last = now();
        report(received);
      }
    }
    report(received);
    if (total && received < total) throw new IncompleteDownload(received, total);
    return new Blob(chunks as BlobPart[], { type });
  })();
  return {
    done,
    cancel() {
      cancelled = true;
      void reader?.cancel().catch(() => undefined);
    },
  };
}

/** Saves a blob under `name` through a temporary object URL. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

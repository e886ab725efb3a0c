import { FlvReader } from '../../src/lib/flv/index.js';

/** Reads HTTP-FLV for a while: video tag timestamps (ms) and the time the first video tag arrived. */
export async function readFlv(url: string, ms: number): Promise<{ times: number[]; firstMs: number; status: number; bytes: Buffer[] }> {
  const started = Date.now();
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal });
  const times: number[] = [];
  const bytes: Buffer[] = [];
  let firstMs = -1;
  if (res.status !== 200 || !res.body) return { times, firstMs, status: res.status, bytes };
  const reader = new FlvReader();
  const timer = setTimeout(() => ac.abort(), ms);
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      const b = Buffer.from(chunk);
      bytes.push(b);
      for (const ev of reader.push(b)) {
        if (ev.kind === 'tag' && ev.tag.type === 9) {
          if (firstMs < 0) firstMs = Date.now() - started;
          if ((ev.tag.data[0] & 0x0f) !== 7 || ev.tag.data[1] === 1) times.push(ev.tag.timestamp);
        }
      }
    }
  } catch (e) {
    if ((e as Error).name !== 'AbortError') throw e;
  } finally {
    clearTimeout(timer);
  }
  return { times, firstMs, status: res.status, bytes };
}


/** A bare RTSP client for tests: requests with CSeq, responses matched back, interleaved frames collected. */
import net from 'node:net';
import { RtspHeaders, type RtspResponse, RtspStreamParser, rtspRequest, serializeRtspMessage } from '../../../src/lib/rtsp/index.js';

export class RawRtsp {
  private cseq = 0;
  private readonly waiting = new Map<number, (r: RtspResponse) => void>();
  /** responses that matched no request (e.g. the answer to garbage) */
  readonly stray: RtspResponse[] = [];
  readonly interleaved: { channel: number; data: Buffer }[] = [];
  onInterleaved?: (channel: number, data: Buffer) => void;
  readonly closed: Promise<void>;
  isClosed = false;
  parseError?: Error;

  private constructor(readonly socket: net.Socket) {
    const parser = new RtspStreamParser({
      onMessage: (m) => {
        if (m.kind !== 'response') return;
        const n = Number(m.headers.get('cseq'));
        const w = this.waiting.get(n);
        if (w) {
          this.waiting.delete(n);
          w(m);
        } else this.stray.push(m);
      },
      onInterleaved: (channel, data) => {
        const copy = Buffer.from(data);
        this.interleaved.push({ channel, data: copy });
        this.onInterleaved?.(channel, copy);
      },
    });
    socket.on('data', (c: Buffer) => {
      if (this.parseError) return;
      try {
        parser.push(c);
      } catch (e) {
        this.parseError = e as Error;
      }
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.isClosed = true;
        resolve();
      }),
    );
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawRtsp> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => {
        s.off('error', reject);
        resolve(new RawRtsp(s));
      });
      s.once('error', reject);
    });
  }

  request(method: string, url: string, headers: Record<string, string> = {}, timeoutMs = 15_000): Promise<RtspResponse> {
    const n = ++this.cseq;
    const msg = rtspRequest(method, url, new RtspHeaders({ CSeq: String(n), 'User-Agent': 'sharpeye-test', ...headers }));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiting.delete(n);
        reject(new Error(`${method}: no response in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(n, (r) => {
        clearTimeout(t);
        resolve(r);
      });
      this.socket.write(serializeRtspMessage(msg));
      this.closed.then(() => {
        if (this.waiting.delete(n)) {
          clearTimeout(t);
          reject(new Error(`${method}: connection closed`));
        }
      });
    });
  }

  write(b: Buffer | string): void {
    this.socket.write(b);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Resolves true when `p` settles within `ms`, false otherwise. */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((r) => (t = setTimeout(() => r(false), ms)));
  const ok = await Promise.race([p.then(() => true), timeout]);
  clearTimeout(t);
  return ok;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 20 ms until true or `ms` passed. */
export async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(20);
  }
  return cond();
}

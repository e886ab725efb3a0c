import { AppError } from '../core/errors.js';

/** One answer part of a MANSCDP query (a Response MESSAGE). */
export interface AnswerPart {
  sumNum?: number;
  items: unknown[];
  body: unknown;
}

interface Pending {
  parts: AnswerPart[];
  received: number;
  expected?: number;
  paged: boolean;
  idleMs: number;
  resolve(v: QueryResult): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
  idle?: NodeJS.Timeout;
}

export interface QueryResult {
  items: unknown[];
  parts: AnswerPart[];
  /** false when a paged answer stopped short of SumNum (idle timeout) */
  complete: boolean;
  sumNum?: number;
}

/**
 * Awaitable MANSCDP queries keyed by (device, CmdType, SN). Paged answers (Catalog, RecordInfo: several MESSAGEs with
 * the same SN, §9.2.1) are merged until SumNum items arrived; duplicates of an item (same key) count once; late or
 * unmatched answers are ignored safely.
 */
export class PendingQueries {
  private readonly pending = new Map<string, Pending>();
  private sn = Math.floor(Math.random() * 100_000);

  nextSn(): number {
    this.sn = (this.sn % 2_000_000_000) + 1;
    return this.sn;
  }

  wait(deviceId: string, cmdType: string, sn: number, opts: { timeoutMs: number; paged: boolean; idleMs?: number }): Promise<QueryResult> {
    const key = `${deviceId}:${cmdType.toLowerCase()}:${sn}`;
    return new Promise<QueryResult>((resolve, reject) => {
      const p: Pending = {
        parts: [],
        received: 0,
        paged: opts.paged,
        idleMs: opts.idleMs ?? 3000,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.pending.delete(key);
          clearTimeout(p.idle);
          if (p.parts.length) resolve(this.result(p, false));
          else reject(new AppError('DEVICE_TIMEOUT', `Device ${deviceId} did not answer ${cmdType} within ${Math.round(opts.timeoutMs / 1000)} s (设备未应答)`));
        }, opts.timeoutMs),
      };
      p.timer.unref?.();
      this.pending.set(key, p);
    });
  }

  cancel(deviceId: string, cmdType: string, sn: number): void {
    const key = `${deviceId}:${cmdType.toLowerCase()}:${sn}`;
    const p = this.pending.get(key);
    if (!p) return;
    clearTimeout(p.timer);
    clearTimeout(p.idle);
    this.pending.delete(key);
  }

  /** Returns false when nothing waited for this answer. */
  deliver(deviceId: string, cmdType: string, sn: number, part: AnswerPart, itemKey?: (item: unknown) => string): boolean {
    const key = `${deviceId}:${cmdType.toLowerCase()}:${sn}`;
    const p = this.pending.get(key);
    if (!p) return false;
    if (itemKey) {
      const seen = new Set(p.parts.flatMap((x) => x.items.map(itemKey)));
      part = { ...part, items: part.items.filter((i) => !seen.has(itemKey(i))) };
    }
    p.parts.push(part);
    p.received += part.items.length;
    if (part.sumNum !== undefined) p.expected = part.sumNum;
    const done = !p.paged || (p.expected !== undefined && p.received >= p.expected);
    if (done) {
      clearTimeout(p.timer);
      clearTimeout(p.idle);
      this.pending.delete(key);
      p.resolve(this.result(p, true));
      return true;
    }
    // Some devices send fewer items than SumNum: finish after a quiet spell instead of waiting for the deadline.
    clearTimeout(p.idle);
    p.idle = setTimeout(() => {
      if (this.pending.get(key) !== p) return;
      clearTimeout(p.timer);
      this.pending.delete(key);
      p.resolve(this.result(p, false));
    }, p.idleMs);
    p.idle.unref?.();
    return true;
  }

  private result(p: Pending, complete: boolean): QueryResult {
    return { items: p.parts.flatMap((x) => x.items), parts: p.parts, complete: complete && (p.expected === undefined || p.received >= p.expected), sumNum: p.expected };
  }

  get size(): number {
    return this.pending.size;
  }
}

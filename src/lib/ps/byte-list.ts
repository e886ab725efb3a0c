/** An ordered list of Buffer pieces (subarrays of the input) treated as one byte string, copied only when joined. */
export class ByteList {
  pieces: Buffer[] = [];
  length = 0;

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.pieces.push(b);
    this.length += b.length;
  }

  clear(): void {
    this.pieces = [];
    this.length = 0;
  }

  /** All bytes as one Buffer: the piece itself when there is one, else one copy. */
  join(): Buffer {
    if (this.pieces.length === 1) return this.pieces[0];
    return Buffer.concat(this.pieces, this.length);
  }

  /** Bytes [from, to) contiguous: a subarray when they lie in one piece, else a copy. */
  slice(from: number, to: number): Buffer {
    let at = 0;
    let i = 0;
    while (i < this.pieces.length && at + this.pieces[i].length <= from) at += this.pieces[i++].length;
    if (i === this.pieces.length) return Buffer.alloc(0);
    const p = this.pieces[i];
    if (to - at <= p.length) return p.subarray(from - at, to - at);
    const out = Buffer.allocUnsafe(to - from);
    let o = 0;
    let start = from - at;
    for (; i < this.pieces.length && o < out.length; i++, start = 0) {
      const q = this.pieces[i];
      o += q.copy(out, o, start, Math.min(q.length, start + out.length - o));
    }
    return out;
  }

  /** Removes and returns the pieces of the first n bytes; the list keeps bytes [n, length). */
  shift(n: number): Buffer[] {
    const head: Buffer[] = [];
    let left = n;
    while (left > 0 && this.pieces.length > 0) {
      const p = this.pieces[0];
      if (p.length <= left) {
        head.push(p);
        this.pieces.shift();
        left -= p.length;
      } else {
        head.push(p.subarray(0, left));
        this.pieces[0] = p.subarray(left);
        left = 0;
      }
    }
    this.length -= n - left;
    return head;
  }

  /** Drops the last n bytes. */
  trimEnd(n: number): void {
    let left = Math.min(n, this.length);
    this.length -= left;
    while (left > 0) {
      const last = this.pieces[this.pieces.length - 1];
      if (last.length <= left) {
        this.pieces.pop();
        left -= last.length;
      } else {
        this.pieces[this.pieces.length - 1] = last.subarray(0, last.length - left);
        left = 0;
      }
    }
  }
}

/** One Buffer from pieces (the piece itself when single). */
export function joinPieces(pieces: readonly Buffer[], length?: number): Buffer {
  if (pieces.length === 1) return pieces[0];
  return Buffer.concat(pieces, length);
}

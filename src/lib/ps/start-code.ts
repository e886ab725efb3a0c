/**
 * Start codes `00 00 01 xx` (ISO/IEC 13818-1 §2.5.3.1 packet_start_code_prefix + stream_id) searched across chunk
 * boundaries: the caller keeps the last three bytes it saw (`prev`, big-endian, NO_PREV when unknown).
 */

export const PREFIX = Buffer.from([0, 0, 1]);
/** a `prev` that cannot end a prefix */
export const NO_PREV = 0xffffff;

/**
 * Index in buf of the id byte of the first `00 00 01 id` with accept(id) whose id lies at or after `from`;
 * its prefix may have begun in earlier chunks (`prev` = the three bytes before buf[from]). -1 when none.
 */
export function findStartCode(buf: Buffer, from: number, prev: number, accept: (id: number) => boolean): number {
  let w = prev & 0xffffff;
  const head = Math.min(buf.length, from + 3);
  for (let i = from; i < head; i++) {
    if (w === 1 && accept(buf[i])) return i;
    w = ((w << 8) | buf[i]) & 0xffffff;
  }
  let i = from;
  for (;;) {
    const z = buf.indexOf(PREFIX, i);
    if (z < 0 || z + 3 >= buf.length) return -1;
    if (accept(buf[z + 3])) return z + 3;
    i = z + 1;
  }
}

/** The three bytes before buf[end] as seen in a stream whose bytes before buf[from] ended with `prev`. */
export function lastThree(buf: Buffer, from: number, end: number, prev: number): number {
  let w = prev & 0xffffff;
  for (let i = Math.max(from, end - 3); i < end; i++) w = ((w << 8) | buf[i]) & 0xffffff;
  return w;
}

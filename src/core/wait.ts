/**
 * Lets the event loop turn (I/O, timers) between chunks of long synchronous work: SQLite statements run on the
 * main thread, and a chain of awaits on them never leaves the microtask queue on its own.
 */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Waits for `p` at most `ms` (for shutdown steps that may be cut short; a rejection of `p` passes through). The timer
 * is cleared, so a step that finishes early does not keep the process alive for the rest of `ms`.
 */
export async function waitAtMost(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

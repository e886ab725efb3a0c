/**
 * Lets the event loop turn (I/O, timers) between chunks of long synchronous work: SQLite statements run on the
 * main thread, and a chain of awaits on them never leaves the microtask queue on its own.
 */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

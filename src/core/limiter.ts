/** Runs at most `concurrency` async jobs at once; the rest wait in FIFO order (storm control). */
export class Limiter {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly concurrency: number) {}

  run<T>(job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const go = () => {
        this.running++;
        job()
          .then(resolve, reject)
          .finally(() => {
            this.running--;
            this.queue.shift()?.();
          });
      };
      if (this.running < this.concurrency) go();
      else this.queue.push(go);
    });
  }

  get waiting(): number {
    return this.queue.length;
  }

  get active(): number {
    return this.running;
  }
}

/** Counts over a sliding window of one-second buckets: bitrate and frame rate as measured (R12). */
export class RateMeter {
  private readonly buckets: number[];
  private readonly times: number[];
  private firstSec = -1;
  constructor(private readonly seconds = 5) {
    this.buckets = new Array(seconds).fill(0);
    this.times = new Array(seconds).fill(-1);
  }

  add(nowMs: number, amount: number): void {
    const sec = Math.floor(nowMs / 1000);
    if (this.firstSec < 0) this.firstSec = sec;
    const i = sec % this.seconds;
    if (this.times[i] !== sec) {
      this.times[i] = sec;
      this.buckets[i] = 0;
    }
    this.buckets[i] += amount;
  }

  /** per-second rate over the completed seconds of the window (the current, partial second is left out) */
  rate(nowMs: number): number {
    const sec = Math.floor(nowMs / 1000);
    let sum = 0;
    let n = 0;
    const span = Math.min(this.seconds - 1, sec - this.firstSec);
    for (let k = 1; k <= span; k++) {
      const s = sec - k;
      const i = ((s % this.seconds) + this.seconds) % this.seconds;
      if (this.times[i] === s) sum += this.buckets[i];
      n++;
    }
    return n ? sum / n : 0;
  }
}

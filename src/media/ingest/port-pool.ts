import { AppError } from '../../core/errors.js';

/**
 * Even ports from SHARPEYE_RTP_PORT_RANGE (RTP on even ports, RFC 3550 §11), handed out round-robin so a port just
 * freed is not reused at once (late packets of the old stream would land in the new one).
 */
export class PortPool {
  private readonly free: number[] = [];
  private readonly used = new Set<number>();

  constructor(min: number, max: number) {
    for (let p = min + (min % 2); p <= max; p += 2) this.free.push(p);
  }

  take(): number {
    const p = this.free.shift();
    if (p === undefined) throw new AppError('MEDIA_NO_PORT', `all ${this.used.size} receive ports are in use`);
    this.used.add(p);
    return p;
  }

  /** a port that could not be bound (taken by another program): put it at the back */
  release(p: number): void {
    if (!this.used.delete(p)) return;
    this.free.push(p);
  }

  get available(): number {
    return this.free.length;
  }

  get inUse(): number {
    return this.used.size;
  }
}

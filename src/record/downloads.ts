import { randomBytes } from 'node:crypto';

export interface DownloadJob {
  id: string;
  channelId: string;
  userId: string;
  start: string;
  end: string;
  totalBytes: number;
  doneBytes: number;
  /** percent, 0–100 */
  progress: number;
  state: 'running' | 'done' | 'failed' | 'aborted';
  skipped: Array<{ start: string; end: string; reason: string }>;
  startedAt: string;
  finishedAt?: string;
  bytesPerSec?: number;
}

/** Running and recent downloads with their progress, for the API and the console's download list (R5). */
export class DownloadJobs {
  private readonly jobs = new Map<string, DownloadJob & { t0: number }>();

  constructor(private readonly keep = 200) {}

  begin(j: Pick<DownloadJob, 'channelId' | 'userId' | 'start' | 'end' | 'totalBytes' | 'skipped'>): DownloadJob {
    const job = { ...j, id: randomBytes(8).toString('hex'), doneBytes: 0, progress: 0, state: 'running' as const, startedAt: new Date().toISOString(), t0: Date.now() };
    this.jobs.set(job.id, job);
    if (this.jobs.size > this.keep) {
      for (const [id, old] of this.jobs) {
        if (old.state !== 'running') {
          this.jobs.delete(id);
          break;
        }
      }
    }
    return job;
  }

  progress(id: string, done: number): void {
    const j = this.jobs.get(id);
    if (!j) return;
    j.doneBytes = done;
    j.progress = j.totalBytes ? Math.min(100, Math.floor((done / j.totalBytes) * 1000) / 10) : 100;
    const secs = (Date.now() - j.t0) / 1000;
    if (secs > 0) j.bytesPerSec = Math.round(done / secs);
  }

  finish(id: string, state: 'done' | 'failed' | 'aborted'): DownloadJob | undefined {
    const j = this.jobs.get(id);
    if (!j) return undefined;
    j.state = state;
    j.finishedAt = new Date().toISOString();
    return view(j);
  }

  get(id: string): DownloadJob | undefined {
    const j = this.jobs.get(id);
    return j ? view(j) : undefined;
  }

  list(userId?: string): DownloadJob[] {
    return [...this.jobs.values()].filter((j) => !userId || j.userId === userId).map(view).reverse();
  }
}

function view(j: DownloadJob & { t0: number }): DownloadJob {
  const { t0: _t0, ...rest } = j;
  return { ...rest, skipped: [...rest.skipped] };
}

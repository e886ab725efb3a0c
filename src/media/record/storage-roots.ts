import { mkdirSync, statfsSync } from 'node:fs';

export interface StorageRoot {
  path: string;
  totalBytes: number;
  freeBytes: number;
  /** false when the directory cannot be used (unmounted disk, permissions) */
  ok: boolean;
  error?: string;
}

/**
 * The recording directories of a media node (SHARPEYE_RECORD_DIRS: added disks are more directories). New segments go
 * to the root with the most free space; statfs is cached briefly because it is asked once per segment.
 */
export class StorageRoots {
  private cache?: { at: number; roots: StorageRoot[] };

  constructor(
    readonly paths: string[],
    private readonly now: () => number = Date.now,
    /** test hook: pretend free space (bytes) per root */
    private readonly statfs: (p: string) => { total: number; free: number } = realStatfs,
  ) {
    for (const p of paths) {
      try {
        mkdirSync(p, { recursive: true });
      } catch {
        /* reported by list() */
      }
    }
  }

  list(fresh = false): StorageRoot[] {
    const t = this.now();
    if (!fresh && this.cache && t - this.cache.at < 2000) return this.cache.roots;
    const roots = this.paths.map((p): StorageRoot => {
      try {
        const s = this.statfs(p);
        return { path: p, totalBytes: s.total, freeBytes: s.free, ok: true };
      } catch (e) {
        return { path: p, totalBytes: 0, freeBytes: 0, ok: false, error: (e as Error).message };
      }
    });
    this.cache = { at: t, roots };
    return roots;
  }

  /** The usable root with the most free space, or undefined when none has more than minFreeBytes. */
  pick(minFreeBytes: number): StorageRoot | undefined {
    let best: StorageRoot | undefined;
    for (const r of this.list()) if (r.ok && r.freeBytes > minFreeBytes && (!best || r.freeBytes > best.freeBytes)) best = r;
    return best;
  }

  rootOf(file: string): string | undefined {
    return this.paths.find((p) => file.startsWith(p.endsWith('/') ? p : `${p}/`));
  }
}

function realStatfs(p: string): { total: number; free: number } {
  const s = statfsSync(p);
  return { total: s.blocks * s.bsize, free: s.bavail * s.bsize };
}

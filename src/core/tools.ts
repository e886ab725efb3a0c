import { spawnSync } from 'node:child_process';

/** Optional system tools, called as separate processes; missing ones switch features off with a clear note. */
export function hasTool(cmd: string, args: string[] = ['-version']): boolean {
  try {
    return spawnSync(cmd, args, { stdio: 'ignore', timeout: 5000 }).status === 0;
  } catch {
    return false;
  }
}

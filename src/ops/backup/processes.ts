import { spawn } from 'node:child_process';
import { AppError } from '../../core/errors.js';

/** A PostgreSQL URL without its password (argv is visible to every local user) and the env carrying it. */
export function pgTarget(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  return { dbname: u.toString(), env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } };
}

/** Runs a tool to completion; a failure carries the tail of its stderr. */
export function runTool(cmd: string, args: string[], env: NodeJS.ProcessEnv, onStdout?: (b: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', onStdout ? 'pipe' : 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (b: Buffer) => {
      err = (err + b.toString('utf8')).slice(-4000);
    });
    if (onStdout) child.stdout!.on('data', onStdout);
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'ENOENT' ? new AppError('FEATURE_UNAVAILABLE', `${cmd} is not installed (apt-get install postgresql-client)`) : e);
    });
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(Object.assign(new Error(`${cmd} exited with ${code}: ${err.trim()}`), { stderr: err }));
    });
  });
}

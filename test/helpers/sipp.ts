import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const SIPP_DIR = path.resolve(import.meta.dirname, '../sipp');

export async function freeUdpPort(): Promise<number> {
  // A free TCP port is free for UDP here often enough; sipp binds both.
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

export interface SippRun {
  code: number | null;
  output: string;
  errors: string;
}

/** Runs Debian's sipp (an independent SIP peer) as a device against our server; resolves when it exits. */
export function runSipp(opts: { auth?: { username: string; password: string }; server: string; scenario: string; ooc?: string; localPort: number; vars: Record<string, string | number>; timeoutS?: number; transport?: 'u1' | 't1'; pauseMs?: number }): Promise<SippRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sipp-'));
  const args = [opts.server, '-sf', path.join(SIPP_DIR, opts.scenario), '-m', '1', '-i', '127.0.0.1', '-p', String(opts.localPort), '-nostdin', '-timeout', `${opts.timeoutS ?? 30}s`, '-timeout_error', '-trace_err', '-t', opts.transport ?? 'u1'];
  if (opts.ooc) args.push('-oocsf', path.join(SIPP_DIR, opts.ooc));
  args.push('-d', String(opts.pauseMs ?? 2000));
  if (opts.auth) args.push('-au', opts.auth.username, '-ap', opts.auth.password);
  for (const [k, v] of Object.entries(opts.vars)) args.push('-set', k, String(v));
  return new Promise((resolve, reject) => {
    const p = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (d) => (output += d));
    p.stderr.on('data', (d) => (output += d));
    p.on('error', reject);
    p.on('close', (code) => {
      const errFiles = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('_errors.log')) : [];
      const errors = errFiles.map((f) => readFileSync(path.join(dir, f), 'utf8')).join('\n');
      resolve({ code, output: output.slice(-4000), errors: errors.slice(-6000) });
    });
  });
}

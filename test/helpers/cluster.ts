import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP port free right now (the OS picks it; the caller binds it soon after). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A port free right now on both TCP and UDP (SIP binds both; a TCP-free port may be a busy UDP one). */
export async function freeTcpUdpPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    const ok = await new Promise<boolean>((resolve) => {
      const u = createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (ok) return port;
  }
}

export interface NodeProcess {
  name: string;
  child: ChildProcess;
  httpPort: number;
  env: Record<string, string>;
  log: () => string;
  /** `signal`, then SIGKILL if still running after `graceMs` */
  kill(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

/** One `tsx src/main.ts` process (any role) on free ports with its own data dir; resolves once /api/v1/health answers. */
export async function startNode(name: string, env: Record<string, string>, timeoutMs = 60_000): Promise<NodeProcess> {
  const httpPort = Number(env.SHARPEYE_HTTP_PORT ?? (await freePort()));
  const full: Record<string, string> = {
    SHARPEYE_DATA_DIR: mkdtempSync(path.join(tmpdir(), `sharpeye-${name}-`)),
    SHARPEYE_HOST: '127.0.0.1',
    SHARPEYE_LOG_LEVEL: 'info',
    SHARPEYE_NODE_ID: name,
    SHARPEYE_RTSP_PORT: String(await freePort()),
    SHARPEYE_RTMP_PORT: String(await freePort()),
    ...env,
    SHARPEYE_HTTP_PORT: String(httpPort),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: { ...process.env, ...full }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (b: Buffer) => {
    out += b.toString();
    if (out.length > 400_000) out = out.slice(-200_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const node: NodeProcess = {
    name,
    child,
    httpPort,
    env: full,
    log: () => out,
    async kill(signal = 'SIGTERM', graceMs = 8000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer); // a pending timer would keep the test process alive
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${out.slice(-3000)}`);
    const ok = await fetch(`http://127.0.0.1:${httpPort}/api/v1/health`).then((r) => r.ok, () => false);
    if (ok) return node;
    await sleep(250);
  }
  await node.kill('SIGKILL');
  throw new Error(`${name} did not become healthy in ${timeoutMs} ms:\n${out.slice(-3000)}`);
}

export const clusterKey = () => randomBytes(32).toString('hex');
export const clusterName = () => `t${randomBytes(5).toString('hex')}`;

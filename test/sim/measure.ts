/**
 * Simulator scale measurement (not part of the suite):
 *   node --expose-gc --import tsx test/sim/measure.ts --devices 20000 --peer sipp|mini [--transport udp|tcp]
 *        [--channels 5] [--rate 0] [--steady 60] [--keepalive 60]
 * The peer registrar runs in its own process (sipp, or the test's MiniPlatform via --serve), so the figures are
 * the simulator's: time until every device is registered, its CPU, heap and RSS per device, event-loop delay,
 * and CPU in steady state (keepalives only).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger } from '../../src/core/logger.js';
import { Simulator } from '../../src/sim/simulator.js';
import { DOMAIN, MiniPlatform, PASSWORD, SERVER_ID } from './mini-platform.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    serve: { type: 'boolean' },
    devices: { type: 'string', default: '20000' },
    channels: { type: 'string', default: '5' },
    transport: { type: 'string', default: 'udp' },
    peer: { type: 'string', default: 'mini' },
    rate: { type: 'string', default: '0' },
    steady: { type: 'string', default: '0' },
    keepalive: { type: 'string', default: '60' },
  },
});


async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function startPeer(kind: string, transport: string): Promise<{ port: number; child: ChildProcess }> {
  if (kind === 'sipp') {
    const port = await freeUdpPort();
    const child = spawn('sipp', ['-sf', path.join(here, 'sipp', 'platform-register-keepalive.xml'), '-i', '127.0.0.1', '-p', String(port), '-bind_local',
      '-t', transport === 'tcp' ? 'tn' : 'u1', '-key', 'password', PASSWORD, '-key', 'qop', ', qop="auth"', '-nostdin', '-max_socket', '15000',
      '-timeout', '3600s', '-trace_err'], { cwd: mkdtempSync(path.join(tmpdir(), 'sipp-measure-')), stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 500));
    return { port, child };
  }
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  return { port, child };
}

const gc = () => (globalThis as { gc?: () => void }).gc?.();
const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;

async function measure(port: number): Promise<void> {
  const devices = Number(values.devices);
  gc();
  const m0 = process.memoryUsage();
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const sim = new Simulator({
    server: `127.0.0.1:${port}`,
    serverId: SERVER_ID,
    domain: DOMAIN,
    password: PASSWORD,
    devices,
    channelsPerDevice: Number(values.channels),
    transport: values.transport as 'udp' | 'tcp',
    registerRate: Number(values.rate),
    keepalive: Number(values.keepalive),
    log: createLogger('warn'),
  });
  const c0 = process.cpuUsage();
  const t0 = Date.now();
  await sim.start();
  const progress = setInterval(() => {
    const s = sim.stats();
    process.stderr.write(`${JSON.stringify({ t: s.t, registered: s.registered, registering: s.registering, failed: s.failed, retransmits: s.retransmits, timeouts: s.timeouts, rssMB: s.rssMB })}\n`);
  }, 1000);
  const seconds = await sim.whenAllRegistered(600_000);
  const c1 = process.cpuUsage(c0);
  const regStats = sim.stats();
  lag.disable();
  await new Promise((r) => setTimeout(r, 2000));
  gc();
  const m1 = process.memoryUsage();
  const result: Record<string, unknown> = {
    peer: values.peer,
    transport: values.transport,
    devices,
    channels: devices * Number(values.channels),
    registerRate: Number(values.rate) || 'unlimited',
    allRegisteredS: Math.round(seconds * 100) / 100,
    devicesPerS: Math.round(devices / seconds),
    cpuDuringStormS: Math.round(((c1.user + c1.system) / 1e6) * 100) / 100,
    eventLoopDelayMaxMs: Math.round(lag.max / 1e6),
    eventLoopDelayP99Ms: Math.round(lag.percentile(99) / 1e6),
    retransmits: regStats.retransmits,
    timeouts: regStats.timeouts,
    registerFailures: regStats.registerFailures,
    sockets: regStats.sockets,
    heapMB: mb(m1.heapUsed),
    rssMB: mb(m1.rss),
    heapPerDeviceKB: Math.round(((m1.heapUsed - m0.heapUsed) / devices / 1024) * 100) / 100,
    rssPerDeviceKB: Math.round(((m1.rss - m0.rss) / devices / 1024) * 100) / 100,
    wallS: Math.round((Date.now() - t0) / 100) / 10,
  };
  const steady = Number(values.steady);
  if (steady > 0) {
    // first let every device reach its keepalive rhythm (the first keepalive comes 0.3–1 interval after registering)
    await new Promise((r) => setTimeout(r, Number(values.keepalive) * 1000));
    const s0 = sim.stats();
    const cs = process.cpuUsage();
    const ts = Date.now();
    await new Promise((r) => setTimeout(r, steady * 1000));
    const cu = process.cpuUsage(cs);
    const s1 = sim.stats();
    result.steadyS = steady;
    result.steadyCpuPercent = Math.round(((cu.user + cu.system) / 1000 / (Date.now() - ts)) * 1000) / 10;
    result.steadyKeepalivesPerS = Math.round((s1.keepalivesSent - s0.keepalivesSent) / steady);
    result.steadyKeepaliveErrors = s1.keepaliveErrors - s0.keepaliveErrors;
    result.steadyRegistered = s1.registered;
    gc();
    const m2 = process.memoryUsage();
    result.steadyHeapMB = mb(m2.heapUsed);
    result.steadyRssMB = mb(m2.rss);
  }
  clearInterval(progress);
  const st = Date.now();
  await sim.stop(30_000);
  result.unregisterS = Math.round((Date.now() - st) / 100) / 10;
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (values.serve) {
  const p = await MiniPlatform.start();
  p.keep = false;
  process.stdout.write(`${p.sockets.local.port}\n`);
  process.on('SIGTERM', () => void p.close().then(() => process.exit(0)));
} else {
  const peer = await startPeer(values.peer!, values.transport!);
  try {
    await measure(peer.port);
  } finally {
    peer.child.kill('SIGTERM');
  }
  process.exit(0);
}

/**
 * Register storm (issue 4): N simulated GB/T 28181 devices × M channels register at once with a real sharpeye
 * server (child process); measures time until all are registered and catalogued, the server's worst event-loop
 * delay, its CPU and memory per device, then the steady-state keepalive cost.
 * Prints ratios against the goals and against the same server idle (reference) in one run.
 *   npx tsx bench/register-storm.ts --devices 20000 --channels 5 [--transport tcp] [--steady 60] [--keepalive 60]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../src/core/logger.js';
import { Simulator } from '../src/sim/simulator.js';

const { values: a } = parseArgs({
  options: {
    devices: { type: 'string', default: '20000' },
    channels: { type: 'string', default: '5' },
    transport: { type: 'string', default: 'udp' },
    steady: { type: 'string', default: '60' },
    keepalive: { type: 'string', default: '60' },
    timeout: { type: 'string', default: '300' },
  },
});
const N = Number(a.devices);
const M = Number(a.channels);
const CLK = 100; // USER_HZ
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime
}
function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function main() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sharpeye-storm-'));
  const http = 21000 + Math.floor(Math.random() * 1000);
  const sip = 25000 + Math.floor(Math.random() * 1000);
  // Other ports away from their defaults too, so the bench can run next to another sharpeye (or another bench).
  const rtsp = 26000 + Math.floor(Math.random() * 1000);
  const rtmp = 27000 + Math.floor(Math.random() * 1000);
  const rtp = 40000 + Math.floor(Math.random() * 200) * 100;
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const server = spawn(process.execPath, [...prof, '--max-old-space-size=4096', '--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, SHARPEYE_DATA_DIR: dataDir, SHARPEYE_HTTP_PORT: String(http), SHARPEYE_SIP_PORT: String(sip), SHARPEYE_RTSP_PORT: String(rtsp), SHARPEYE_RTMP_PORT: String(rtmp), SHARPEYE_RTP_PORT_RANGE: `${rtp}-${rtp + 99}`, SHARPEYE_HOST: '127.0.0.1', SHARPEYE_ADMIN_PASSWORD: 'Admin@12345', SHARPEYE_LOG_LEVEL: 'error', SHARPEYE_WEB_DIR: path.join(dataDir, 'none') },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${http}/api/v1`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {
      /* starting */
    }
    if (i > 150) throw new Error('server did not start');
    await sleep(200);
  }
  const { token } = (await (await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'Admin@12345' }) })).json()) as { token: string };
  const get = async (p: string) => (await fetch(`${base}${p}`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<Record<string, any>>;

  // Reference: the idle server's CPU over 5 s.
  await get('/gb/status?reset=1');
  const idle0 = cpuTicks(server.pid!);
  await sleep(5000);
  const idleCpu = (cpuTicks(server.pid!) - idle0) / CLK / 5;
  const rss0 = rssMB(server.pid!);

  const sim = new Simulator({ server: `127.0.0.1:${sip}`, serverId: '35020000002000000001', domain: '3502000000', password: '12345678', devices: N, channelsPerDevice: M, transport: a.transport as 'udp' | 'tcp', keepalive: Number(a.keepalive), log: createLogger('error') });
  await get('/gb/status?reset=1');
  const cpu0 = cpuTicks(server.pid!);
  const t0 = Date.now();
  await sim.start();
  let registeredAt = 0;
  let cataloguedAt = 0;
  let last = '';
  while (Date.now() - t0 < Number(a.timeout) * 1000) {
    await sleep(1000);
    const st = await get('/gb/status');
    const ch = (await get('/channels?pageSize=1')).total as number;
    if (!registeredAt && st.online >= N) registeredAt = Date.now();
    if (!cataloguedAt && ch >= N * M) cataloguedAt = Date.now();
    last = `t=${((Date.now() - t0) / 1000).toFixed(0)}s online ${st.online}/${N} channels ${ch}/${N * M} queued ${st.onboardingQueued} loop max ${st.eventLoop?.maxMs} ms sim ${JSON.stringify({ reg: sim.stats().registered, failed: sim.stats().failed })}`;
    console.log(last);
    if (registeredAt && cataloguedAt && st.onboardingQueued === 0) break;
  }
  const stormS = ((cataloguedAt || Date.now()) - t0) / 1000;
  const stormCpu = (cpuTicks(server.pid!) - cpu0) / CLK;
  const stStorm = await get('/gb/status?reset=1');
  const rss1 = rssMB(server.pid!);

  // Steady state: keepalives only.
  const steady = Number(a.steady);
  const c1 = cpuTicks(server.pid!);
  await sleep(steady * 1000);
  const steadyCpu = (cpuTicks(server.pid!) - c1) / CLK / steady;
  const stSteady = await get('/gb/status');

  console.log(`\n=== register storm: ${N} devices × ${M} channels over ${a.transport} ===`);
  console.log(`all registered: ${registeredAt ? ((registeredAt - t0) / 1000).toFixed(1) : 'NO'} s; all catalogued: ${cataloguedAt ? ((cataloguedAt - t0) / 1000).toFixed(1) : 'NO'} s (goal 60 s → ratio ${(stormS / 60).toFixed(2)})`);
  console.log(`server CPU during storm: ${stormCpu.toFixed(1)} s = ${((stormCpu / stormS) * 100).toFixed(0)} % of one core; worst event-loop delay ${stStorm.eventLoop?.maxMs} ms (limit 200 → ratio ${(stStorm.eventLoop?.maxMs / 200).toFixed(2)}), p99 ${stStorm.eventLoop?.p99Ms} ms`);
  console.log(`SIP messages: ${stStorm.sip?.received} received, ${stStorm.sip?.sent} sent = ${((stStorm.sip?.received + stStorm.sip?.sent) / N).toFixed(1)} per device; ${((stormCpu * 1000) / N).toFixed(2)} ms server CPU per device`);
  console.log(`memory: ${rss0.toFixed(0)} MB idle → ${rss1.toFixed(0)} MB = ${(((rss1 - rss0) * 1024) / N).toFixed(1)} KB per device (${N * M} channels)`);
  console.log(`steady state (keepalive ${a.keepalive} s): ${(steadyCpu * 100).toFixed(2)} % of one core (goal < 5 % → ratio ${(steadyCpu / 0.05).toFixed(2)}); idle reference ${(idleCpu * 100).toFixed(2)} %; event-loop max ${stSteady.eventLoop?.maxMs} ms; online ${stSteady.online}`);
  await sim.stop();
  server.kill('SIGTERM');
  await sleep(500);
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

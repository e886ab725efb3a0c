/**
 * Register storm (issue 4): N simulated GB/T 28181 devices × M channels register at once with a real sharpeye
 * server (child process); measures time until all are registered and catalogued (and until the onboarding queue,
 * subscriptions included, has drained), the server's worst event-loop delay, its CPU and memory per device, then
 * the steady-state keepalive cost. The simulator runs as its own process (bin/sharpeye-sim.mjs --stats), so the
 * bench, the simulator and the server each have their own event loop; the load average before/after is printed
 * because the 2 cores are shared (other processes make every figure worse, the event-loop delay most of all).
 * Prints ratios against the goals and against the same server idle (reference) in one run.
 * BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the server (node --cpu-prof) there; BENCH_NODE_FLAGS adds node flags
 * (e.g. --trace-gc).
 *   npx tsx bench/register-storm.ts --devices 20000 --channels 5 [--transport tcp] [--steady 60] [--keepalive 60]
 *
 * Last measured (2026-11-26, 2-core machine, nothing else running — see docs/gb28181.md#scale):
 *   20,000 × 5 UDP: all registered 6–10 s, all catalogued 22.7–24.8 s (goal 60 s), 1.7–1.8 ms server CPU per
 *   device, worst loop delay 121–195 ms (p99 40–45 ms), 49–56 KB RSS per device; steady keepalive 3.2–6.8 % of one
 *   core before the availability probe starts, 6.7–6.9 % with it (main thread 4.3–5.5 %, GC helper threads 1.4–2.5 %).
 *   5,000 × 5 TCP: catalogued 9.3 s, worst loop delay 156 ms, steady 5.0 %.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';

const { values: a } = parseArgs({
  options: {
    devices: { type: 'string', default: '20000' },
    channels: { type: 'string', default: '5' },
    transport: { type: 'string', default: 'udp' },
    steady: { type: 'string', default: '60' },
    settle: { type: 'string', default: '15' },
    keepalive: { type: 'string', default: '60' },
    timeout: { type: 'string', default: '300' },
  },
});
const N = Number(a.devices);
const M = Number(a.channels);
const CLK = 100; // USER_HZ
const children: ReturnType<typeof spawn>[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime
}
/** utime+stime per thread: the main (event-loop) thread, then the others by name (V8 GC helpers, libuv pool, …) */
function threadTicks(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const raw = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = tid === String(pid) ? 'main' : raw.slice(raw.indexOf('(') + 1, raw.lastIndexOf(')')).replace(/\d+$/, '#');
      const f = raw.slice(raw.lastIndexOf(') ') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + Number(f[11]) + Number(f[12]));
    } catch {
      /* thread ended */
    }
  }
  return out;
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
  const extra = process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : [];
  const server = spawn(process.execPath, [...prof, ...extra, '--max-old-space-size=4096', '--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, SHARPEYE_DATA_DIR: dataDir, SHARPEYE_HTTP_PORT: String(http), SHARPEYE_SIP_PORT: String(sip), SHARPEYE_RTSP_PORT: String(rtsp), SHARPEYE_RTMP_PORT: String(rtmp), SHARPEYE_RTP_PORT_RANGE: `${rtp}-${rtp + 99}`, SHARPEYE_HOST: '127.0.0.1', SHARPEYE_ADMIN_PASSWORD: 'Admin@12345', SHARPEYE_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error', SHARPEYE_WEB_DIR: path.join(dataDir, 'none') },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(server);
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

  // Reference: the idle server's CPU over 5 s, after 5 s of settling (start-up compilation and GC finish first).
  await sleep(5000);
  await get('/gb/status?reset=1');
  const idle0 = cpuTicks(server.pid!);
  await sleep(5000);
  const idleCpu = (cpuTicks(server.pid!) - idle0) / CLK / 5;
  const rss0 = rssMB(server.pid!);
  const load0 = loadavg();

  // The simulator is its own process (bin/sharpeye-sim.mjs), so it does not share the bench's event loop; its
  // --stats lines (one JSON object a second) are read from its stdout.
  const simArgs = ['bin/sharpeye-sim.mjs', '--server', `127.0.0.1:${sip}`, '--server-id', '35020000002000000001', '--domain', '3502000000', '--password', '12345678', '--devices', String(N), '--channels-per-device', String(M), '--transport', a.transport!, '--keepalive', a.keepalive!, '--stats', '--log-level', 'error'];
  await get('/gb/status?reset=1');
  const cpu0 = cpuTicks(server.pid!);
  const t0 = Date.now();
  const simProc = spawn(process.execPath, ['--max-old-space-size=4096', ...simArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(simProc);
  let simStats: Record<string, number> = {};
  createInterface({ input: simProc.stdout! }).on('line', (l) => {
    try {
      simStats = JSON.parse(l);
    } catch {
      /* not a stats line */
    }
  });
  const sim = {
    stats: () => simStats,
    stop: () =>
      new Promise<void>((resolve) => {
        simProc.once('exit', () => resolve());
        simProc.kill('SIGTERM');
        setTimeout(resolve, 15_000).unref();
      }),
  };
  const simCpu0 = () => (simProc.pid ? cpuTicks(simProc.pid) : 0);
  let registeredAt = 0;
  let cataloguedAt = 0;
  let drainedAt = 0;
  let last = '';
  while (Date.now() - t0 < Number(a.timeout) * 1000) {
    await sleep(1000);
    const st = await get('/gb/status');
    const ch = (await get('/channels?pageSize=1')).total as number;
    if (!registeredAt && st.online >= N) registeredAt = Date.now();
    if (!cataloguedAt && ch >= N * M) cataloguedAt = Date.now();
    if (registeredAt && cataloguedAt && st.onboardingQueued === 0 && !st.onboarding?.running) drainedAt = Date.now();
    last = `t=${((Date.now() - t0) / 1000).toFixed(0)}s online ${st.online}/${N} channels ${ch}/${N * M} queued ${st.onboardingQueued} (catalog ${st.onboarding?.catalogQueued}, running ${st.onboarding?.running}/${st.onboarding?.limit}) subs ${st.subscriptions} loop max ${st.eventLoop?.maxMs} ms load ${loadavg()[0].toFixed(1)} sim ${JSON.stringify({ reg: sim.stats().registered, failed: sim.stats().failed })}`;
    console.log(last);
    if (drainedAt) break;
  }
  const stormS = ((cataloguedAt || Date.now()) - t0) / 1000;
  const drainS = ((drainedAt || Date.now()) - t0) / 1000;
  const stormCpu = (cpuTicks(server.pid!) - cpu0) / CLK;
  const simStormCpu = simCpu0() / CLK;
  const stStorm = await get('/gb/status?reset=1');
  const rss1 = rssMB(server.pid!);

  // Steady state: keepalives only, after the storm's garbage is collected and its timers have run out.
  await sleep(Number(a.settle) * 1000);
  const steady = Number(a.steady);
  const c1 = cpuTicks(server.pid!);
  const th1 = threadTicks(server.pid!);
  await sleep(steady * 1000);
  const steadyCpu = (cpuTicks(server.pid!) - c1) / CLK / steady;
  const th2 = threadTicks(server.pid!);
  const byThread = [...th2].map(([k, v]) => [k, (v - (th1.get(k) ?? 0)) / CLK / steady] as const).filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]);
  const stSteady = await get('/gb/status');

  console.log(`\n=== register storm: ${N} devices × ${M} channels over ${a.transport} ===`);
  console.log(`load average before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${loadavg().map((x) => x.toFixed(2)).join(' ')} (2 shared cores)`);
  console.log(`all registered: ${registeredAt ? ((registeredAt - t0) / 1000).toFixed(1) : 'NO'} s; all catalogued: ${cataloguedAt ? ((cataloguedAt - t0) / 1000).toFixed(1) : 'NO'} s (goal 60 s → ratio ${(stormS / 60).toFixed(2)}); onboarding incl. subscriptions drained: ${drainedAt ? ((drainedAt - t0) / 1000).toFixed(1) : 'NO'} s`);
  console.log(`server CPU during storm (until drained): ${stormCpu.toFixed(1)} s = ${((stormCpu / drainS) * 100).toFixed(0)} % of one core; worst event-loop delay ${stStorm.eventLoop?.maxMs} ms (limit 200 → ratio ${(stStorm.eventLoop?.maxMs / 200).toFixed(2)}), p99 ${stStorm.eventLoop?.p99Ms} ms`);
  console.log(`simulator process CPU during storm: ${simStormCpu.toFixed(1)} s (own process, same 2 cores); its counters ${JSON.stringify(sim.stats())}`);
  console.log(`SIP messages: ${stStorm.sip?.received} received, ${stStorm.sip?.sent} sent = ${((stStorm.sip?.received + stStorm.sip?.sent) / N).toFixed(1)} per device; ${((stormCpu * 1000) / N).toFixed(2)} ms server CPU per device`);
  console.log(`memory: ${rss0.toFixed(0)} MB idle → ${rss1.toFixed(0)} MB = ${(((rss1 - rss0) * 1024) / N).toFixed(1)} KB per device (${N * M} channels)`);
  console.log(`steady state (keepalive ${a.keepalive} s): ${(steadyCpu * 100).toFixed(2)} % of one core (goal < 5 % → ratio ${(steadyCpu / 0.05).toFixed(2)}); idle reference ${(idleCpu * 100).toFixed(2)} %; event-loop max ${stSteady.eventLoop?.maxMs} ms; online ${stSteady.online}`);
  console.log(`  by thread: ${byThread.map(([k, v]) => `${k} ${(v * 100).toFixed(2)} %`).join(', ')}`);
  await sim.stop();
  server.kill('SIGTERM');
  await sleep(500);
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
});

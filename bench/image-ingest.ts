/**
 * Face-capture ingest through the served seed interface (issue 12): `POST /redis/rest/face/saveImageData.json`
 * with form fields, each capture 3 faces of 20 KB + a 300 KB background (≈ 480 KB of base64 per request), spread
 * over 20 cameras, paced by a load generator in a child process. The platform runs in this process on SQLite
 * (files under a temp data dir) and, unless --no-forward, forwards every capture to a stub bureau in the child, so
 * the figures include the forwarder (read back, base64, send) and show whether its queue keeps up.
 *
 * Phases (default): burst 200 captures/s for 10 s, then sustained 20/s for 60 s (`--sustained 300` for the issue's
 * 5 minutes). Printed per phase: captures answered success / sent, answer latency p50/p99, server CPU (cores and
 * ms per capture), bytes written per capture (image bytes, files on disk, everything the process wrote per
 * /proc/self/io, database growth), forwarding queue depth max/at end and the time it took to drain, event-loop
 * delay p99. The data dir is removed at the end (and images between phases).
 *   npx tsx bench/image-ingest.ts [--burst 200x10] [--sustained 60] [--rate 20] [--no-forward] [--cameras 20]
 * Other engineers' jobs share the 2 cores of the CI box: repeat runs and read the spread.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: a } = parseArgs({
  options: {
    child: { type: 'boolean', default: false },
    burst: { type: 'string', default: '200x10' },
    sustained: { type: 'string', default: '60' },
    rate: { type: 'string', default: '20' },
    cameras: { type: 'string', default: '20' },
    'no-forward': { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '64' },
  },
});

const NODE_ID = '35020000002000000001';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] : 0);

// ------------------------------------------------------------------------------------------------ child: load + bureau
interface RunMsg {
  run: { base: string; rate: number; seconds: number; cameras: string[]; concurrency: number; startIndex: number };
}

async function child(): Promise<void> {
  const { answerChallenge } = await import('../src/lib/sip/digest.js');
  // stub bureau: answers every seed call with success, drains and counts saveImageData bodies
  let bureauSaves = 0;
  let bureauBytes = 0;
  const bureau = http.createServer((req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => {
      const op = /\/(\w+)\.json/.exec(req.url ?? '')?.[1];
      if (op === 'saveImageData') {
        bureauSaves++;
        bureauBytes += n;
      }
      const result = op === 'authenticate' ? { serviceName: op, appIdentityKey: 'bench' } : op === 'timing' ? { systemTime: '2026-11-25 10:00:00' } : { serviceName: op };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ success: true, result }));
    });
  });
  await new Promise<void>((r) => bureau.listen(0, '127.0.0.1', () => r()));
  process.send!({ bureauPort: (bureau.address() as { port: number }).port });

  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const post = (url: URL, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> =>
    new Promise((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), headers: res.headers }));
      });
      req.on('error', reject);
      req.end(body);
    });

  const face20 = [randomBytes(20_000), randomBytes(20_000), randomBytes(20_000)];
  const bg = randomBytes(300_000);
  for (const b of [...face20, bg]) b.writeUInt32BE(0xffd8ffe0, 0);

  process.on('message', async (m: RunMsg | { stats: true } | { exit: true }) => {
    if ('exit' in m) process.exit(0);
    if ('stats' in m) {
      process.send!({ stats: { bureauSaves, bureauBytes, cpu: process.cpuUsage() } });
      return;
    }
    const { base, rate, seconds, cameras, concurrency, startIndex } = m.run;
    // node authentication: one key for every camera (digest first)
    const authUrl = new URL(`${base}/redis/rest/face/authenticate.json`);
    const first = await post(authUrl, `nodeID=${NODE_ID}`);
    const authz = answerChallenge(String(first.headers['www-authenticate']), { username: 'lpt', password: 'lpt123', method: 'POST', uri: authUrl.pathname });
    const key = JSON.parse((await post(authUrl, `nodeID=${NODE_ID}`, { authorization: authz })).text).result.appIdentityKey as string;
    const json = JSON.stringify({
      deviceID: '@@GATE@@',
      localTime: '20261125100000',
      deviceTime: '@@TIME@@',
      locationName: '环岛路',
      resolutionRatio: '1920X1080',
      longitude: '118.13',
      latitude: '24.47',
      qualityGrane: '1',
      faceImages: face20.map((f, i) => ({ type: 'jpg', content: f.toString('base64'), facePos: { leftTopX: i * 300, leftTopY: 100, rightBottomX: i * 300 + 200, rightBottomY: 300 } })),
      backgroundImage: { type: 'jpg', content: bg.toString('base64'), width: 1920, height: 1080 },
    });
    const enc = encodeURIComponent(json);
    const [p0, rest] = enc.split(encodeURIComponent('@@GATE@@'));
    const [p1, p2] = rest.split(encodeURIComponent('@@TIME@@'));
    const saveUrl = new URL(`${base}/redis/rest/face/saveImageData.json`);
    const total = Math.round(rate * seconds);
    const t0 = performance.now();
    const base0 = Date.UTC(2026, 10, 25, 2, 0, 0);
    const lat: number[] = [];
    let ok = 0;
    let failed = 0;
    let late = 0;
    let inflight = 0;
    let bytes = 0;
    const errors: Record<string, number> = {};
    await new Promise<void>((done) => {
      let i = 0;
      let finished = 0;
      const tick = () => {
        const now = performance.now();
        while (i < total && t0 + (i * 1000) / rate <= now) {
          if (inflight >= concurrency) {
            late++;
            break;
          }
          const n = startIndex + i++;
          const gate = cameras[n % cameras.length];
          const t = new Date(base0 + n * 5 + 8 * 3600_000).toISOString().replace(/\D/g, '').slice(0, 17); // YYYYMMDDhhmmssSSS, China time
          const body = `imageGateTagCode=${gate}&appIdentityKey=${key}&imageJsonData=${p0}${gate}${p1}${t}${p2}`;
          bytes += body.length;
          inflight++;
          const s = performance.now();
          post(saveUrl, body)
            .then((r) => {
              lat.push(performance.now() - s);
              if (r.status === 200 && r.text.includes('"success":true')) ok++;
              else {
                failed++;
                errors[r.text.slice(0, 80)] = (errors[r.text.slice(0, 80)] ?? 0) + 1;
              }
            })
            .catch((e) => {
              failed++;
              errors[String(e.code ?? e.message)] = (errors[String(e.code ?? e.message)] ?? 0) + 1;
            })
            .finally(() => {
              inflight--;
              if (++finished === total) done();
            });
        }
        if (i < total) setTimeout(tick, 2);
      };
      tick();
    });
    const wall = (performance.now() - t0) / 1000;
    process.send!({ result: { sent: total, ok, failed, errors, wall, rate: ok / wall, p50: pct(lat, 50), p99: pct(lat, 99), requestBytes: bytes / total, lateTicks: late } });
  });
}

// ------------------------------------------------------------------------------------------------ parent: platform
function dirBytes(dir: string): number {
  let n = 0;
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const x of names) {
    const p = path.join(dir, x);
    const s = statSync(p);
    n += s.isDirectory() ? dirBytes(p) : s.size;
  }
  return n;
}

function ioWritten(): number {
  try {
    return Number(/write_bytes:\s*(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

function dbBytes(dataDir: string): number {
  return ['sharpeye.db', 'sharpeye.db-wal'].reduce((s, f) => {
    try {
      return s + statSync(path.join(dataDir, f)).size;
    } catch {
      return s;
    }
  }, 0);
}

async function parent(): Promise<void> {
  const { buildApp } = await import('../src/api/app.js');
  const { loadConfig } = await import('../src/config/index.js');
  const { createLogger } = await import('../src/core/logger.js');
  const { createPlatform } = await import('../src/platform.js');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sharpeye-img-bench-'));
  let kid: ChildProcess | undefined;
  const cleanup = () => {
    kid?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const config = loadConfig({ SHARPEYE_DATA_DIR: dataDir, SHARPEYE_WEB_DIR: path.join(dataDir, 'no-web'), SHARPEYE_SIP_PORT: '0', SHARPEYE_RTSP_PORT: '0', SHARPEYE_RTMP_PORT: '0', SHARPEYE_HOST: '127.0.0.1', SHARPEYE_ADMIN_PASSWORD: 'Bench@12345' });
    const platform = await createPlatform(config, createLogger('warn'));
    await platform.auth.bootstrap('Bench@12345');
    const app = await buildApp(platform);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const now = new Date().toISOString();
    const cameras = Array.from({ length: Number(a.cameras) }, (_, i) => `350200000013200${String(i + 1).padStart(5, '0')}`);
    for (const id of [NODE_ID, ...cameras]) await platform.store.devices.create(id, { name: id.slice(-5) }, now);

    kid = fork(fileURLToPath(import.meta.url), ['--child'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const msgs: any[] = [];
    const waiters: Array<(m: any) => void> = [];
    kid.on('message', (m) => (waiters.length ? waiters.shift()!(m) : msgs.push(m)));
    const next = (): Promise<any> => (msgs.length ? Promise.resolve(msgs.shift()) : new Promise((r) => waiters.push(r)));
    const { bureauPort } = await next();
    const forward = !a['no-forward'];
    if (forward) {
      const now2 = new Date().toISOString();
      await platform.store.images.targets.create('bench', { name: 'stub bureau', kind: 'face', url: `http://127.0.0.1:${bureauPort}/redis/rest/face`, username: 'lpt', passwordSealed: platform.secrets.seal('lpt123'), authMode: 'node', nodeId: NODE_ID, encoding: 'form', keepaliveSeconds: 60, timeoutSeconds: 30, retryMaxSeconds: 10, concurrency: 8, maxAttempts: 10, enabled: true }, now2);
      await platform.images!.forwarding.reload();
    }

    const [burstRate, burstSeconds] = String(a.burst).split('x').map(Number);
    const phases = [
      { name: `burst ${burstRate}/s × ${burstSeconds} s`, rate: burstRate, seconds: burstSeconds },
      ...(Number(a.sustained) > 0 ? [{ name: `sustained ${a.rate}/s × ${a.sustained} s`, rate: Number(a.rate), seconds: Number(a.sustained) }] : []),
    ];
    // the platform's own idle cost (timers, GB/T 28181 service, ...) over 5 s, to read the per-capture figures against
    const idle0 = process.cpuUsage();
    await sleep(5000);
    const idleCpu = process.cpuUsage(idle0);
    const idleShare = (idleCpu.user + idleCpu.system) / 1e6 / 5;
    console.log(`# image ingest bench: ${cameras.length} cameras, 3 × 20 KB faces + 300 KB background per capture, form-encoded; forwarding ${forward ? 'on (stub bureau in the load child)' : 'off'}; SQLite; ${dataDir}`);
    let index = 0;
    const rows: string[] = [];
    for (const ph of phases) {
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      const c0 = { ...platform.images!.ingest.counters };
      const cpu0 = process.cpuUsage();
      const io0 = ioWritten();
      const db0 = dbBytes(dataDir);
      const t0 = performance.now();
      let maxQueue = 0;
      const sampler = setInterval(async () => {
        maxQueue = Math.max(maxQueue, await platform.store.images.queue.total());
      }, 500);
      kid.send({ run: { base, rate: ph.rate, seconds: ph.seconds, cameras, concurrency: Number(a.concurrency), startIndex: index } });
      const r = (await next()).result;
      index += r.sent;
      const ingestWall = (performance.now() - t0) / 1000;
      const queueAtEnd = await platform.store.images.queue.total();
      let drainMs = 0;
      if (forward) {
        const d0 = performance.now();
        while ((await platform.store.images.queue.total()) > 0 && performance.now() - d0 < 120_000) await sleep(100);
        drainMs = performance.now() - d0;
      }
      clearInterval(sampler);
      const wall = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const io = ioWritten() - io0;
      const c1 = platform.images!.ingest.counters;
      const stored = c1.faces - c0.faces;
      const imageBytes = c1.bytes - c0.bytes;
      const files = dirBytes(path.join(dataDir, 'images'));
      const db = dbBytes(dataDir) - db0;
      const cpuMs = (cpu.user + cpu.system) / 1000;
      loop.disable();
      const line = [
        `${ph.name}:`,
        `${r.ok}/${r.sent} answered success (${r.failed} failed${r.failed ? ` ${JSON.stringify(r.errors)}` : ''}), ${r.rate.toFixed(1)} captures/s achieved, ${stored} stored`,
        `latency p50 ${r.p50.toFixed(1)} ms p99 ${r.p99.toFixed(1)} ms; request ${(r.requestBytes / 1024).toFixed(0)} KiB`,
        `server CPU ${((cpuMs / 1000 / wall) * 100).toFixed(0)} % of a core over ${wall.toFixed(1)} s (ingest ${ingestWall.toFixed(1)} s + drain ${(drainMs / 1000).toFixed(1)} s) = ${(cpuMs / Math.max(1, stored)).toFixed(2)} ms CPU per capture${forward ? ' incl. forwarding' : ''}; less the idle platform (${(idleShare * 100).toFixed(1)} % of a core): ${((cpuMs - idleShare * wall * 1000) / Math.max(1, stored)).toFixed(2)} ms`,
        `written per capture: images ${(imageBytes / Math.max(1, stored) / 1024).toFixed(1)} KiB, files on disk ${(files / Math.max(1, stored) / 1024).toFixed(1)} KiB, database +${(db / Math.max(1, stored) / 1024).toFixed(2)} KiB, all process writes (/proc/self/io) ${Number.isFinite(io) ? `${(io / Math.max(1, stored) / 1024).toFixed(1)} KiB` : 'n/a'}`,
        forward ? `forward queue: max ${maxQueue}, ${queueAtEnd} when the load stopped, drained in ${(drainMs / 1000).toFixed(1)} s` : 'forwarding off',
        `event-loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms; rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
      ].join('\n    ');
      console.log(line);
      rows.push(line);
      // clean up between phases (disk): rows, queue and files
      await platform.store.database.db.deleteFrom('face_captures').execute();
      await platform.store.database.db.deleteFrom('image_queue').execute();
      rmSync(path.join(dataDir, 'images'), { recursive: true, force: true });
    }
    kid.send({ stats: true });
    const st = (await next()).stats;
    console.log(`# load child: ${st.bureauSaves} captures received by the stub bureau (${(st.bureauBytes / 2 ** 20).toFixed(0)} MiB), child CPU ${((st.cpu.user + st.cpu.system) / 1e6).toFixed(1)} s`);
    kid.send({ exit: true });
    await app.close();
    await platform.close();
  } finally {
    cleanup();
  }
}

if (a.child) void child();
else
  parent().catch((e) => {
    console.error(e);
    process.exit(1);
  });

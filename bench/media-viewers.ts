/**
 * HTTP-FLV viewers of one live stream, through the real platform HTTP server (createPlatform + buildApp, as
 * test/helpers/platform.ts builds it, listening on 127.0.0.1). The stream is fed by the load generator
 * (bench/media-load.ts, child process) through LocalMediaNode openReceive/confirmReceive: 1080p25 H.264 ~2 Mb/s as
 * PS over RTP/UDP. The channel is created through the API so GET /api/v1/streams lists the stream; the media token
 * is signed with the platform's key (SHARPEYE_SECRET_KEY), for the admin user, as LiveService would sign it.
 *
 * Child processes share the machine with the server:
 *   sender  sends the stream; holds one viewer attached before the first frame (so the stream's FLV clock starts at
 *           frame 0 and tag timestamp i·40 ms is frame i for every viewer) and, per level, `--sampled` viewers
 *           opened after all others (the hub writes readers in attach order: theirs is the last copy of each
 *           frame). Arrival of the tag − send time of the frame's last packet, on one clock, is the added latency
 *           packet-in → FLV-out (loopback UDP, ingest, hub, HTTP write, loopback TCP, the client's parse).
 *   viewers opens the other viewers (plain http.get, counting coded video tags and timestamp gaps);
 *           `--viewer-procs` of them.
 * For each viewer count: frames per viewer vs frames sent (delivered %: < 100 when viewers fall behind), % dropped
 * (timestamp gaps), the server's droppedByReaders (read from the hub: GET /api/v1/streams does not carry it), RTP
 * packets the ingest lost, the stream lag (how far the first viewer is behind the sender: the server's own lag),
 * server CPU and event-loop delay, latency p50/p99. Goal: ≥ 1,000 viewers with < 1 % dropped frames, latency
 * ≤ 300 ms. BENCH_DEBUG=1 prints per-viewer gap histograms and timestamps.
 *   npx tsx bench/media-viewers.ts [--viewers 100,500,1000] [--seconds 10] [--sampled 10] [--viewer-procs 1] [--client http|raw]
 * (--client raw: the same HTTP/1.1 GET on a plain socket with the chunked coding decoded by hand, a cheaper client
 * than http.get, so less of the shared machine goes to the viewers)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/api/app.js';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/core/logger.js';
import { MediaTokens } from '../src/core/media-token.js';
import { LocalMediaNode } from '../src/media/local-node.js';
import { createPlatform } from '../src/platform.js';
import { killChildrenOnExit, machineCpu, machineNote, median, othersLoad, percentile, sleep, startLoadChild } from './media-common.js';

const { values: a } = parseArgs({
  options: {
    viewers: { type: 'string', default: '100,500,1000' },
    seconds: { type: 'string', default: '10' },
    settle: { type: 'string', default: '3' },
    sampled: { type: 'string', default: '10' },
    batch: { type: 'string', default: '50' },
    'viewer-procs': { type: 'string', default: '1' },
    client: { type: 'string', default: 'http' },
  },
});
const SECONDS = Number(a.seconds);
const SAMPLED = Number(a.sampled);
const ADMIN_PASSWORD = 'Admin@12345';
killChildrenOnExit();

const DEVICE = '34020000001110000001';
const CHANNEL = '34020000001310000001';
const KEY = `live/${CHANNEL}/main`;
const SSRC = 100000001;

interface Level {
  viewers: number;
  connected: number;
  ended: number;
  framesSent: number;
  perViewer: { mean: number; min: number; p1: number };
  /** mean frames per viewer / frames sent in the window: < 100 % when viewers fall behind (queued, not dropped) */
  deliveredPct: number;
  droppedPct: number;
  shortViewers: number;
  serverDropped: number;
  serverCpuPct: number;
  serverSysShare: number;
  serverLoopP99Ms: number;
  serverLoopMaxMs: number;
  senderCpuPct: number;
  viewerCpuPct: number;
  latency: { n: number; p50: number; p99: number; max: number; perSecondMax: number[] };
  sampledDroppedPct: number;
  mbpsOut: number;
  othersCores: number;
  /** packets the ingest gave up in the window (RTP loss before the hub) */
  ingestLost: number;
  /** how far the first viewer (first in the hub's write order, in a lightly loaded process) was behind the sender at the end of the window */
  streamLagMs: number;
  apiReaders?: number;
  apiPackets?: unknown;
  sizeMismatch: number;
}

async function main() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sharpeye-viewers-'));
  const secret = randomBytes(32).toString('hex');
  const config = loadConfig({
    SHARPEYE_DATA_DIR: dataDir,
    SHARPEYE_DATABASE_URL: 'sqlite::memory:',
    SHARPEYE_WEB_DIR: path.join(dataDir, 'no-web'),
    SHARPEYE_SIP_PORT: '0',
    SHARPEYE_HOST: '127.0.0.1',
    SHARPEYE_RTP_PORT_RANGE: '40000-40999',
    SHARPEYE_STREAM_LINGER: '600',
    SHARPEYE_SECRET_KEY: secret,
    SHARPEYE_LOG_LEVEL: 'error',
  });
  const platform = await createPlatform(config, createLogger('error'));
  await platform.auth.bootstrap(ADMIN_PASSWORD);
  const app = await buildApp(platform);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const api = async (method: string, p: string, body?: unknown, auth?: string) => {
    const r = await fetch(`${base}/api/v1${p}`, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(auth ? { authorization: auth } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await r.text();
    if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const login = await api('POST', '/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
  const bearer = `Bearer ${login.token}`;
  await api('POST', '/devices', { id: DEVICE, name: 'bench camera' }, bearer);
  await api('POST', '/channels', { id: CHANNEL, deviceId: DEVICE, name: 'bench 1080p' }, bearer);

  const media = platform.media;
  if (!(media instanceof LocalMediaNode)) throw new Error('expected the in-process media node (SHARPEYE_ROLE=all)');
  const port = await media.openReceive({ stream: { key: KEY, channelId: CHANNEL, kind: 'live', variant: 'main' }, transport: 'udp', ssrc: SSRC });
  await media.confirmReceive(KEY, { ssrc: SSRC, rtpmap: { 96: 'PS' } });
  const token = new MediaTokens(Buffer.from(secret, 'hex')).sign({ u: login.user.id, s: 'bench-session', p: KEY, e: Math.floor(Date.now() / 1000) + 3600 });
  const url = `${base}/media/${KEY}.flv?token=${encodeURIComponent(token)}`;

  const sender = startLoadChild('sender');
  const swarms = Array.from({ length: Number(a['viewer-procs']) }, (_, i) => startLoadChild(`viewers-${i + 1}`));
  /** the viewer processes' counters merged (their viewers in process order) */
  const markSwarm = async () => {
    const ms = await Promise.all(swarms.map((w) => w.call('mark')));
    return {
      cpuS: ms.reduce((t, m) => t + (m.cpu.user + m.cpu.system) / 1e6, 0),
      at: Math.max(...ms.map((m) => m.at)),
      viewers: {
        frames: ms.flatMap((m) => m.viewers.frames as number[]),
        gaps: ms.flatMap((m) => m.viewers.gaps as number[]),
        bytes: ms.reduce((t, m) => t + m.viewers.bytes, 0),
        ended: ms.reduce((t, m) => t + m.viewers.ended, 0),
      },
    };
  };
  const levels: Level[] = [];
  try {
    const clipInfo = await sender.call('init', {}, 120_000);
    await Promise.all(swarms.map((w) => w.call('init', {}, 120_000)));
    // One viewer before the first frame: the stream's FLV clock (shared by all its readers) then starts at frame 0,
    // so tag timestamp i·40 ms is frame i for every viewer. The server sends the response head with the first
    // frame, so wait for the reader on the server side.
    const raw = a.client === 'raw';
    await sender.call('view', { url, count: 1, sampled: false, wait: false, raw });
    const waiting = media.hub.get(KEY)!;
    for (let i = 0; waiting.readerCount < 1; i++) {
      if (i > 100) throw new Error('the first viewer did not attach');
      await sleep(50);
    }
    await sender.call('send', { targets: [{ port: port.port, ssrc: SSRC }], phase: 'aligned', firstAtZero: true });
    await media.waitLive(KEY, 5000);
    const stream = media.hub.get(KEY)!;

    for (const n of a.viewers.split(',').map(Number)) {
      const bulk = Math.max(0, n - SAMPLED - 1);
      const t0 = Date.now();
      const parts = await Promise.all(
        swarms.map((w, i) => w.call('view', { url, count: Math.floor(bulk / swarms.length) + (i < bulk % swarms.length ? 1 : 0), sampled: false, batch: Number(a.batch), raw, deadlineMs: 90_000 }, 150_000)),
      );
      // the sampled viewers last: the hub writes readers in attach order, so theirs is the latest copy of each frame
      const sv = await sender.call('view', { url, count: SAMPLED, sampled: true, raw });
      const opened = { ok: parts.reduce((t, p) => t + p.ok, 0) + sv.ok, gaveUp: parts.some((p) => p.gaveUp), errors: [...new Set([...parts, sv].flatMap((p) => p.errors as string[]))] };
      const rampS = (Date.now() - t0) / 1000;
      await sleep(Number(a.settle) * 1000);
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      const d0 = stream.stats().droppedByReaders;
      const p0 = (await media.stream(KEY))?.packets;
      const [s0, v0] = await Promise.all([sender.call('mark'), markSwarm()]);
      const m0 = machineCpu();
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      await sleep(SECONDS * 1000);
      const c1 = process.cpuUsage(c0);
      const m1 = machineCpu();
      const w1 = performance.now();
      const [s1, v1] = await Promise.all([sender.call('mark'), markSwarm()]);
      loop.disable();
      const d1 = stream.stats().droppedByReaders;
      const p1 = (await media.stream(KEY))?.packets;
      const listed = (await api('GET', '/streams', undefined, bearer)).items.find((s: { key: string }) => s.key === KEY);
      const lat = await sender.call('latency', { from: s0.at, to: s1.at });
      const wall = (w1 - w0) / 1000;
      const framesSent = s1.sender.stream0Frames - s0.sender.stream0Frames;
      // bulk viewers: frames and timestamp gaps within the window
      const fr: number[] = v1.viewers.frames.map((f: number, i: number) => f - v0.viewers.frames[i]);
      const gp: number[] = v1.viewers.gaps.map((g: number, i: number) => g - v0.viewers.gaps[i]);
      const sfr: number[] = s1.viewers.frames.map((f: number, i: number) => f - s0.viewers.frames[i]);
      const sgp: number[] = s1.viewers.gaps.map((g: number, i: number) => g - s0.viewers.gaps[i]);
      const allFr = [...fr, ...sfr];
      const sum = (xs: number[]) => xs.reduce((t, x) => t + x, 0);
      const samples: number[] = lat.samples;
      const cpu = (x: { user: number; system: number }, y: { user: number; system: number }) => (y.user - x.user + y.system - x.system) / 1e6;
      const lv: Level = {
        viewers: n,
        connected: opened.ok + 1,
        ended: v1.viewers.ended + s1.viewers.ended,
        framesSent,
        perViewer: { mean: sum(allFr) / Math.max(1, allFr.length), min: Math.min(...allFr), p1: percentile(allFr, 1) },
        deliveredPct: (100 * sum(allFr)) / Math.max(1, allFr.length * framesSent),
        droppedPct: (100 * (sum(gp) + sum(sgp))) / Math.max(1, sum(gp) + sum(sgp) + sum(allFr)),
        shortViewers: allFr.filter((f) => f < framesSent - 2).length,
        serverDropped: d1 - d0,
        serverCpuPct: ((c1.user + c1.system) / 1e6 / wall) * 100,
        serverSysShare: c1.system / Math.max(1, c1.user + c1.system),
        serverLoopP99Ms: loop.percentile(99) / 1e6,
        serverLoopMaxMs: loop.max / 1e6,
        senderCpuPct: (cpu(s0.cpu, s1.cpu) / ((s1.at - s0.at) / 1000)) * 100,
        viewerCpuPct: ((v1.cpuS - v0.cpuS) / wall) * 100,
        latency: { n: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99), max: samples.length ? Math.max(...samples) : NaN, perSecondMax: lat.perSecondMax },
        sampledDroppedPct: (100 * sum(sgp)) / Math.max(1, sum(sgp) + sum(sfr)),
        ingestLost: (p1?.lost ?? 0) - (p0?.lost ?? 0),
        streamLagMs: (s1.sender.stream0Frames - 1 - s1.viewers.lastTs[0] / 40) * 40,
        othersCores: othersLoad(m0, m1, wall, (c1.user + c1.system) / 1e6 + cpu(s0.cpu, s1.cpu) + (v1.cpuS - v0.cpuS)).othersCores,
        mbpsOut: ((v1.viewers.bytes - v0.viewers.bytes + s1.viewers.bytes - s0.viewers.bytes) * 8) / wall / 1e6,
        apiReaders: listed?.readers,
        apiPackets: listed?.packets,
        sizeMismatch: s1.viewers.sizeMismatch,
      };
      levels.push(lv);
      console.log(
        `${n} viewers (ramp ${rampS.toFixed(1)} s${opened.gaveUp ? ', gave up opening the rest after 90 s' : ''}${opened.errors.length ? `, errors ${opened.errors.join('; ')}` : ''}): ${lv.connected} connected, ${lv.ended} cut; frames/viewer ${lv.perViewer.mean.toFixed(1)} (min ${lv.perViewer.min}) of ${framesSent} sent = ${lv.deliveredPct.toFixed(1)} %; dropped ${lv.droppedPct.toFixed(3)} %, server droppedByReaders +${lv.serverDropped}, ingest lost ${lv.ingestLost} packets, stream lag ${lv.streamLagMs.toFixed(0)} ms; server CPU ${lv.serverCpuPct.toFixed(0)} % (${(lv.serverSysShare * 100).toFixed(0)} % kernel), loop p99 ${lv.serverLoopP99Ms.toFixed(1)} max ${lv.serverLoopMaxMs.toFixed(1)} ms; viewers-process CPU ${lv.viewerCpuPct.toFixed(0)} %; latency p50 ${lv.latency.p50?.toFixed(1)} p99 ${lv.latency.p99?.toFixed(1)} ms (${lv.latency.n} samples); out ${lv.mbpsOut.toFixed(0)} Mb/s; ${lv.othersCores.toFixed(2)} cores busy with others; API readers ${lv.apiReaders}; latency max per second of the window ${lv.latency.perSecondMax.join(',')} ms`,
      );
      if (process.env.BENCH_DEBUG) {
        const hist = new Map<number, number>();
        for (const g of gp) hist.set(g, (hist.get(g) ?? 0) + 1);
        console.log('debug: bulk gaps histogram', JSON.stringify([...hist].sort((x, y) => x[0] - y[0])), 'sampled frames', sfr, 'gaps', sgp, 'lastTs', s1.viewers.lastTs, 'stream0 frames', s1.sender.stream0Frames, 'latency', JSON.stringify({ n: lat.samples.length, unmatched: lat.unmatched }));
      }
      await Promise.all([...swarms.map((w) => w.call('closeViewers')), sender.call('closeViewers', { sampledOnly: true })]);
      for (let i = 0; i < 50 && stream.readerCount > 1; i++) await sleep(100);
    }

    console.log(`\n=== HTTP-FLV viewers of one 1080p25 H.264 stream (~${clipInfo.mbps.toFixed(2)} Mb/s), ${SECONDS} s per level; sender + first viewer + ${SAMPLED} sampled viewers (attached last) in one child, the rest in ${swarms.length} other(s), ${a.client} client; ${machineNote()} ===`);
    console.log('viewers  connected  cut  frames sent  frames/viewer mean (min)  delivered %  dropped %  droppedByReaders  ingest lost pkts  stream lag ms  server CPU % (kernel)  loop p99/max ms  viewer-proc CPU %  latency p50/p99/max ms  out Mb/s  others (cores)');
    for (const l of levels) {
      console.log(
        `${String(l.viewers).padStart(7)}  ${String(l.connected).padStart(9)}  ${String(l.ended).padStart(3)}  ${String(l.framesSent).padStart(11)}  ${`${l.perViewer.mean.toFixed(1)} (${l.perViewer.min})`.padStart(24)}  ${l.deliveredPct.toFixed(1).padStart(11)}  ${l.droppedPct.toFixed(3).padStart(9)}  ${String(l.serverDropped).padStart(16)}  ${String(l.ingestLost).padStart(16)}  ${l.streamLagMs.toFixed(0).padStart(13)}  ${`${l.serverCpuPct.toFixed(0)} (${(l.serverSysShare * 100).toFixed(0)} %)`.padStart(21)}  ${`${l.serverLoopP99Ms.toFixed(0)}/${l.serverLoopMaxMs.toFixed(0)}`.padStart(15)}  ${l.viewerCpuPct.toFixed(0).padStart(17)}  ${`${l.latency.p50.toFixed(0)}/${l.latency.p99.toFixed(0)}/${l.latency.max.toFixed(0)}`.padStart(22)}  ${l.mbpsOut.toFixed(0).padStart(8)}  ${l.othersCores.toFixed(2).padStart(14)}`,
      );
    }
    const ok = levels.filter((l) => l.droppedPct < 1 && l.deliveredPct >= 99 && l.ended === 0 && l.connected === l.viewers && l.ingestLost === 0 && l.streamLagMs < 500).map((l) => l.viewers);
    console.log(`most viewers with < 1 % dropped, ≥ 99 % of the frames delivered in the window and the stream < 0.5 s behind: ${ok.length ? Math.max(...ok) : 0} (goal ≥ 1000); latency p99 at the largest level ${levels.at(-1)?.latency.p99.toFixed(0)} ms (goal ≤ 300 → ratio ${((levels.at(-1)?.latency.p99 ?? NaN) / 300).toFixed(2)})`);
    const mism = levels.reduce((t, l) => Math.max(t, l.sizeMismatch), 0);
    if (mism) console.log(`WARNING: ${mism} sampled tags did not have the size of the frame their timestamp names: latency pairing is off`);
    console.log(
      JSON.stringify({
        bench: 'media-viewers',
        seconds: SECONDS,
        sampled: SAMPLED,
        client: a.client,
        viewerProcs: swarms.length,
        mbps: Number(clipInfo.mbps.toFixed(3)),
        levels: levels.map((l) => ({
          viewers: l.viewers,
          connected: l.connected,
          cut: l.ended,
          framesSent: l.framesSent,
          framesPerViewerMean: Number(l.perViewer.mean.toFixed(2)),
          framesPerViewerMin: l.perViewer.min,
          deliveredPct: Number(l.deliveredPct.toFixed(2)),
          droppedPct: Number(l.droppedPct.toFixed(4)),
          serverDroppedByReaders: l.serverDropped,
          serverCpuPct: Number(l.serverCpuPct.toFixed(1)),
          serverKernelShare: Number(l.serverSysShare.toFixed(2)),
          serverLoopP99Ms: Number(l.serverLoopP99Ms.toFixed(1)),
          serverLoopMaxMs: Number(l.serverLoopMaxMs.toFixed(1)),
          senderCpuPct: Number(l.senderCpuPct.toFixed(1)),
          viewerProcCpuPct: Number(l.viewerCpuPct.toFixed(1)),
          latencyMs: { n: l.latency.n, p50: Number(l.latency.p50.toFixed(1)), p99: Number(l.latency.p99.toFixed(1)), max: Number(l.latency.max.toFixed(1)), perSecondMax: l.latency.perSecondMax },
          mbpsOut: Math.round(l.mbpsOut),
          othersCores: Number(l.othersCores.toFixed(2)),
          apiReaders: l.apiReaders,
          ingestLostPackets: l.ingestLost,
          streamLagMs: Math.round(l.streamLagMs),
        })),
        heldUnder1Pct: ok.length ? Math.max(...ok) : 0,
        latencyP99MedianMs: Number(median(levels.map((l) => l.latency.p99)).toFixed(1)),
        load: machineNote(),
      }),
    );
  } finally {
    await Promise.all([sender.kill(), ...swarms.map((w) => w.kill())]);
    await app.close();
    await platform.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * Media ingest cost (GB/T 28181 PS over RTP/UDP → hub → FLV), with the load generator (bench/media-load.ts) in a child
 * process sending real-rate 1080p25 2 Mb/s streams to 127.0.0.1.
 *
 * Default: CPU per ingested stream, receiver in two modes measured in the same run, alternated `--rounds` times:
 *   baseline  a bare Node UDP socket per stream that receives and discards (the floor any Node receiver pays)
 *   full      LocalMediaNode receive ports → reorder → PS demux → hub Stream → one FlvSink reader into a null sink
 * → CPU-seconds per media-second per stream for both, ratio full/baseline (goal ≤ 2.0), and the reference
 * `ffmpeg -benchmark -f mpeg -i <the PS bytes> -map 0:v -c copy -f flv /dev/null` (file in, no network) and the
 * C++ peer's 0.006 CPU-s/s per stream.
 *   npx tsx bench/media-ingest.ts [--streams 20] [--seconds 10] [--rounds 3] [--modes baseline,full] [--no-ffmpeg]
 *
 * --curve: streams held. For each N (full path, one FLV null reader per stream): packet loss (reorder gaps, and
 * packets sent that never reached the ingest), how far behind the receiver was when the sender stopped (an
 * overloaded receiver first shows as lag, its socket buffers hold ~30 s), receiver CPU, event-loop delay p99/max,
 * and the sender's own CPU and lateness (goal ≥ 200 streams with < 0.1 % loss).
 *   npx tsx bench/media-ingest.ts --curve [--levels 10,50,100,200,300] [--seconds 10]
 *
 * --modes full,record (npm run bench:record): the recording cost (issue 7). `record` is the full path plus the
 * in-process fMP4 recorder on every stream writing segments to a temp dir; printed: recorder CPU per stream
 * (record − full) as a share of the full ingest cost (goal ≤ 0.5) and disk bytes / media bytes (goal ≤ 1.02).
 *
 * Ports: full path 40000-40999 (LocalMediaNode pool), baseline 41000-41999; independent of SHARPEYE_RTP_PORT_RANGE.
 * Everything else on the machine (other engineers' tests) shares the 2 cores: repeat runs and read the spread.
 */
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createLogger } from '../src/core/logger.js';
import { frameBytes, type VideoFrame } from '../src/lib/av/frame.js';
import { muxPs } from '../src/lib/ps/index.js';
import { LocalMediaNode } from '../src/media/local-node.js';
import { FlvSink, sharedFlvFor } from '../src/media/out/flv-sink.js';
import { killChildrenOnExit, loadClip, machineCpu, machineNote, median, othersLoad, sleep, spread, startLoadChild, udpCounters, type Child, type Clip } from './media-common.js';

const { values: a } = parseArgs({
  options: {
    streams: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    phase: { type: 'string', default: 'spread' },
    curve: { type: 'boolean', default: false },
    levels: { type: 'string', default: '10,50,100,200,300' },
    modes: { type: 'string', default: 'baseline,full' },
    'no-ffmpeg': { type: 'boolean', default: false },
  },
});
const SECONDS = Number(a.seconds);
const WARMUP = Number(a.warmup);
const PEER_CPU = 0.006; // CPU-s per media-second per stream, the C++ peer's figure
let PACKETS_PER_S = 200; // per stream, set from the clip
killChildrenOnExit();

interface Receiver {
  targets: { port: number; ssrc: number }[];
  /** packets that reached the receiver's code (full: after the SSRC filter, into the reorder buffer) */
  received(): Promise<number>;
  /** sequence numbers the reorder buffers gave up (full path only) */
  reorderLost(): Promise<number>;
  extra(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

const ssrcOf = (i: number) => 0x0100_0000 + i;

async function bareSockets(n: number): Promise<Receiver> {
  const socks: dgram.Socket[] = [];
  const targets: { port: number; ssrc: number }[] = [];
  let count = 0;
  let port = 41000;
  while (socks.length < n) {
    const s = dgram.createSocket({ type: 'udp4', reuseAddr: false });
    s.on('message', () => void count++);
    const ok = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) {
      s.setRecvBufferSize(4 * 1024 * 1024); // as RtpReceiver does
      targets.push({ port, ssrc: ssrcOf(socks.length) });
      socks.push(s);
    } else s.close();
    port += 2;
    if (port > 41999) throw new Error('no free ports in 41000-41999');
  }
  return {
    targets,
    received: async () => count,
    reorderLost: async () => 0,
    extra: async () => ({}),
    close: async () => void (await Promise.all(socks.map((s) => new Promise<void>((r) => s.close(() => r()))))),
  };
}

async function fullPath(n: number, recordDir?: string): Promise<Receiver & { node: LocalMediaNode; keys: string[]; flvBytes: () => number }> {
  const node = new LocalMediaNode({ id: 'bench', bindHost: '127.0.0.1', portRange: { min: 40000, max: 40999 }, lingerMs: 3_600_000, stallMs: 60_000, log: createLogger('silent'), recordDirs: recordDir ? [recordDir] : [] });
  const targets: { port: number; ssrc: number }[] = [];
  const keys: string[] = [];
  let flvBytes = 0;
  const sink = { write: (b: Buffer) => void (flvBytes += b.length), backlog: () => 0, end: () => undefined };
  for (let i = 0; i < n; i++) {
    const channelId = `3402000000132${String(i).padStart(7, '0')}`;
    const key = `live/${channelId}/main`;
    const ssrc = ssrcOf(i);
    const r = await node.openReceive({ stream: { key, channelId, kind: 'live', variant: 'main' }, transport: 'udp', ssrc });
    await node.confirmReceive(key, { ssrc, rtpmap: { 96: 'PS' } });
    const s = node.hub.get(key)!;
    s.attach(new FlvSink(sharedFlvFor(s), sink), { protocol: 'flv' });
    targets.push({ port: r.port, ssrc });
    keys.push(key);
  }
  const packets = async () => (await node.streams()).map((s) => s.packets ?? { received: 0, lost: 0, reordered: 0, badSsrc: 0 });
  return {
    node,
    keys,
    targets,
    flvBytes: () => flvBytes,
    received: async () => (await packets()).reduce((t, p) => t + p.received, 0),
    reorderLost: async () => (await packets()).reduce((t, p) => t + p.lost, 0),
    extra: async () => {
      const all = await node.streams();
      return {
        live: all.filter((s) => s.state === 'live').length,
        frames: all.reduce((t, s) => t + s.frames, 0),
        flvBytes,
        badSsrc: (await packets()).reduce((t, p) => t + p.badSsrc, 0),
        reordered: (await packets()).reduce((t, p) => t + p.reordered, 0),
      };
    },
    close: () => node.close(),
  };
}

interface Result {
  mode: string;
  streams: number;
  wallS: number;
  cpuS: number;
  /** share of the CPU spent in the kernel (stime) */
  sysShare: number;
  cpuPerStreamS: number;
  cpuPct: number;
  loopP99Ms: number;
  loopMaxMs: number;
  sent: number;
  received: number;
  reorderLost: number;
  lossPct: number;
  reorderLossPct: number;
  senderCpuPct: number;
  senderRate: number;
  senderMaxLateMs: number;
  /** packets still in the sender's libuv queues when it stopped (it had fallen behind the kernel) */
  senderQueuedAtStop: number;
  /** seconds of media the receiver had not processed yet when the sender stopped */
  rxLagS: number;
  kernelRcvbufErrors: number;
  /** the whole machine's busy cores in the window, and those not used by the receiver or the sender */
  busyCores: number;
  othersCores: number;
  extra: Record<string, number>;
}

async function measure(load: Child, mode: 'idle' | 'baseline' | 'full' | 'record', n: number): Promise<Result> {
  const recordDir = mode === 'record' ? mkdtempSync(path.join(tmpdir(), 'sharpeye-bench-rec-')) : undefined;
  const rx = mode === 'full' || mode === 'record' ? await fullPath(n, recordDir) : await bareSockets(n);
  await load.call('send', { targets: rx.targets, phase: a.phase });
  await sleep(mode === 'idle' ? 500 : WARMUP * 1000);
  let recordedMedia = 0;
  if (mode === 'full' || mode === 'record') {
    const node = (rx as Awaited<ReturnType<typeof fullPath>>).node;
    const keys = (rx as Awaited<ReturnType<typeof fullPath>>).keys;
    await Promise.all(keys.map((k) => node.waitLive(k, 5000)));
    if (mode === 'record') {
      for (const key of keys) {
        await node.startRecording({ key, channelId: key.split('/')[1], segmentMs: 60_000, writing: true });
        // a twin reader attached at the same moment gets exactly what the recorder gets (GOP cache included)
        node.hub.get(key)!.attach({ start: () => undefined, write: (f) => void (recordedMedia += frameBytes(f)), backlog: () => 0, close: () => undefined }, { protocol: 'internal' });
      }
    }
  }
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const k0 = udpCounters();
  const s0 = await load.call('mark');
  const m0 = machineCpu();
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  await sleep(SECONDS * 1000);
  const c1 = process.cpuUsage(c0);
  const m1 = machineCpu();
  const w1 = performance.now();
  const s1 = await load.call('mark');
  loop.disable();
  const sent = await load.call('stopSend');
  // How far behind the receiver is when the sender stops: packets sent but not yet through the ingest, in seconds
  // of media. A receiver that cannot keep up is not losing packets yet (8 MB socket buffers hold ~30 s of a
  // 2 Mb/s stream), it is falling behind; this shows it. Then let everything queued drain into the counters.
  const atStop = await rx.received();
  let received = atStop;
  for (let still = 0, t = Date.now(); still < 3 && Date.now() - t < 30_000; ) {
    await sleep(100);
    const r = await rx.received();
    still = r === received ? still + 1 : 0;
    received = r;
  }
  const k1 = udpCounters();
  const reorderLost = await rx.reorderLost();
  const extra = await rx.extra();
  if (recordDir) {
    // media bytes the recorders were given (frames since recording started) vs the bytes of segment files on disk
    extra.mediaBytes = recordedMedia;
  }
  await rx.close();
  if (recordDir) {
    extra.diskBytes = dirBytes(recordDir);
    rmSync(recordDir, { recursive: true, force: true });
  }
  const wallS = (w1 - w0) / 1000;
  const cpuS = (c1.user + c1.system) / 1e6;
  const sWall = (s1.at - s0.at) / 1000;
  const sCpu = (s1.cpu.user - s0.cpu.user + s1.cpu.system - s0.cpu.system) / 1e6;
  return {
    mode,
    streams: n,
    wallS,
    cpuS,
    sysShare: c1.system / Math.max(1, c1.user + c1.system),
    cpuPerStreamS: cpuS / (Math.max(1, n) * wallS),
    cpuPct: (cpuS / wallS) * 100,
    loopP99Ms: loop.percentile(99) / 1e6,
    loopMaxMs: loop.max / 1e6,
    sent: sent.packets,
    received,
    reorderLost,
    lossPct: (Math.max(0, sent.packets - received) / Math.max(1, sent.packets)) * 100,
    reorderLossPct: (reorderLost / Math.max(1, received + reorderLost)) * 100,
    senderCpuPct: (sCpu / sWall) * 100,
    senderRate: (s1.sender.frames - s0.sender.frames) / (Math.max(1, n) * (sWall * 25)),
    senderMaxLateMs: sent.maxLateMs,
    senderQueuedAtStop: sent.queuedAtStop,
    rxLagS: Math.max(0, sent.packets - atStop) / (Math.max(1, n) * PACKETS_PER_S),
    kernelRcvbufErrors: k1.rcvbufErrors - k0.rcvbufErrors,
    ...othersLoad(m0, m1, wallS, cpuS + sCpu),
    extra,
  };
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n += statSync(path.join(e.parentPath, e.name)).size;
  return n;
}

/** ffmpeg -benchmark on the same PS bytes as a file; it prints `bench: utime=0.123s stime=0.010s rtime=0.140s`. */
function ffmpegUtimeStime(file: string): number {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-nostdin', '-benchmark', '-f', 'mpeg', '-i', file, '-map', '0:v', '-c', 'copy', '-f', 'flv', '-y', '/dev/null'], { encoding: 'utf8' });
  const m = /bench: utime=([\d.]+)s stime=([\d.]+)s/.exec(r.stderr ?? '');
  if (!m) throw new Error(`ffmpeg -benchmark said: ${(r.stderr ?? '').slice(-500)}`);
  return Number(m[1]) + Number(m[2]);
}

function writePsFile(clip: Clip, loops: number, file: string): number {
  const parts: Buffer[] = [];
  const n = clip.frames.length;
  for (let l = 0; l < loops; l++) {
    for (let i = 0; i < n; i++) {
      const f = clip.frames[i].frame;
      const pts = 90_000 + (l * n + i) * 3600;
      parts.push(l === 0 ? clip.frames[i].ps : muxPs({ ...f, pts, dts: pts } as VideoFrame, clip.params));
    }
  }
  writeFileSync(file, Buffer.concat(parts));
  return (loops * n) / 25;
}

function ffmpegReference(clip: Clip, runs: number) {
  const dir = mkdtempSync(path.join(tmpdir(), 'sharpeye-media-bench-'));
  try {
    const f10 = path.join(dir, 'clip10.ps');
    const f60 = path.join(dir, 'clip60.ps');
    const m10 = writePsFile(clip, 1, f10);
    const m60 = writePsFile(clip, 6, f60);
    const c10: number[] = [];
    const c60: number[] = [];
    for (let i = 0; i < runs; i++) {
      c10.push(ffmpegUtimeStime(f10));
      c60.push(ffmpegUtimeStime(f60));
    }
    const per10 = c10.map((c) => c / m10);
    const per60 = c60.map((c) => c / m60);
    // the 60-s file minus the 10-s file: ffmpeg's start-up (probing, libav init) cancels out
    const marginal = c60.map((c, i) => Math.max(0, c - c10[i]) / (m60 - m10));
    return { per10, per60, marginal };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const f4 = (v: number) => v.toFixed(4);

async function cpuMode(load: Child, clip: Clip) {
  const n = Number(a.streams);
  const rounds = Number(a.rounds);
  const results: Result[] = [];
  // the receiver process with no stream at all: what the per-stream figures include as fixed overhead
  const idle = await measure(load, 'idle', 0);
  console.log(`idle receiver process: ${idle.cpuS.toFixed(3)} CPU-s in ${idle.wallS.toFixed(1)} s = ${idle.cpuPct.toFixed(2)} % of a core`);
  for (let r = 0; r < rounds; r++) {
    for (const mode of a.modes.split(',') as ('baseline' | 'full' | 'record')[]) {
      const res = await measure(load, mode, n);
      results.push(res);
      console.log(
        `round ${r + 1} ${mode.padEnd(8)} ${n} streams × ${res.wallS.toFixed(1)} s: CPU ${res.cpuS.toFixed(2)} s = ${res.cpuPct.toFixed(1)} % of a core (${(res.sysShare * 100).toFixed(0)} % kernel) → ${f4(res.cpuPerStreamS)} CPU-s/s per stream; loss ${res.lossPct.toFixed(3)} %; loop p99 ${res.loopP99Ms.toFixed(1)} ms; sender CPU ${res.senderCpuPct.toFixed(0)} %, rate ${(res.senderRate * 100).toFixed(1)} %; machine ${res.busyCores.toFixed(2)} cores busy, ${res.othersCores.toFixed(2)} not ours${mode !== 'baseline' ? `; ${JSON.stringify(res.extra)}` : ''}`,
      );
    }
  }
  const base = results.filter((r) => r.mode === 'baseline').map((r) => r.cpuPerStreamS);
  const full = results.filter((r) => r.mode === 'full').map((r) => r.cpuPerStreamS);
  const rec = results.filter((r) => r.mode === 'record');
  if (rec.length && !base.length) {
    const recCpu = rec.map((r) => r.cpuPerStreamS);
    const shares = recCpu.map((c, i) => (c - full[i]) / full[i]);
    const disk = rec.map((r) => r.extra.diskBytes / Math.max(1, r.extra.mediaBytes));
    console.log(`\n=== recording cost: ${n} streams of 1080p25 H.264 ~${clip.mbps.toFixed(2)} Mb/s, ${SECONDS} s windows, ${rounds} rounds (median (min–max)); ${machineNote()} ===`);
    console.log(`full (ingest → hub → FLV null sink)       ${spread(full, 4)} CPU-s per media-s per stream`);
    console.log(`record (full + fMP4 recorder to disk)    ${spread(recCpu, 4)} CPU-s per media-s per stream`);
    console.log(`recorder share of the ingest cost        ${spread(shares, 2)} (per round (record − full) / full; goal ≤ 0.5)`);
    console.log(`disk bytes / media bytes                 ${spread(disk, 4)} (goal ≤ 1.02)`);
    console.log(JSON.stringify({ bench: 'record-cost', streams: n, seconds: SECONDS, fullCpuPerStream: full, recordCpuPerStream: recCpu, recorderShare: shares.map((x) => Number(x.toFixed(3))), diskOverMedia: disk.map((x) => Number(x.toFixed(4))), load: machineNote() }));
    return;
  }
  const ratios = full.map((f, i) => f / base[i]);
  const ref = a['no-ffmpeg'] ? undefined : ffmpegReference(clip, 3);
  console.log(`\n=== media ingest CPU: ${n} streams of 1080p25 H.264 ~${clip.mbps.toFixed(2)} Mb/s PS over RTP/UDP, ${SECONDS} s windows, ${rounds} rounds (median (min–max)) ===`);
  console.log(`load generator: child process, ${clip.packets / clip.frames.length} packets/frame avg, phase ${a.phase}; ${machineNote()}`);
  console.log(`idle receiver (no streams, same process)  ${((idle.cpuS / idle.wallS) / n).toFixed(4)} CPU-s/s spread over ${n} streams (included in both rows below)`);
  console.log(`baseline (bare UDP socket, discard)      ${spread(base, 4)} CPU-s per media-s per stream`);
  console.log(`full (RTP→reorder→PS→hub→FLV null sink)  ${spread(full, 4)} CPU-s per media-s per stream`);
  const ratioOfMedians = median(full) / median(base);
  console.log(`ratio full / baseline                    ${ratioOfMedians.toFixed(2)} (ratio of the medians; per round ${spread(ratios, 2)}) (goal ≤ 2.0 → ${(ratioOfMedians / 2).toFixed(2)} of the goal)`);
  if (ref) {
    console.log(`ffmpeg -f mpeg -c copy -f flv (file in, no network, no RTP): 10-s file ${spread(ref.per10, 4)}, 60-s file ${spread(ref.per60, 4)}, start-up removed ${spread(ref.marginal, 4)} CPU-s per media-s`);
    console.log(`ratio full / ffmpeg (60-s file)          ${spread(full.map((f) => f / median(ref.per60)), 1)}`);
  }
  console.log(`ratio full / C++ peer (${PEER_CPU})         ${spread(full.map((f) => f / PEER_CPU), 2)}; baseline / C++ peer ${spread(base.map((b) => b / PEER_CPU), 2)}`);
  console.log(
    JSON.stringify({
      bench: 'media-ingest',
      streams: n,
      seconds: SECONDS,
      rounds,
      mbps: Number(clip.mbps.toFixed(3)),
      idleCpuPct: Number(idle.cpuPct.toFixed(3)),
      baselineCpuPerStream: base,
      fullCpuPerStream: full,
      ratioFullBaseline: Number(ratioOfMedians.toFixed(3)),
      ratioFullBaselinePerRound: ratios.map((r) => Number(r.toFixed(3))),
      ffmpegPerMediaS: ref && { file10s: ref.per10, file60s: ref.per60, marginal: ref.marginal },
      ratioFullPeer: full.map((f) => Number((f / PEER_CPU).toFixed(3))),
      loss: results.map((r) => ({ mode: r.mode, lossPct: Number(r.lossPct.toFixed(4)), sent: r.sent, received: r.received })),
      senderCpuPct: results.map((r) => Math.round(r.senderCpuPct)),
      kernelShare: results.map((r) => ({ mode: r.mode, sys: Number(r.sysShare.toFixed(2)) })),
      othersCores: results.map((r) => Number(r.othersCores.toFixed(2))),
      load: machineNote(),
    }),
  );
}

async function curveMode(load: Child, clip: Clip) {
  const levels = a.levels.split(',').map(Number);
  const results: Result[] = [];
  for (const n of levels) {
    const res = await measure(load, 'full', n);
    results.push(res);
    console.log(`${n} streams: loss ${res.lossPct.toFixed(3)} % (reorder ${res.reorderLossPct.toFixed(3)} %), receiver ${res.rxLagS.toFixed(2)} s behind at the end, CPU ${res.cpuPct.toFixed(0)} %, loop p99 ${res.loopP99Ms.toFixed(1)} max ${res.loopMaxMs.toFixed(1)} ms; sender CPU ${res.senderCpuPct.toFixed(0)} % rate ${(res.senderRate * 100).toFixed(1)} % max late ${res.senderMaxLateMs.toFixed(0)} ms; machine ${res.busyCores.toFixed(2)} cores busy, ${res.othersCores.toFixed(2)} not ours; ${JSON.stringify(res.extra)}`);
  }
  console.log(`\n=== streams held: full path (RTP→hub→FLV null reader), 1080p25 ~${clip.mbps.toFixed(2)} Mb/s each, ${SECONDS} s per level, phase ${a.phase}; ${machineNote()} ===`);
  console.log('streams  Mb/s in   loss %    reorder-lost %  rx lag s  rx CPU %  CPU-s/s/stream  loop p99 ms  loop max ms  sender CPU %  sender rate %  sender late max ms  kernel rcvbuf errs  others (cores)');
  for (const r of results) {
    console.log(
      `${String(r.streams).padStart(7)}  ${(r.streams * clip.mbps).toFixed(0).padStart(7)}  ${r.lossPct.toFixed(3).padStart(7)}  ${r.reorderLossPct.toFixed(3).padStart(14)}  ${r.rxLagS.toFixed(2).padStart(8)}  ${r.cpuPct.toFixed(0).padStart(8)}  ${f4(r.cpuPerStreamS).padStart(14)}  ${r.loopP99Ms.toFixed(1).padStart(11)}  ${r.loopMaxMs.toFixed(1).padStart(11)}  ${r.senderCpuPct.toFixed(0).padStart(12)}  ${(r.senderRate * 100).toFixed(1).padStart(13)}  ${r.senderMaxLateMs.toFixed(0).padStart(18)}  ${String(r.kernelRcvbufErrors).padStart(18)}  ${r.othersCores.toFixed(2).padStart(14)}`,
    );
  }
  const held = results.filter((r) => r.lossPct < 0.1 && r.rxLagS < 0.5 && r.senderRate > 0.98).map((r) => r.streams);
  console.log(`most streams with < 0.1 % loss, the receiver < 0.5 s behind and the sender on schedule: ${held.length ? Math.max(...held) : 0} (goal ≥ 200)`);
  console.log('(rx CPU may pass 100 %: V8 GC helper threads count; loss counts every packet sent that never reached the ingest, after the queues drained)');
  console.log(
    JSON.stringify({
      bench: 'media-ingest-curve',
      seconds: SECONDS,
      mbps: Number(clip.mbps.toFixed(3)),
      levels: results.map((r) => ({
        streams: r.streams,
        lossPct: Number(r.lossPct.toFixed(4)),
        reorderLossPct: Number(r.reorderLossPct.toFixed(4)),
        rxLagS: Number(r.rxLagS.toFixed(3)),
        sent: r.sent,
        received: r.received,
        cpuPct: Number(r.cpuPct.toFixed(1)),
        cpuPerStream: Number(r.cpuPerStreamS.toFixed(5)),
        loopP99Ms: Number(r.loopP99Ms.toFixed(1)),
        loopMaxMs: Number(r.loopMaxMs.toFixed(1)),
        senderCpuPct: Number(r.senderCpuPct.toFixed(1)),
        senderRate: Number(r.senderRate.toFixed(4)),
        senderMaxLateMs: Math.round(r.senderMaxLateMs),
        senderQueuedAtStop: r.senderQueuedAtStop,
        kernelRcvbufErrors: r.kernelRcvbufErrors,
        othersCores: Number(r.othersCores.toFixed(2)),
      })),
      heldUnder01Pct: held.length ? Math.max(...held) : 0,
      load: machineNote(),
    }),
  );
}

async function main() {
  const clip = loadClip();
  PACKETS_PER_S = (clip.packets / clip.frames.length) * 25;
  const load = startLoadChild('sender');
  try {
    await load.call('init', {}, 120_000);
    if (a.curve) await curveMode(load, clip);
    else await cpuMode(load, clip);
  } finally {
    await load.kill();
  }
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * Cascade send cost (issue 11: "100 concurrent cascade live streams … report CPU vs. local viewers of the same
 * streams"). N live streams are ingested by a LocalMediaNode (the load generator bench/media-load.ts, a child process,
 * sends real-rate 1080p25 ~2 Mb/s H.264 as PS over RTP/UDP, as in bench/media-ingest.ts); in the same run, alternated
 * `--rounds` times, the node process's CPU is measured with
 *   ingest  no reader (the floor: RTP → reorder → PS demux → hub)
 *   flv     one FLV viewer per stream (FlvSink, as the HTTP-FLV route uses it, writing to a TCP socket)
 *   send    one cascade send per stream (openSend/startSend: PS mux → RTP → UDP, or TCP with --transport tcp-active)
 * The viewers' sockets and the send targets are in a sink child process (this file with --sink) that counts what
 * arrives, so the measured process pays only the sending side of both. Printed: CPU-s per media-second per stream for
 * each mode, the output cost (mode − ingest) per stream, and the ratio send / flv of the output costs.
 *   npx tsx bench/cascade-send.ts [--streams 20] [--seconds 10] [--rounds 3] [--transport udp|tcp-active]
 * Ports: node pool 40000-40999 (receive and send), independent of SHARPEYE_RTP_PORT_RANGE.
 */
import dgram from 'node:dgram';
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger } from '../src/core/logger.js';
import { LocalMediaNode } from '../src/media/local-node.js';
import { FlvSink, sharedFlvFor } from '../src/media/out/flv-sink.js';
import { killChildrenOnExit, loadClip, machineCpu, machineNote, median, othersLoad, sleep, spread, startLoadChild } from './media-common.js';

const { values: a } = parseArgs({
  options: {
    streams: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    transport: { type: 'string', default: 'udp' },
    sink: { type: 'boolean', default: false },
  },
});

// ---------------- sink child: the upper platforms and the viewers' ends ----------------

function sinkMain(): void {
  const udp: dgram.Socket[] = [];
  let packets = 0;
  let markers = 0;
  let udpBytes = 0;
  let tcpBytes = 0;
  let tcpConns = 0;
  const server = net.createServer((s) => {
    tcpConns++;
    s.on('data', (d) => void (tcpBytes += d.length));
    s.on('error', () => undefined);
  });
  const handlers: Record<string, (m: any) => unknown> = {
    tcp: () => new Promise((res) => server.listen(0, '127.0.0.1', () => res({ port: (server.address() as net.AddressInfo).port }))),
    udp: async (m: { n: number }) => {
      const ports: number[] = [];
      while (udp.length < m.n) {
        const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
        s.on('message', (b) => {
          packets++;
          udpBytes += b.length;
          if (b[1] & 0x80) markers++;
        });
        await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
        udp.push(s);
      }
      for (const s of udp) ports.push(s.address().port);
      return { ports };
    },
    mark: () => ({ packets, markers, udpBytes, tcpBytes, tcpConns, cpu: process.cpuUsage() }),
  };
  process.on('message', (m: { id: number; cmd: string }) => {
    Promise.resolve()
      .then(() => handlers[m.cmd](m))
      .then(
        (result) => process.send!({ id: m.id, result }),
        (e: Error) => process.send!({ id: m.id, error: e.message }),
      );
  });
  process.on('disconnect', () => process.exit(0));
  process.title = 'sharpeye-bench-cascade-sink';
}

interface Sink {
  proc: ChildProcess;
  call<T = any>(cmd: string, args?: Record<string, unknown>): Promise<T>;
}

function startSink(): Sink {
  const proc = fork(fileURLToPath(import.meta.url), ['--sink'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let next = 1;
  const waiting = new Map<number, (m: any) => void>();
  proc.on('message', (m: any) => {
    waiting.get(m.id)?.(m);
    waiting.delete(m.id);
  });
  return {
    proc,
    call: (cmd, args = {}) =>
      new Promise((resolve, reject) => {
        const id = next++;
        waiting.set(id, (m) => (m.error ? reject(new Error(m.error)) : resolve(m.result)));
        proc.send({ id, cmd, ...args });
      }),
  };
}

// ---------------- the measured process ----------------

type Mode = 'ingest' | 'flv' | 'send';

interface Result {
  mode: Mode;
  cpuPerStream: number;
  cpuPct: number;
  sysShare: number;
  othersCores: number;
  /** what the sink got in the window, per stream and second */
  outMbps: number;
  framesPerS: number;
}

async function main() {
  const N = Number(a.streams);
  const SECONDS = Number(a.seconds);
  const transport = a.transport as 'udp' | 'tcp-active';
  const clip = loadClip();
  const load = startLoadChild('sender');
  const sink = startSink();
  const node = new LocalMediaNode({ id: 'bench', bindHost: '127.0.0.1', portRange: { min: 40000, max: 40999 }, lingerMs: 3_600_000, stallMs: 3_600_000, log: createLogger('silent') });
  try {
    await load.call('init', {}, 120_000);
    const targets: { port: number; ssrc: number }[] = [];
    const keys: string[] = [];
    for (let i = 0; i < N; i++) {
      const channelId = `3402000000132${String(i).padStart(7, '0')}`;
      const key = `live/${channelId}/main`;
      const ssrc = 0x0100_0000 + i;
      const r = await node.openReceive({ stream: { key, channelId, kind: 'live', variant: 'main' }, transport: 'udp', ssrc });
      await node.confirmReceive(key, { ssrc, rtpmap: { 96: 'PS' } });
      targets.push({ port: r.port, ssrc });
      keys.push(key);
    }
    await load.call('send', { targets, phase: 'spread' });
    await Promise.all(keys.map((k) => node.waitLive(k, 10_000)));
    const { port: tcpPort } = await sink.call('tcp');
    const { ports: udpPorts } = await sink.call('udp', { n: N });
    console.log(`${N} streams of 1080p25 H.264 ~${clip.mbps.toFixed(2)} Mb/s ingested; sends over ${transport}; ${SECONDS} s windows, ${a.rounds} rounds; ${machineNote()}`);

    const measure = async (mode: Mode): Promise<Result> => {
      const stop: Array<() => Promise<void> | void> = [];
      if (mode === 'flv') {
        for (const key of keys) {
          const sock = net.connect({ host: '127.0.0.1', port: tcpPort });
          await new Promise<void>((res) => sock.once('connect', () => res()));
          sock.setNoDelay(true);
          const s = node.hub.get(key)!;
          const r = s.attach(new FlvSink(sharedFlvFor(s), { write: (b) => void sock.write(b), backlog: () => sock.writableLength, end: () => sock.destroy() }), { protocol: 'flv', remote: 'bench' });
          stop.push(() => {
            r.detach();
            sock.destroy();
          });
        }
      }
      if (mode === 'send') {
        for (let i = 0; i < N; i++) {
          const o = await node.openSend({ key: keys[i], transport, host: '127.0.0.1', port: transport === 'udp' ? udpPorts[i] : tcpPort, ssrc: 0x0200_0000 + i, owner: 'bench' });
          await node.startSend(o.id);
          stop.push(() => node.stopSend(o.id));
        }
      }
      await sleep(Number(a.warmup) * 1000);
      const k0 = await sink.call('mark');
      const m0 = machineCpu();
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      await sleep(SECONDS * 1000);
      const c1 = process.cpuUsage(c0);
      const w1 = performance.now();
      const m1 = machineCpu();
      const k1 = await sink.call('mark');
      for (const f of stop) await f();
      const wallS = (w1 - w0) / 1000;
      const cpuS = (c1.user + c1.system) / 1e6;
      const bytes = k1.udpBytes - k0.udpBytes + k1.tcpBytes - k0.tcpBytes;
      const sinkCpu = (k1.cpu.user - k0.cpu.user + k1.cpu.system - k0.cpu.system) / 1e6;
      return {
        mode,
        cpuPerStream: cpuS / (N * wallS),
        cpuPct: (cpuS / wallS) * 100,
        sysShare: c1.system / Math.max(1, c1.user + c1.system),
        othersCores: othersLoad(m0, m1, wallS, cpuS + sinkCpu).othersCores,
        outMbps: (bytes * 8) / wallS / N / 1e6,
        framesPerS: (k1.markers - k0.markers) / wallS / N,
      };
    };

    const results: Result[] = [];
    for (let r = 0; r < Number(a.rounds); r++) {
      for (const mode of ['ingest', 'flv', 'send'] as const) {
        const res = await measure(mode);
        results.push(res);
        console.log(
          `round ${r + 1} ${mode.padEnd(6)} CPU ${res.cpuPct.toFixed(1)} % of a core (${(res.sysShare * 100).toFixed(0)} % kernel) → ${res.cpuPerStream.toFixed(4)} CPU-s/s per stream; out ${res.outMbps.toFixed(2)} Mb/s per stream${mode === 'send' && transport === 'udp' ? `, ${res.framesPerS.toFixed(1)} RTP frames/s per stream` : ''}; ${res.othersCores.toFixed(2)} cores busy elsewhere`,
        );
      }
    }
    const per = (m: Mode) => results.filter((x) => x.mode === m).map((x) => x.cpuPerStream);
    const ingest = per('ingest');
    const flv = per('flv');
    const send = per('send');
    const flvOut = flv.map((v, i) => v - ingest[i]);
    const sendOut = send.map((v, i) => v - ingest[i]);
    const ratio = median(sendOut) / median(flvOut);
    console.log(`\n=== cascade send vs local FLV viewers: ${N} streams, 1080p25 ~${clip.mbps.toFixed(2)} Mb/s, ${transport}; median (min–max) of ${a.rounds} rounds; ${machineNote()} ===`);
    console.log(`ingest only                          ${spread(ingest, 4)} CPU-s per media-s per stream`);
    console.log(`ingest + 1 FLV viewer per stream     ${spread(flv, 4)}  → viewer cost ${spread(flvOut, 4)}`);
    console.log(`ingest + 1 cascade send per stream   ${spread(send, 4)}  → send cost   ${spread(sendOut, 4)}`);
    console.log(`ratio send / FLV viewer (output cost) ${ratio.toFixed(2)}; whole stream with a send / with a viewer ${(median(send) / median(flv)).toFixed(2)}`);
    console.log(`100 cascade streams ≈ ${(median(send) * 100).toFixed(2)} cores (ingest included)`);
    console.log(JSON.stringify({ bench: 'cascade-send', streams: N, seconds: SECONDS, transport, mbps: Number(clip.mbps.toFixed(3)), ingest, flv, send, flvOut, sendOut, ratioSendFlv: Number(ratio.toFixed(3)), load: machineNote() }));
  } finally {
    await node.close();
    await load.kill();
    sink.proc.kill();
  }
  process.exit(0);
}

if (a.sink) sinkMain();
else {
  killChildrenOnExit();
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

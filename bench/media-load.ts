/**
 * Load generator for the media benches, run as a child process (bench/media-common.ts startLoadChild) so it has its
 * own event loop but shares the machine's CPUs with the process under test, as cameras and viewers would not.
 *
 * Sender: the clip's RTP packets, made once (media-common loadClip), replayed per stream at real rate: one shared
 * 5 ms timer, each stream in one of 8 phase slots (frame every 40 ms) and starting at a random frame of the clip, so
 * keyframes of different streams do not line up; the 12-byte RTP header is rewritten per packet (stream's SSRC,
 * running sequence number and timestamp) and sent with the shared payload (scatter send, no copy in JS).
 * Viewers: HTTP-FLV GETs, counting coded video tags and gaps in their timestamps; "sampled" viewers also record when
 * each frame arrived, against the sender's send time of that frame (same process, same clock).
 *
 * Commands over IPC (see handlers below): init, view, send, mark, stopSend, closeViewers.
 */
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { FlvCounter, FRAME_MS, loadClip, type Clip, type FlvTagInfo } from './media-common.js';

const name = process.argv[2] ?? 'load';
let clip: Clip | undefined;

// ---------------- sender ----------------

interface Tx {
  sock: dgram.Socket;
  ssrc: number;
  seq: number;
  ts: number;
  /** clip frame of this stream's frame 0 */
  offset: number;
  slot: number;
  /** frames sent */
  n: number;
  packets: number;
  bytes: number;
  errors: number;
}

const SLOT_MS = 5;
const SLOTS = Math.round(FRAME_MS / SLOT_MS); // 8
let txs: Tx[] = [];
let bySlot: Tx[][] = [];
let tick = 0;
let t0 = 0;
let timer: NodeJS.Timeout | undefined;
let maxLateMs = 0;
let lateTicks = 0;
let ticks = 0;
/** send time (performance.now) of frame n of stream 0, for the latency samples */
let sendTimes: number[] = [];

function sendFrame(s: Tx): void {
  const f = clip!.frames[(s.offset + s.n) % clip!.frames.length];
  const pk = f.packets;
  for (let k = 0; k < pk.length; k++) {
    const p = pk[k];
    const h = Buffer.allocUnsafe(12);
    h[0] = 0x80;
    h[1] = p[1]; // marker + PT as packetized
    h.writeUInt16BE(s.seq, 2);
    h.writeUInt32BE(s.ts >>> 0, 4);
    h.writeUInt32BE(s.ssrc >>> 0, 8);
    s.seq = (s.seq + 1) & 0xffff;
    s.sock.send([h, p.subarray(12)]);
    s.bytes += p.length;
  }
  s.packets += pk.length;
  s.ts = (s.ts + 3600) >>> 0;
  s.n++;
}

function runTicks(): void {
  const now = performance.now();
  // every slot whose time has come (a stalled loop catches up, late, rather than skipping frames)
  while (t0 + tick * SLOT_MS <= now) {
    const late = now - (t0 + tick * SLOT_MS);
    if (late > maxLateMs) maxLateMs = late;
    if (late > SLOT_MS * 2) lateTicks++;
    ticks++;
    const list = bySlot[tick % SLOTS];
    for (let i = 0; i < list.length; i++) {
      const s = list[i];
      sendFrame(s);
      if (s === txs[0]) sendTimes[s.n - 1] = performance.now();
    }
    tick++;
  }
  timer = setTimeout(runTicks, Math.max(0, t0 + tick * SLOT_MS - performance.now()));
}

async function startSend(a: { targets: { port: number; ssrc: number }[]; phase: 'spread' | 'aligned'; firstAtZero?: boolean }): Promise<{ streams: number }> {
  const c = clip!;
  const rand = (n: number) => Math.floor(Math.random() * n);
  txs = await Promise.all(
    a.targets.map(async (t, i) => {
      const sock = dgram.createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.connect(t.port, '127.0.0.1', () => {
          sock.off('error', reject);
          resolve();
        });
      });
      const s: Tx = {
        sock,
        ssrc: t.ssrc,
        seq: rand(0x10000),
        ts: rand(2 ** 31),
        offset: a.firstAtZero && i === 0 ? 0 : rand(c.frames.length),
        slot: a.phase === 'aligned' || (a.firstAtZero && i === 0) ? 0 : rand(SLOTS),
        n: 0,
        packets: 0,
        bytes: 0,
        errors: 0,
      };
      sock.on('error', () => void s.errors++); // ECONNREFUSED after the receiver closed: a camera keeps sending
      return s;
    }),
  );
  bySlot = Array.from({ length: SLOTS }, () => []);
  for (const s of txs) bySlot[s.slot].push(s);
  sendTimes = [];
  tick = 0;
  maxLateMs = 0;
  lateTicks = 0;
  ticks = 0;
  t0 = performance.now();
  runTicks();
  return { streams: txs.length };
}

/**
 * Stops the schedule, lets libuv's send queues (packets the kernel refused for now: a full send buffer) drain, then
 * closes: closing would cancel what is still queued, so those are counted as not sent (`unsent`), not as lost.
 */
async function stopSend(): Promise<unknown> {
  clearTimeout(timer);
  timer = undefined;
  const queued = () => txs.reduce((t, s) => t + s.sock.getSendQueueCount(), 0);
  const queuedAtStop = queued();
  for (const until = performance.now() + 5000; queued() > 0 && performance.now() < until; ) await new Promise((r) => setTimeout(r, 20));
  const unsent = queued();
  const snap = senderSnapshot();
  const out = { ...snap, packets: snap.packets - unsent, queuedAtStop, unsent };
  await Promise.all(txs.map((s) => new Promise<void>((r) => s.sock.close(() => r()))));
  txs = [];
  return out;
}

function senderSnapshot() {
  let packets = 0;
  let bytes = 0;
  let frames = 0;
  let errors = 0;
  for (const s of txs) {
    packets += s.packets;
    bytes += s.bytes;
    frames += s.n;
    errors += s.errors;
  }
  const elapsed = performance.now() - t0;
  return {
    streams: txs.length,
    packets,
    bytes,
    frames,
    errors,
    perStream: txs.map((s) => s.packets),
    /** frames the schedule asked for so far, all streams */
    framesDue: txs.length ? Math.floor(elapsed / FRAME_MS) * txs.length : 0,
    maxLateMs,
    lateTicks,
    ticks,
    stream0Frames: txs[0]?.n ?? 0,
  };
}

// ---------------- viewers ----------------

interface Viewer {
  /** destroys the connection */
  close(): void;
  status: number;
  frames: number;
  bytes: number;
  /** frames missing, from gaps in the 40 ms timestamp steps */
  gaps: number;
  lastTs: number;
  firstTs: number;
  /** sampled: [tag timestamp ms, arrival performance.now()] */
  arrivals?: number[];
  sizeMismatch: number;
  error?: string;
  ended: boolean;
}

let viewers: Viewer[] = [];

/**
 * Resolves at the response head (`wait`), or once the request is sent (a stream not live yet sends no head).
 * `raw`: the same HTTP/1.1 GET over a plain TCP socket, chunked transfer coding decoded here (cheaper for the
 * client than http.get's parser and streams, which leaves more CPU to the server on a shared machine).
 */
function openViewer(url: string, sampled: boolean, wait = true, raw = false, created?: Viewer[]): Promise<Viewer> {
  return new Promise((resolve) => {
    const v: Viewer = { close: () => undefined, status: 0, frames: 0, bytes: 0, gaps: 0, lastTs: -1, firstTs: -1, sizeMismatch: 0, ended: false, arrivals: sampled ? [] : undefined };
    viewers.push(v); // tracked (and closed by closeViewers) from the start, answered or not
    created?.push(v);
    const onTag = (t: FlvTagInfo) => {
      if (!t.coded) return;
      const now = sampled ? performance.now() : 0;
      v.frames++;
      if (v.lastTs >= 0 && t.ts - v.lastTs > FRAME_MS * 1.5) v.gaps += Math.round((t.ts - v.lastTs) / FRAME_MS) - 1;
      if (v.firstTs < 0) v.firstTs = t.ts;
      v.lastTs = t.ts;
      if (sampled) {
        v.arrivals!.push(t.ts, now);
        // stream 0 starts at clip frame 0, and the FLV clock at its first frame: tag ts i·40 is clip frame i mod N
        const i = Math.round(t.ts / FRAME_MS);
        if (clip && clip.frames[i % clip.frames.length].flvDataBytes !== t.size) v.sizeMismatch++;
      }
    };
    const counter = new FlvCounter(onTag);
    if (raw) return openRaw(url, v, counter, wait, resolve);
    const req = http.get(url, { agent: false }, (res) => {
      v.status = res.statusCode ?? 0;
      res.on('data', (b: Buffer) => {
        v.bytes += b.length;
        if (v.status === 200) counter.push(b);
      });
      res.on('end', () => void (v.ended = true));
      res.on('error', () => void (v.ended = true));
      resolve(v);
    });
    v.close = () => req.destroy();
    if (!wait) req.on('finish', () => resolve(v));
    req.on('error', (e) => {
      v.error = e.message;
      v.ended = true;
      resolve(v);
    });
  });
}

function openRaw(url: string, v: Viewer, counter: FlvCounter, wait: boolean, resolve: (v: Viewer) => void): void {
  const u = new URL(url);
  const sock = net.connect(Number(u.port), u.hostname);
  v.close = () => sock.destroy();
  let head = '';
  let inBody = false;
  let chunkLeft = 0; // bytes of chunk data still to come
  let sizeLine = '';
  let crlf = 0; // bytes of the CRLF after a chunk still to skip
  sock.on('connect', () => {
    sock.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUser-Agent: sharpeye-bench\r\n\r\n`);
    if (!wait) resolve(v);
  });
  sock.on('data', (b: Buffer) => {
    v.bytes += b.length;
    let i = 0;
    if (!inBody) {
      head += b.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      v.status = Number(head.slice(9, 12));
      if (wait) resolve(v);
      if (v.status !== 200 || !/transfer-encoding: chunked/i.test(head)) {
        if (v.status === 200) v.error = 'expected chunked transfer coding';
        sock.destroy();
        return;
      }
      i = b.length - (head.length - end - 4);
      inBody = true;
    }
    while (i < b.length) {
      if (crlf > 0) {
        const k = Math.min(crlf, b.length - i);
        crlf -= k;
        i += k;
        continue;
      }
      if (chunkLeft > 0) {
        const k = Math.min(chunkLeft, b.length - i);
        counter.push(k === b.length && i === 0 ? b : b.subarray(i, i + k));
        chunkLeft -= k;
        i += k;
        if (chunkLeft === 0) crlf = 2;
        continue;
      }
      const nl = b.indexOf(10, i);
      if (nl < 0) {
        sizeLine += b.toString('latin1', i);
        return;
      }
      sizeLine += b.toString('latin1', i, nl);
      i = nl + 1;
      const size = parseInt(sizeLine, 16);
      sizeLine = '';
      if (size === 0) {
        v.ended = true;
        sock.destroy();
        return;
      }
      chunkLeft = size;
    }
  });
  const gone = (e?: Error) => {
    if (e) v.error = e.message;
    v.ended = true;
    resolve(v);
  };
  sock.on('error', gone);
  sock.on('close', () => gone());
}

/**
 * Opens viewers in batches (each batch once the previous one has its response heads). After `deadlineMs` no more
 * batches are started (an overloaded server accepts slowly): the answer says how many were opened and answered.
 */
async function view(a: { url: string; count: number; sampled: boolean; batch?: number; wait?: boolean; raw?: boolean; deadlineMs?: number }): Promise<unknown> {
  const batch = a.batch ?? 50;
  const until = performance.now() + (a.deadlineMs ?? 90_000);
  const opened: Viewer[] = [];
  for (let i = 0; i < a.count && performance.now() < until; i += batch) {
    const n = Math.min(batch, a.count - i);
    const b = Array.from({ length: n }, () => openViewer(a.url, a.sampled, a.wait ?? true, a.raw ?? false, opened));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(b), new Promise((r) => (timer = setTimeout(r, Math.max(0, until - performance.now()))))]);
    clearTimeout(timer);
  }
  return {
    opened: opened.length,
    ok: opened.filter((v) => v.status === 200).length,
    gaveUp: opened.length < a.count || opened.some((v) => v.status === 0),
    errors: [...new Set(opened.filter((v) => v.error || v.status !== 200).map((v) => v.error ?? `HTTP ${v.status}`))],
  };
}

function viewerSnapshot() {
  return {
    count: viewers.length,
    ok: viewers.filter((v) => v.status === 200 && !v.ended).length,
    ended: viewers.filter((v) => v.ended).length,
    frames: viewers.map((v) => v.frames),
    gaps: viewers.map((v) => v.gaps),
    bytes: viewers.reduce((n, v) => n + v.bytes, 0),
    sizeMismatch: viewers.reduce((n, v) => n + v.sizeMismatch, 0),
    lastTs: viewers.map((v) => v.lastTs),
  };
}

/**
 * Latency samples: arrival − send time of the same frame, for frames that arrived in [from, to] (performance.now of
 * this process): a viewer that lags by seconds shows it, instead of having no samples.
 */
function latency(from: number, to: number): { samples: number[]; unmatched: number; perSecondMax: number[] } {
  const samples: number[] = [];
  const perSecondMax: number[] = [];
  let unmatched = 0;
  for (const v of viewers) {
    const a = v.arrivals;
    if (!a) continue;
    for (let k = 0; k < a.length; k += 2) {
      const i = Math.round(a[k] / FRAME_MS);
      const sent = sendTimes[i];
      if (sent === undefined) {
        unmatched++;
        continue;
      }
      const at = a[k + 1];
      if (at >= from && at <= to) {
        const d = at - sent;
        samples.push(d);
        const sec = Math.floor((at - from) / 1000);
        perSecondMax[sec] = Math.max(perSecondMax[sec] ?? 0, Math.round(d));
      }
    }
  }
  return { samples, unmatched, perSecondMax };
}

/** Closes the viewers (`sampledOnly`: just the sampled ones). */
async function closeViewers(a: { sampledOnly?: boolean }): Promise<unknown> {
  const out = viewerSnapshot();
  const close = viewers.filter((v) => !a.sampledOnly || v.arrivals);
  for (const v of close) v.close();
  viewers = viewers.filter((v) => !close.includes(v));
  return out;
}

// ---------------- IPC ----------------

const handlers: Record<string, (a: any) => unknown> = {
  init: () => {
    clip = loadClip();
    return { frames: clip.frames.length, packets: clip.packets, mbps: clip.mbps, psBytes: clip.psBytes };
  },
  send: startSend,
  stopSend,
  view,
  closeViewers,
  /** counters now (`at` is this process's performance.now) */
  mark: () => ({ at: performance.now(), cpu: process.cpuUsage(), sender: senderSnapshot(), viewers: viewerSnapshot() }),
  /** latency samples of stream 0's frames received between two marks */
  latency: (a: { from: number; to: number }) => latency(a.from, a.to),
};

process.on('message', (m: { id: number; cmd: string }) => {
  Promise.resolve()
    .then(() => handlers[m.cmd]!(m))
    .then(
      (result) => process.send!({ id: m.id, result }),
      (e: Error) => process.send!({ id: m.id, error: `${m.cmd}: ${e.stack ?? e.message}` }),
    );
});
process.on('disconnect', () => process.exit(0));
process.title = `sharpeye-bench-${name}`;

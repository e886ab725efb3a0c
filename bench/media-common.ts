/**
 * Shared by the media benches (media-ingest, media-viewers, and the load generator media-load): the test clip, its
 * PS frames and RTP packets (made once, replayed by the load generator), the child-process RPC and small statistics.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TrackParams, VideoFrame } from '../src/lib/av/frame.js';
import { FlvMuxer } from '../src/lib/flv/index.js';
import { h264Params, h264StartsAccessUnit, isH264Keyframe, splitAnnexB } from '../src/lib/h264/index.js';
import { muxPs } from '../src/lib/ps/index.js';
import { packetizePs } from '../src/lib/rtp/index.js';

export const FPS = 25;
export const FRAME_MS = 1000 / FPS;
export const MTU = 1400;
export const PT = 96;
const CLIP_SECONDS = 10;

/** 1080p25 H.264 at ~2 Mb/s, GOP 50, no B-frames, raw Annex B; made by ffmpeg once per machine (cached in the temp dir). */
export function ensureClip(): string {
  const dir = path.join(tmpdir(), 'sharpeye-media-clips');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-1080p25-2M-${CLIP_SECONDS}s.h264`);
  if (existsSync(file)) return file;
  const part = `${file}.${process.pid}.part`;
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=25', '-t', String(CLIP_SECONDS),
    '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '2M', '-maxrate', '2M', '-bufsize', '2M', '-g', '50', '-bf', '0', '-pix_fmt', 'yuv420p',
    '-f', 'h264', part,
  ]);
  renameSync(part, file);
  return file;
}

export interface ClipFrame {
  /** video frame as the demuxer should give it back (pts = 90000 + i·3600) */
  frame: VideoFrame;
  /** the frame as one PS pack (muxPs) */
  ps: Buffer;
  /** the PS cut into RTP packets (packetizePs: PT 96, ≤ 1400-byte payloads, marker on the last); SSRC 0, seq from 0 */
  packets: Buffer[];
  /** FLV VIDEODATA size of this frame's coded-frames tag (to check a received tag is the frame we think it is) */
  flvDataBytes: number;
}

export interface Clip {
  frames: ClipFrame[];
  params: TrackParams;
  /** bytes of PS, packets per frame on average, Mb/s of PS */
  psBytes: number;
  packets: number;
  mbps: number;
  keyIndexes: number[];
}

/** The clip as frames → PS (muxPs) → RTP (packetizePs), done once. */
export function loadClip(): Clip {
  const units = splitAnnexB(readFileSync(ensureClip()));
  const aus: Buffer[][] = [];
  let vcl = false;
  for (const u of units) {
    if (vcl && h264StartsAccessUnit(u, 0)) {
      aus.push([]);
      vcl = false;
    }
    if (!aus.length) aus.push([]);
    aus[aus.length - 1].push(u);
    const t = u[0] & 0x1f;
    if (t >= 1 && t <= 5) vcl = true;
  }
  const params: TrackParams = { video: h264Params(aus[0])! };
  const seq = { value: 0 };
  const flv = new FlvMuxer({ g711: false });
  let psBytes = 0;
  let packets = 0;
  const frames: ClipFrame[] = aus.map((au, i) => {
    const pts = 90_000 + i * 3600;
    const frame: VideoFrame = { track: 'video', codec: 'h264', pts, dts: pts, key: isH264Keyframe(au), units: au };
    const ps = muxPs(frame, params);
    const pk = packetizePs(ps, { ssrc: 0, payloadType: PT, seq, timestamp: pts, mtu: MTU });
    psBytes += ps.length;
    packets += pk.length;
    return { frame, ps, packets: pk, flvDataBytes: lastTagDataBytes(flv.tag(frame)!) };
  });
  const keyIndexes = frames.flatMap((f, i) => (f.frame.key ? [i] : []));
  return { frames, params, psBytes, packets, mbps: (psBytes * 8) / (frames.length / FPS) / 1e6, keyIndexes };
}

/** Size of the VIDEODATA of the last tag in a muxer output (a key frame may come with a sequence-header tag first). */
function lastTagDataBytes(b: Buffer): number {
  const prev = b.readUInt32BE(b.length - 4); // PreviousTagSize = 11 + data
  return prev - 11;
}

// ---------- FLV counting (just enough of FLV: 9-byte header, then tag header 11 bytes + data + PreviousTagSize 4) ----------

export interface FlvTagInfo {
  type: number;
  ts: number;
  size: number;
  /** H.264 coded frame (CodecID 7, AVCPacketType 1) */
  coded: boolean;
}

/** Streaming FLV tag splitter that never copies the data, only counts it. */
export class FlvCounter {
  private skip = 13; // FLV header (9) + PreviousTagSize0 (4)
  private readonly h = Buffer.alloc(11);
  private hlen = 0;
  private data = -1; // bytes of tag data still to come; -1 while reading a header
  private d0 = -1;
  private d1 = -1;
  private cur: FlvTagInfo = { type: 0, ts: 0, size: 0, coded: false };

  constructor(private readonly onTag: (t: FlvTagInfo) => void) {}

  push(b: Buffer): void {
    let i = 0;
    const n = b.length;
    while (i < n) {
      if (this.skip > 0) {
        const k = Math.min(this.skip, n - i);
        this.skip -= k;
        i += k;
        continue;
      }
      if (this.data < 0) {
        const k = Math.min(11 - this.hlen, n - i);
        b.copy(this.h, this.hlen, i, i + k);
        this.hlen += k;
        i += k;
        if (this.hlen < 11) continue;
        const h = this.h;
        this.cur = { type: h[0] & 0x1f, size: (h[1] << 16) | (h[2] << 8) | h[3], ts: ((h[7] << 24) | (h[4] << 16) | (h[5] << 8) | h[6]) >>> 0, coded: false };
        this.hlen = 0;
        this.data = this.cur.size;
        this.d0 = this.d1 = -1;
        if (this.data === 0) this.endTag();
        continue;
      }
      const k = Math.min(this.data, n - i);
      const off = this.cur.size - this.data;
      if (off === 0 && k > 0) this.d0 = b[i];
      if (off <= 1 && off + k > 1) this.d1 = b[i + 1 - off];
      this.data -= k;
      i += k;
      if (this.data === 0) this.endTag();
    }
  }

  private endTag(): void {
    this.data = -1;
    this.skip = 4;
    const t = this.cur;
    t.coded = t.type === 9 && (this.d0 & 0x0f) === 7 && this.d1 === 1;
    this.onTag(t);
  }
}

// ---------- child-process RPC ----------

export interface Child {
  proc: ChildProcess;
  call<T = any>(cmd: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  kill(): Promise<void>;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** Starts bench/media-load.ts as a child process (own event loop and CPU, same machine). */
export function startLoadChild(name: string): Child {
  const proc = fork(path.join(here, 'media-load.ts'), [name], { execArgv: ['--import', 'tsx', '--max-old-space-size=2048'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  proc.on('message', (m: any) => {
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.error) w.reject(new Error(`${name}: ${m.error}`));
    else w.resolve(m.result);
  });
  proc.on('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`${name} exited (${code})`));
    waiting.clear();
  });
  children.add(proc);
  return {
    proc,
    call(cmd, args = {}, timeoutMs = 60_000) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`${name}: ${cmd} timed out`));
        }, timeoutMs);
        waiting.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        proc.send({ id, cmd, ...args });
      });
    },
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(t);
      children.delete(proc);
    },
  };
}

const children = new Set<ChildProcess>();
/** On any exit of the bench, the load generators go too. */
export function killChildrenOnExit(): void {
  const killAll = () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
}

// ---------- statistics ----------

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** "median (min–max)" of repeated measurements */
export function spread(xs: number[], digits = 2): string {
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
  if (xs.length === 1) return f(xs[0]);
  return `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
}

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Kernel UDP counters (whole machine: other programs' drops count too). */
export function udpCounters(): { inErrors: number; rcvbufErrors: number } {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const keys = lines[0].split(/\s+/);
  const vals = lines[1].split(/\s+/).map(Number);
  const get = (k: string) => vals[keys.indexOf(k)] ?? 0;
  return { inErrors: get('InErrors'), rcvbufErrors: get('RcvbufErrors') };
}

/** Whole-machine CPU counters (/proc/stat, USER_HZ ticks): busy and total, all cores. */
export function machineCpu(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] ?? 0);
  const total = f.slice(0, 8).reduce((t, x) => t + x, 0);
  return { busy: total - idle, total };
}

/**
 * Over a window: the machine's busy share in cores, and how much of it was not the bench's own processes
 * (`oursCpuS`: CPU-seconds of the receiver and its children in the window): other engineers' tests, kernel work.
 */
export function othersLoad(m0: { busy: number; total: number }, m1: { busy: number; total: number }, wallS: number, oursCpuS: number): { busyCores: number; othersCores: number } {
  const hz = 100;
  const busyCores = (m1.busy - m0.busy) / hz / wallS;
  return { busyCores, othersCores: Math.max(0, busyCores - oursCpuS / wallS) };
}

/** Load average and the busiest other processes, to say what else was running. */
export function machineNote(): string {
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return `loadavg ${load}`;
}

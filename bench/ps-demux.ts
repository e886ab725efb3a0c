/**
 * PS demux cost (GB/T 28181 附录C ingest): a 2 Mb/s 1080p25 H.264 + G.711A program stream, made with ffmpeg and our
 * muxer, cut into 1400-byte RTP-sized payloads, fed to PsDemuxer (marker on each frame's last payload), against a
 * loop that only copies the payloads. Prints throughput, per-stream CPU share and the ratio.
 *   npx tsx bench/ps-demux.ts [--seconds 20] [--rounds 5]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Frame, TrackParams } from '../src/lib/av/frame.js';
import { h264Params, h264StartsAccessUnit, splitAnnexB } from '../src/lib/h264/index.js';
import { isH264Keyframe } from '../src/lib/h264/index.js';
import { PsDemuxer, PsMuxer } from '../src/lib/ps/index.js';

const { values: a } = parseArgs({ options: { seconds: { type: 'string', default: '20' }, rounds: { type: 'string', default: '5' } } });
const SECONDS = Number(a.seconds);
const ROUNDS = Number(a.rounds);
const MTU = 1400;

const dir = mkdtempSync(path.join(tmpdir(), 'ps-bench-'));
const es = path.join(dir, 'v.h264');
execFileSync('ffmpeg', [
  '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
  '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=25', '-t', String(SECONDS),
  '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-bf', '0', '-b:v', '2M', '-maxrate', '2M', '-bufsize', '1M',
  '-f', 'h264', es,
]);
const units = splitAnnexB(readFileSync(es));
rmSync(dir, { recursive: true, force: true });

// access units → frames → PS packs → 1400-byte payloads (marker on the last payload of each pack)
const aus: Buffer[][] = [];
let vcl = false;
for (const u of units) {
  if (vcl && h264StartsAccessUnit(u, 0)) {
    aus.push([]);
    vcl = false;
  }
  if (!aus.length) aus.push([]);
  aus[aus.length - 1].push(u);
  if ((u[0] & 0x1f) >= 1 && (u[0] & 0x1f) <= 5) vcl = true;
}
const params: TrackParams = { video: h264Params(aus[0])!, audio: { codec: 'g711a', sampleRate: 8000, channels: 1 } };
const mux = new PsMuxer(params);
const payloads: Buffer[] = [];
const markers: boolean[] = [];
const audio = Buffer.alloc(320, 0xd5);
aus.forEach((au, i) => {
  const pts = 90_000 + i * 3600;
  const packs = [
    mux.mux({ track: 'video', codec: 'h264', pts, dts: pts, key: isH264Keyframe(au), units: au }),
    mux.mux({ track: 'audio', codec: 'g711a', pts, dts: pts, key: true, units: [audio] }),
  ];
  for (const p of packs) {
    for (let o = 0; o < p.length; o += MTU) {
      payloads.push(Buffer.from(p.subarray(o, o + MTU))); // own buffers, as UDP delivers them
      markers.push(o + MTU >= p.length);
    }
  }
});
const bytes = payloads.reduce((n, p) => n + p.length, 0);
const mbps = (bytes * 8) / SECONDS / 1e6;

function demuxRound(): number {
  let frames = 0;
  const d = new PsDemuxer({ onFrame: (f: Frame) => void (frames += f.units.length > 0 ? 1 : 0) });
  for (let i = 0; i < payloads.length; i++) d.push(payloads[i], markers[i]);
  d.flush();
  return frames;
}

const sink = Buffer.allocUnsafe(MTU);
function copyRound(): number {
  let n = 0;
  for (const p of payloads) n += p.copy(sink, 0);
  return n;
}

function time(fn: () => number): { ms: number; out: number } {
  let best = Infinity;
  let out = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t = process.hrtime.bigint();
    out = fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { ms: best, out };
}

time(demuxRound); // warm up
time(copyRound);
const demux = time(demuxRound);
const copy = time(copyRound);
const expectFrames = aus.length * 2;
console.log(
  `stream: 1920x1080 25 fps H.264 + G.711A, ${SECONDS} s, ${mbps.toFixed(2)} Mb/s, ${payloads.length} payloads of ≤ ${MTU} B`,
);
const mbs = (ms: number): string => ((bytes / ms / 1e3)).toFixed(0);
const share = demux.ms / (SECONDS * 1000);
console.log(
  `PsDemuxer: ${demux.ms.toFixed(1)} ms for ${demux.out}/${expectFrames} frames → ${mbs(demux.ms)} MB/s, ` +
    `${(share * 100).toFixed(3)} % of one core per stream (≈ ${Math.floor(1 / share)} streams per core)`,
);
console.log(`copy only: ${copy.ms.toFixed(2)} ms → ${mbs(copy.ms)} MB/s`);
console.log(`ratio demux / copy: ${(demux.ms / copy.ms).toFixed(1)}×`);
if (demux.out !== expectFrames) process.exitCode = 1;

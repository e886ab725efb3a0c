/**
 * Simulator media CPU measurement (not part of the suite):
 *   node --import tsx test/sim/media-measure.ts [--streams 50] [--seconds 10] [--media file] [--transport udp|tcp]
 * The platform (registrar + INVITEs) runs in this process but is idle while measuring; the RTP goes to a sink in
 * a child process (one UDP socket, or a TCP listener taking every connection). Reports the simulator's CPU
 * (process.cpuUsage over the window), event-loop delay and what the sink received.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createLogger } from '../../src/core/logger.js';
import { SipHeaders } from '../../src/lib/sip/index.js';
import { ClientDialog } from '../../src/sip/dialog.js';
import { newCallId, newTag } from '../../src/sip/endpoint.js';
import { Simulator } from '../../src/sim/simulator.js';
import { DOMAIN, MiniPlatform, PASSWORD, SERVER_ID } from './mini-platform.js';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    media: { type: 'string' },
    transport: { type: 'string', default: 'udp' },
  },
});
const N = Number(values.streams);
const SECONDS = Number(values.seconds);
const tcp = values.transport === 'tcp';

let media = values.media;
if (!media) {
  media = path.join(mkdtempSync(path.join(tmpdir(), 'sharpeye-media-measure-')), 'x.mp4');
  // a camera-like 1080p stream: ~2 Mbit/s H.264, GOP 50
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=25', '-t', '10', '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '2M', '-maxrate', '2M', '-bufsize', '2M', '-g', '50', '-bf', '0', media]);
}

const SINK = `
const dgram = require('node:dgram'); const net = require('node:net');
let bytes = 0, packets = 0;
const report = () => process.stdout.write(JSON.stringify({ bytes, packets }) + '\\n');
if (process.argv[1] === 'tcp') {
  const s = net.createServer((c) => c.on('data', (d) => { bytes += d.length; packets++; }).on('error', () => {}));
  s.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: s.address().port }) + '\\n'));
} else {
  const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
  s.on('message', (m) => { bytes += m.length; packets++; });
  s.bind(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: s.address().port }) + '\\n'));
}
process.stdin.on('data', report);
`;

const sink = spawn(process.execPath, ['-e', SINK, tcp ? 'tcp' : 'udp'], { stdio: ['pipe', 'pipe', 'inherit'] });
const sinkLines: Record<string, number>[] = [];
let sinkOut = '';
sink.stdout.on('data', (d: Buffer) => {
  sinkOut += d.toString();
  const parts = sinkOut.split('\n');
  sinkOut = parts.pop()!;
  for (const l of parts) sinkLines.push(JSON.parse(l) as Record<string, number>);
});
const nextLine = async (): Promise<Record<string, number>> => {
  const n = sinkLines.length;
  while (sinkLines.length === n) await new Promise((r) => setTimeout(r, 20));
  return sinkLines[n];
};
const sinkPort = (await nextLine()).port;

const platform = await MiniPlatform.start();
platform.keep = false;
const perDevice = 8;
const sim = new Simulator({ server: platform.address, serverId: SERVER_ID, domain: DOMAIN, password: PASSWORD, devices: Math.ceil(N / perDevice), channelsPerDevice: perDevice, localHost: '127.0.0.1', media, log: createLogger('warn') });
const loadStart = process.cpuUsage();
const t0 = Date.now();
await sim.start();
const loadCpu = process.cpuUsage(loadStart);
await sim.whenAllRegistered(30_000);
console.log(`media loaded and ${sim.deviceIds().length} devices registered in ${Date.now() - t0} ms (load CPU ${Math.round((loadCpu.user + loadCpu.system) / 1000)} ms), rss ${Math.round(process.memoryUsage.rss() / 1048576)} MB`);

const channels = sim.deviceIds().flatMap((d) => sim.channelIds(d).map((c) => ({ d, c }))).slice(0, N);
const dialogs: ClientDialog[] = [];
await Promise.all(
  channels.map(async ({ d, c }, i) => {
    const reg = platform.registrations.get(d)!;
    const sdp = [
      'v=0',
      `o=${c} 0 0 IN IP4 127.0.0.1`,
      's=Play',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=video ${sinkPort} ${tcp ? 'TCP/RTP/AVP' : 'RTP/AVP'} 96`,
      'a=recvonly',
      'a=rtpmap:96 PS/90000',
      ...(tcp ? ['a=setup:passive', 'a=connection:new'] : []),
      `y=0${String(100_000_000 + i).slice(-9)}`,
      '',
    ].join('\r\n');
    const h = SipHeaders.from({ From: `<sip:${SERVER_ID}@${DOMAIN}>;tag=${newTag()}`, To: `<sip:${c}@${DOMAIN}>`, 'Call-ID': newCallId(), CSeq: '1 INVITE', Contact: `<sip:${SERVER_ID}@127.0.0.1:${platform.sockets.local.port}>`, 'Content-Type': 'APPLICATION/SDP' });
    const r = await ClientDialog.invite(platform.ep, reg.peer, { kind: 'request', method: 'INVITE', uri: reg.contact.replace(/^sip:[^@]+@/, `sip:${c}@`), headers: h, body: Buffer.from(sdp) });
    if (!r.dialog) throw new Error(`INVITE ${c}: ${r.response.status}`);
    dialogs.push(r.dialog);
  }),
);
await new Promise((r) => setTimeout(r, 2000));
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
sink.stdin.write('\n');
const before = await nextLine();
const cpu0 = process.cpuUsage();
const w0 = process.hrtime.bigint();
await new Promise((r) => setTimeout(r, SECONDS * 1000));
const cpu = process.cpuUsage(cpu0);
const wall = Number(process.hrtime.bigint() - w0) / 1e9;
sink.stdin.write('\n');
const afterSink = await nextLine();
loop.disable();
const st = sim.stats();
const cpuMs = (cpu.user + cpu.system) / 1000;
console.log(
  JSON.stringify({
    streams: st.streams,
    transport: values.transport,
    seconds: Math.round(wall * 10) / 10,
    cpuPercentOfOneCore: Math.round((cpuMs / (wall * 1000)) * 1000) / 10,
    cpuMsPerStreamSecond: Math.round((cpuMs / wall / N) * 100) / 100,
    userMs: Math.round(cpu.user / 1000),
    systemMs: Math.round(cpu.system / 1000),
    mediaKbps: st.mediaKbps,
    sinkMbps: Math.round(((afterSink.bytes - before.bytes) * 8) / wall / 1e4) / 100,
    sinkPacketsPerS: Math.round((afterSink.packets - before.packets) / wall),
    loopDelayP99ms: Math.round(loop.percentile(99) / 1e4) / 100,
    loopDelayMaxMs: Math.round(loop.max / 1e4) / 100,
    rssMB: Math.round(process.memoryUsage.rss() / 1048576),
  }),
);
await Promise.all(dialogs.map((d) => d.bye().catch(() => undefined)));
await sim.stop(2000);
await platform.close();
sink.kill();
process.exit(0);

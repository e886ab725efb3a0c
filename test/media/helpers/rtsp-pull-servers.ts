/**
 * Peers for the RTSP pull tests: an independent RTSP server (GStreamer's gst-rtsp-server, driven by a short Python
 * script because Debian ships no CLI for it) serving an ffmpeg-made file, and tiny scripted fake servers for bad
 * input (silent, always 401, odd SDP).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { Frame, TrackParams } from '../../../src/lib/av/frame.js';
import { type RtspRequest, type RtspResponse, RtspStreamParser, serializeRtspMessage } from '../../../src/lib/rtsp/index.js';
import type { Stream, StreamSink } from '../../../src/stream/index.js';

const PYTHON = '/usr/bin/python3'; // Debian's: the gi bindings live there, not in a pyenv one

const SERVE_PY = `
import sys, gi
gi.require_version('Gst', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import Gst, GstRtspServer, GLib
Gst.init(None)
port, path, launch = sys.argv[1], sys.argv[2], sys.argv[3]
server = GstRtspServer.RTSPServer.new()
server.set_address('127.0.0.1')
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory.new()
factory.set_launch(launch)
server.get_mount_points().add_factory(path, factory)
if server.attach(None) == 0:
    sys.exit('cannot listen on ' + port)
print('listening', flush=True)
GLib.MainLoop().run()
`;

const ELEMENTS = ['filesrc', 'qtdemux', 'queue', 'h264parse', 'rtph264pay', 'aacparse', 'rtpmp4gpay'];

/** Debian packages: python3-gst-1.0 gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad */
export const haveGstRtspServer = ((): boolean => {
  const check = `import gi; gi.require_version('Gst','1.0'); gi.require_version('GstRtspServer','1.0')
from gi.repository import Gst, GstRtspServer; Gst.init(None)
import sys; sys.exit(1 if [n for n in ${JSON.stringify(ELEMENTS)} if not Gst.ElementFactory.find(n)] else 0)`;
  return spawnSync(PYTHON, ['-c', check], { stdio: 'ignore', timeout: 20_000 }).status === 0;
})();

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A TCP port that was free a moment ago (and is closed now: connecting to it is refused). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** gst-rtsp-server playing `file` (MP4: H.264 video, AAC audio) at rtsp://127.0.0.1:port/test, in real time, from the start for each client. */
export class GstRtspServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly exited: Promise<void>,
  ) {}

  /** `inbandParams: false`: SPS/PPS only in the SDP (sprop-parameter-sets), never in the RTP stream */
  static async start(opts: { dir: string; file: string; port?: number; audio?: boolean; inbandParams?: boolean }): Promise<GstRtspServer> {
    const script = join(opts.dir, 'gst-rtsp-serve.py');
    writeFileSync(script, SERVE_PY);
    const port = opts.port ?? (await freePort());
    const video = `d.video_0 ! queue ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=${opts.inbandParams === false ? 0 : -1}`;
    const audio = opts.audio === false ? '' : ` d.audio_0 ! queue ! aacparse ! rtpmp4gpay name=pay1 pt=97`;
    const launch = `( filesrc location=${opts.file} ! qtdemux name=d ${video}${audio} )`;
    const child = spawn(PYTHON, [script, String(port), '/test', launch], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-4000)));
    child.stderr!.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-4000)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let dead = false;
    void exited.then(() => (dead = true));
    // robust start-up: the script says so, and the port really accepts connections
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !dead) {
      if (out.includes('listening') && (await canConnect(port))) return new GstRtspServer(child, port, exited);
      await sleep(50);
    }
    child.kill('SIGKILL');
    await exited;
    throw new Error(`gst-rtsp-server did not come up on ${port}: ${out}`);
  }

  url(path = 'test'): string {
    return `rtsp://127.0.0.1:${this.port}/${path}`;
  }

  /** Killed hard (a crashed camera): connections reset, no TEARDOWN or BYE. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

type Handler = (req: RtspRequest, conn: net.Socket) => RtspResponse | undefined;

/** A scripted RTSP server: `handler` answers each request (undefined: no answer at all). */
export class FakeRtspServer {
  readonly requests: RtspRequest[] = [];
  /** answers the client gave to requests of ours (server → client OPTIONS …) */
  readonly responses: RtspResponse[] = [];
  private readonly conns = new Set<net.Socket>();

  private constructor(private readonly server: net.Server) {}

  static async start(handler: Handler): Promise<FakeRtspServer> {
    const server = net.createServer();
    const fake = new FakeRtspServer(server);
    server.on('connection', (sock) => {
      fake.conns.add(sock);
      sock.on('close', () => fake.conns.delete(sock));
      sock.on('error', () => {});
      const parser = new RtspStreamParser({
        onMessage: (m) => {
          if (m.kind !== 'request') {
            fake.responses.push(m);
            return;
          }
          fake.requests.push(m);
          const res = handler(m, sock);
          if (res && !sock.destroyed) sock.write(serializeRtspMessage(res));
        },
        onInterleaved: () => {},
      });
      sock.on('data', (b: Buffer) => {
        try {
          parser.push(b);
        } catch {
          sock.destroy();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return fake;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get connections(): number {
    return this.conns.size;
  }

  url(path = 'cam'): string {
    return `rtsp://127.0.0.1:${this.port}/${path}`;
  }

  close(): Promise<void> {
    for (const c of this.conns) c.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface Collected {
  /** every frame the stream hands out (decodable, re-based), with its arrival time */
  frames: { frame: Frame; at: number }[];
  /** what a reader attached from the start got: it begins at a keyframe, and starts over when the params change */
  reader: Frame[];
  params: TrackParams[];
  detach(): void;
}

/** Records what the stream hands out, and attaches a reader as an output would. */
export function collect(stream: Stream): Collected {
  const c: Collected = { frames: [], reader: [], params: [], detach: () => {} };
  const onFrame = (f: Frame): void => {
    c.frames.push({ frame: f, at: Date.now() });
  };
  stream.on('frame', onFrame);
  const sink: StreamSink = {
    start: (p) => c.params.push(p),
    write: (f) => c.reader.push(f),
    backlog: () => 0,
    close: () => {},
  };
  const r = stream.attach(sink, { protocol: 'internal' });
  c.detach = () => {
    stream.off('frame', onFrame);
    r.detach();
  };
  return c;
}

/** Polls `cond` every 20 ms until true or `ms` passed. */
export async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(20);
  }
  return cond();
}

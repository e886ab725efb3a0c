import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../core/logger.js';
import type { Frame, TrackParams } from '../../lib/av/frame.js';
import { initSegment, mediaSegment } from '../../lib/fmp4/index.js';
import { livePlaylist, Segmenter } from '../../lib/hls/index.js';
import type { ReaderCloseReason, Stream, StreamSink } from '../../stream/index.js';
import type { LocalMediaNode } from '../local-node.js';
import type { MediaAuth } from './media-auth.js';

const WINDOW = 6;
/** a player polls the playlist every target duration (2 s); five missed polls end its session */
const SESSION_IDLE_MS = 10_000;

interface Segment {
  seq: number;
  duration: number;
  bytes: Buffer;
}

/**
 * One HLS packager per stream (fMP4 segments, RFC 8216), fed as a single hub reader and shared by every HLS viewer.
 * Viewers are HLS sessions: the first playlist request with a valid token opens one (audited like any viewer), and
 * the playlist's URIs carry the session id instead of the token so polling outlives the token's short life. A
 * revoked session's next request fails (R11).
 */
class HlsPackager implements StreamSink {
  private params: TrackParams = {};
  private init?: Buffer;
  private segmenter = new Segmenter({ targetDuration: 2 });
  readonly segments: Segment[] = [];
  private waiters: Array<() => void> = [];
  detach?: () => void;
  ended = false;

  start(params: TrackParams): void {
    this.params = params;
    this.init = undefined;
    this.segmenter = new Segmenter({ targetDuration: 2 });
  }

  write(frame: Frame): void {
    const out = this.segmenter.push(frame);
    if (!out) return;
    const bytes = mediaSegment(out.frames, out.seq, this.params, { nextVideoDts: out.nextVideoDts });
    this.segments.push({ seq: out.seq, duration: out.duration, bytes });
    while (this.segments.length > WINDOW + 2) this.segments.shift();
    for (const w of this.waiters.splice(0)) w();
  }

  initSegment(): Buffer {
    this.init ??= initSegment(this.params);
    return this.init;
  }

  backlog(): number {
    return 0;
  }

  close(_reason: ReaderCloseReason): void {
    this.ended = true;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits (bounded) until at least `n` segments exist, so the first playlist is playable. */
  async ready(n: number, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.segments.length < n && !this.ended && Date.now() < until) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(0, until - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
}

interface HlsSession {
  id: string;
  path: string;
  userId: string;
  sessionId: string;
  remote: string;
  lastSeen: number;
  startedAt: number;
  /** when its token was issued (platform clock), for user-level revocation */
  issuedAt: number;
  detach: () => void;
}

export class HlsOutput {
  private readonly packagers = new Map<string, HlsPackager>();
  private readonly sessions = new Map<string, HlsSession>();
  private readonly byToken = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly node: LocalMediaNode,
    private readonly auth: MediaAuth,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => this.sweep(), 2000);
    this.timer.unref();
  }

  private packagerFor(stream: Stream): HlsPackager {
    let p = this.packagers.get(stream.key);
    if (p && !p.ended) return p;
    p = new HlsPackager();
    const { detach } = stream.attach(p, { protocol: 'internal' });
    p.detach = detach;
    this.packagers.set(stream.key, p);
    stream.once('ended', () => this.packagers.delete(stream.key));
    return p;
  }

  async serve(req: FastifyRequest, reply: FastifyReply, path: string, file: string): Promise<FastifyReply> {
    const q = req.query as { token?: string; sid?: string };
    const fail = (status: number, code: string, message: string) => reply.code(status).header('Cache-Control', 'no-store').send({ code, message });
    let session = q.sid ? this.sessions.get(q.sid) : undefined;
    if (q.sid && (!session || session.path !== path)) return fail(401, 'MEDIA_TOKEN_INVALID', 'HLS session unknown or expired; request a new URL');
    if (session && this.auth.revocations.isRevoked(session.sessionId, session.userId, session.issuedAt, this.auth.now())) {
      this.end(session, 'revoked');
      return fail(401, 'MEDIA_TOKEN_INVALID', 'media session revoked');
    }
    const stream = this.node.hub.get(path);
    if (!stream || stream.ended) return fail(404, 'STREAM_NOT_FOUND', `stream ${path} is not running`);
    if (!session) {
      if (file !== 'index.m3u8') return fail(401, 'MEDIA_TOKEN_INVALID', 'open the playlist first');
      const a = this.auth.check(q.token, path);
      if (!a.ok) return fail(401, a.code!, a.message!);
      // Players reload the playlist by its original URL (with the token): same login session + address = same viewer.
      const byToken = this.byToken.get(`${path}|${a.claims!.s}|${req.ip}`);
      session = byToken ? this.sessions.get(byToken) : undefined;
      session ??= this.open(stream, path, a.claims!.u, a.claims!.s, req.ip, a.claims!.e * 1000 - this.auth.ttlMs);
    }
    session.lastSeen = Date.now();
    const pk = this.packagerFor(stream);
    reply.header('Access-Control-Allow-Origin', '*');
    if (file === 'index.m3u8') {
      await pk.ready(2, 8000);
      const text = livePlaylist({
        segments: pk.segments.slice(-WINDOW).map((s) => ({ seq: s.seq, duration: s.duration, uri: `${s.seq}.m4s` })),
        mapUri: 'init.mp4',
        query: `sid=${session.id}`,
        ended: pk.ended,
      });
      return reply.header('Cache-Control', 'no-cache').type('application/vnd.apple.mpegurl').send(text);
    }
    if (file === 'init.mp4') {
      if (!pk.segments.length) await pk.ready(1, 8000);
      return reply.header('Cache-Control', 'no-cache').type('video/mp4').send(pk.initSegment());
    }
    const m = /^(\d+)\.m4s$/.exec(file);
    const seg = m ? pk.segments.find((s) => s.seq === Number(m[1])) : undefined;
    if (!seg) return fail(404, 'NOT_FOUND', `segment ${file} is not (or no longer) available`);
    return reply.header('Cache-Control', 'max-age=60').type('video/iso.segment').send(seg.bytes);
  }

  private open(stream: Stream, path: string, userId: string, sessionId: string, remote: string, issuedAt: number): HlsSession {
    // A placeholder reader per HLS viewer: it counts as a viewer (linger, audit, revocation) but gets no frames.
    const viewer: StreamSink = { start() {}, write() {}, backlog: () => 0, close: (why) => this.endById(id, why) };
    const id = randomBytes(12).toString('base64url');
    const { detach } = stream.attach(viewer, { userId, sessionId, protocol: 'hls', remote });
    const s: HlsSession = { id, path, userId, sessionId, remote, lastSeen: Date.now(), startedAt: Date.now(), issuedAt, detach };
    this.sessions.set(id, s);
    this.byToken.set(`${path}|${sessionId}|${remote}`, id);
    return s;
  }

  private endById(id: string, _why: string): void {
    const s = this.sessions.get(id);
    if (s) this.forget(s);
  }

  private forget(s: HlsSession): void {
    this.sessions.delete(s.id);
    this.byToken.delete(`${s.path}|${s.sessionId}|${s.remote}`);
  }

  private end(s: HlsSession, why: ReaderCloseReason): void {
    this.forget(s);
    s.detach();
    this.log.debug({ path: s.path, why }, 'hls session ended');
  }

  private sweep(): void {
    const now = Date.now();
    for (const s of [...this.sessions.values()]) if (now - s.lastSeen > SESSION_IDLE_MS) this.end(s, 'client-gone');
    // a packager with no HLS viewer left stops reading the stream
    for (const [key, p] of this.packagers) {
      if (![...this.sessions.values()].some((s) => s.path === key)) {
        p.detach?.();
        this.packagers.delete(key);
      }
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}

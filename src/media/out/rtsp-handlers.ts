import type { Logger } from '../../core/logger.js';
import type { MediaClaims } from '../../core/media-token.js';
import {
  formatRtpInfo,
  formatSession,
  formatTransport,
  parseSession,
  parseTransport,
  RtspHeaders,
  type RtspRequest,
  type RtspResponse,
  rtspResponse,
  type RtspTransport,
} from '../../lib/rtsp/index.js';
import type { Hub, Stream } from '../../stream/index.js';
import type { MediaAuth } from './media-auth.js';
import { FormatChangedError, type RtspSession, type SessionChannel, type SessionHost, type TrackTransport } from './rtsp-session.js';
import { describeSdp, type RtspTrackInfo, servedTracks } from './rtsp-tracks.js';
import type { RtspUdp } from './rtsp-udp.js';
import { contentBase, parseRtspTarget, type RtspTarget } from './rtsp-url.js';

/** The server as the request handlers see it. */
export interface RtspServerContext extends SessionHost {
  readonly hub: Hub;
  readonly auth: MediaAuth;
  readonly log: Logger;
  readonly udp: RtspUdp;
  /** seconds, announced in the Session header */
  readonly sessionTimeoutSec: number;
  readonly describeWaitMs: number;
  readonly audioGraceMs: number;
  readonly sessions: ReadonlyMap<string, RtspSession>;
  /** a new session registered with the server and the connection; undefined when the limits are reached */
  newSession(key: string, claims: MediaClaims, peer: RtspPeer): RtspSession | undefined;
  /** RTCP from this address and port keeps the session alive */
  watchRtcp(session: RtspSession, address: string, port: number): void;
  count(status: number): void;
}

/** The connection a request came in on. */
export interface RtspPeer extends SessionChannel {
  /** `rtsp://local-address:port`, for path-only request URIs */
  readonly localOrigin: string;
  readonly sessions: Set<RtspSession>;
  /** streams this connection opened with a valid token (DESCRIBE): SETUP URLs built from Content-Base carry none */
  readonly grants: Map<string, MediaClaims>;
}

export const PUBLIC_METHODS = 'OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER';
const MAX_GRANTS = 16;

const EXTRA_REASONS: Record<number, string> = { 451: 'Parameter Not Understood', 551: 'Option not supported' };

function respond(status: number, req: RtspRequest | undefined, headers: Record<string, string | undefined> = {}, body = ''): RtspResponse {
  const res = rtspResponse(status, req, new RtspHeaders({ Server: 'sharpeye', ...headers }), body);
  if (EXTRA_REASONS[status]) res.reason = EXTRA_REASONS[status];
  return res;
}

/** A response outside the handlers: unreadable input (no CSeq to echo), overload, a handler that failed. */
export function errorResponse(status: number, req?: RtspRequest): RtspResponse {
  return respond(status, req);
}

type Auth = { ok: true; claims: MediaClaims } | { ok: false; reason: string };

/**
 * Who may act on stream `key`. Inside a session, the session's claims (its URL was opened in time), re-checked
 * against revocations: a token glued to a later URL of the session (some clients repeat the DESCRIBE URL) does not
 * matter, even expired. Outside a session, the request URL's token, checked in full (signature, expiry, stream,
 * revocations) and then remembered for this connection, because SETUP URLs built from our Content-Base carry none;
 * without a token, such a remembered grant, re-checked against expiry and revocations.
 */
function authorize(ctx: RtspServerContext, peer: RtspPeer, key: string, t: RtspTarget, session: RtspSession | undefined): Auth {
  let claims: MediaClaims | undefined;
  if (session && session.key === key) {
    claims = session.claims;
  } else if (t.token !== undefined) {
    const r = ctx.auth.check(t.token, key);
    if (!r.ok || !r.claims) return { ok: false, reason: r.message ?? 'media token invalid' };
    if (!peer.grants.has(key) && peer.grants.size >= MAX_GRANTS) peer.grants.delete(peer.grants.keys().next().value as string);
    peer.grants.set(key, r.claims);
    return { ok: true, claims: r.claims };
  } else {
    claims = peer.grants.get(key);
    // a new session opens the URL anew: only while its token is still within its expiry
    if (claims && claims.e * 1000 < ctx.auth.now()) return { ok: false, reason: 'media token expired' };
  }
  if (!claims) return { ok: false, reason: 'media token missing' };
  const a = ctx.auth;
  if (a.revocations.isRevoked(claims.s, claims.u, claims.e * 1000 - a.ttlMs, a.now())) return { ok: false, reason: 'media token revoked' };
  return { ok: true, claims };
}

/** Resolves when `ready()` holds (checked on every params change), the stream ends, or `ms` pass. */
function waitFor(stream: Stream, ready: () => boolean, ms: number): Promise<void> {
  if (ready() || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stream.off('params', check);
      stream.off('ended', done);
      resolve();
    };
    const check = (): void => {
      if (ready()) done();
    };
    const timer = setTimeout(done, ms);
    stream.on('params', check);
    stream.on('ended', done);
  });
}

/** Resolves when the stream has its first decodable frame (its parameters), ends, or `ms` pass. */
function whenLive(stream: Stream, ms: number): Promise<void> {
  if (stream.firstFrameAt !== undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    stream.whenLive().then(done, done);
  });
}

function liveStream(hub: Hub, key: string): Stream | undefined {
  const s = hub.get(key);
  return s && !s.ended ? s : undefined;
}

/** Interleaved channels for a track: the pair asked for when free on this connection, else the lowest free pair. */
function pickChannels(peer: RtspPeer, want: [number, number] | undefined, session: RtspSession | undefined, trackId: number): [number, number] | undefined {
  const used = new Set<number>();
  for (const s of peer.sessions) {
    for (const t of s.tracks.values()) {
      if (t.transport.lower !== 'TCP' || (s === session && t.info.id === trackId)) continue;
      used.add(t.transport.channels[0]).add(t.transport.channels[1]);
    }
  }
  if (want && want[0] !== want[1] && want[0] <= 255 && want[1] <= 255 && !used.has(want[0]) && !used.has(want[1])) return want;
  for (let c = 0; c < 255; c += 2) if (!used.has(c) && !used.has(c + 1)) return [c, c + 1];
  return undefined;
}

function chooseTransport(ctx: RtspServerContext, peer: RtspPeer, alts: RtspTransport[], session: RtspSession | undefined, track: RtspTrackInfo): TrackTransport | undefined {
  for (const alt of alts) {
    if (alt.profile !== 'RTP/AVP' || (alt.mode && alt.mode !== 'PLAY')) continue;
    if (alt.lowerTransport === 'TCP') {
      const channels = pickChannels(peer, alt.interleaved, session, track.id);
      if (channels) return { lower: 'TCP', channels };
      continue;
    }
    if (alt.unicast === false || !alt.clientPort) continue; // no multicast
    const [rtp, rtcp] = alt.clientPort;
    if (rtp < 1 || rtp > 65535 || rtcp < 1 || rtcp > 65535) continue;
    // always the address of the RTSP connection: a `destination=` elsewhere would make us a traffic reflector
    return { lower: 'UDP', address: ctx.udp.address(peer.remote), ports: [rtp, rtcp] };
  }
  return undefined;
}

/**
 * Answers one request (RFC 2326 §10). `write` puts a response on the connection; it is called exactly once, and for
 * PLAY before the first RTP packet of the session.
 */
export async function handleRequest(ctx: RtspServerContext, peer: RtspPeer, req: RtspRequest, write: (res: RtspResponse) => void): Promise<void> {
  const reply = (status: number, headers: Record<string, string | undefined> = {}, body = ''): void => {
    ctx.count(status);
    write(respond(status, req, headers, body));
  };
  if (req.version !== 'RTSP/1.0') return reply(505);
  const require = req.headers.get('require');
  if (require) return reply(551, { Unsupported: require });

  let session: RtspSession | undefined;
  const sid = req.headers.get('session');
  if (sid !== undefined) {
    session = ctx.sessions.get(parseSession(sid).id);
    // a TCP session belongs to its connection; a UDP one may be kept alive from a new connection
    if (!session || (session.interleaved && session.channel !== peer)) return reply(454);
    session.lastSeen = Date.now();
    if (!session.channel?.open) {
      session.channel = peer;
      peer.sessions.add(session);
    }
  }
  const sessionHeader = session ? formatSession({ id: session.id, timeout: ctx.sessionTimeoutSec }) : undefined;
  const refuse = (key: string, reason: string): void => {
    ctx.log.warn({ path: key, remote: peer.remote, method: req.method, reason }, 'rtsp request refused');
    reply(401);
  };

  switch (req.method) {
    case 'OPTIONS':
      return reply(200, { Public: PUBLIC_METHODS, Session: sessionHeader });

    case 'GET_PARAMETER': // keepalive (RFC 2326 §10.8)
      return reply(200, { Session: sessionHeader });

    case 'SET_PARAMETER':
      return reply(req.body.length ? 451 : 200, { Session: sessionHeader });

    case 'DESCRIBE': {
      const t = parseRtspTarget(req.uri);
      if (!t) return reply(400);
      if (!t.key) return reply(404);
      const a = authorize(ctx, peer, t.key, t, undefined);
      if (!a.ok) return refuse(t.key, a.reason);
      let stream = liveStream(ctx.hub, t.key);
      if (!stream) return reply(404);
      ctx.hub.touch(t.key);
      // a stream that is starting: wait for its parameter sets, and for a moment for its audio to show up
      const s0 = stream;
      await whenLive(s0, ctx.describeWaitMs);
      const liveFor = s0.firstFrameAt === undefined ? Infinity : Date.now() - s0.firstFrameAt;
      if (!s0.params.audio && liveFor < ctx.audioGraceMs) await waitFor(s0, () => !!s0.params.audio, ctx.audioGraceMs - liveFor);
      stream = liveStream(ctx.hub, t.key);
      if (!stream) return reply(404);
      if (!servedTracks(stream.params).length) return reply(stream.params.video || stream.params.audio ? 415 : 503);
      return reply(
        200,
        { 'Content-Base': contentBase(t.origin ?? peer.localOrigin, t.key), 'Content-Type': 'application/sdp', 'Cache-Control': 'no-cache' },
        describeSdp(stream.params, String(stream.startedAt)),
      );
    }

    case 'SETUP': {
      const t = parseRtspTarget(req.uri);
      if (!t) return reply(400);
      const key = t.key || session?.key || '';
      if (!key) return reply(404);
      if (session && session.key !== key) return reply(459); // one stream per session
      const a = authorize(ctx, peer, key, t, session);
      if (!a.ok) return refuse(key, a.reason);
      const stream = liveStream(ctx.hub, key);
      if (!stream) return reply(404);
      ctx.hub.touch(key);
      if (session && session.state !== 'ready') return reply(455, { Session: sessionHeader });
      const tracks = servedTracks(stream.params);
      if (t.track === undefined && tracks.length !== 1) return reply(459);
      const track = t.track === undefined ? tracks[0] : tracks.find((x) => x.id === t.track);
      if (!track) return reply(404);
      const th = req.headers.get('transport');
      if (!th) return reply(400);
      let alts: RtspTransport[];
      try {
        alts = parseTransport(th);
      } catch {
        return reply(461);
      }
      const transport = chooseTransport(ctx, peer, alts, session, track);
      if (!transport) return reply(461);
      const isNew = !session;
      session ??= ctx.newSession(key, a.claims, peer);
      if (!session) return reply(453);
      const tr = session.addTrack(track, transport, req.uri);
      if (transport.lower === 'UDP') ctx.watchRtcp(session, transport.address, transport.ports[1]);
      const answer =
        transport.lower === 'TCP'
          ? formatTransport({ profile: 'RTP/AVP', lowerTransport: 'TCP', unicast: true, interleaved: transport.channels, ssrc: tr.ssrc })
          : formatTransport({ profile: 'RTP/AVP', lowerTransport: 'UDP', unicast: true, clientPort: transport.ports, serverPort: [ctx.udp.rtpPort, ctx.udp.rtcpPort], ssrc: tr.ssrc });
      if (isNew) ctx.log.debug({ session: session.id, path: key, remote: peer.remote }, 'rtsp session created');
      return reply(200, { Transport: answer, Session: formatSession({ id: session.id, timeout: ctx.sessionTimeoutSec }) });
    }

    case 'PLAY': {
      if (!session) return reply(454);
      const t = parseRtspTarget(req.uri);
      if (!t) return reply(400);
      if (t.key && t.key !== session.key) return reply(459);
      const a = authorize(ctx, peer, session.key, t, session);
      if (!a.ok) return refuse(session.key, a.reason);
      if (!session.tracks.size) return reply(455, { Session: sessionHeader });
      const stream = liveStream(ctx.hub, session.key);
      if (!stream) return reply(404, { Session: sessionHeader });
      const identity = { userId: a.claims.u, sessionId: a.claims.s, protocol: 'rtsp' as const, remote: peer.remote };
      const s = session;
      try {
        s.play(stream, identity, (info) => reply(200, { Session: sessionHeader, Range: 'npt=now-', 'RTP-Info': formatRtpInfo(info) }));
      } catch (e) {
        if (e instanceof FormatChangedError) {
          s.end('params-changed');
          return reply(503);
        }
        return reply(404);
      }
      ctx.log.debug({ session: s.id, path: s.key, remote: peer.remote, tracks: [...s.tracks.values()].map((x) => `${x.info.codec}/${x.transport.lower}`) }, 'rtsp play');
      return;
    }

    case 'PAUSE':
      if (!session) return reply(454);
      session.pause();
      return reply(200, { Session: sessionHeader });

    case 'TEARDOWN':
      if (!session) return reply(454);
      session.end('teardown');
      return reply(200);

    case 'ANNOUNCE':
    case 'RECORD':
    case 'REDIRECT':
      return reply(405, { Allow: PUBLIC_METHODS });

    default:
      return reply(501);
  }
}

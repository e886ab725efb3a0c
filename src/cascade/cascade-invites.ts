import { createHash } from 'node:crypto';
import net from 'node:net';
import { isAppError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { LiveService } from '../live/live-service.js';
import { parseMansrtsp } from '../lib/mansrtsp/index.js';
import { buildMediaStatusNotify } from '../lib/manscdp/index.js';
import { answerSetup, buildGbAnswerSdp, parseGbOffer, parseGbSsrc } from '../lib/sdp/index.js';
import { SipHeaders, tagOf, uriOf, userOf } from '../lib/sip/index.js';
import type { MediaNode } from '../media/node.js';
import type { IncomingRequest, SipEndpoint } from '../sip/endpoint.js';
import type { Peer } from '../sip/transport.js';
import type { Store } from '../store/index.js';
import { ALL_CHANNELS } from '../store/scope.js';
import type { SharedChannel, UpperPlatform } from '../store/repos/upper-platforms.js';

type Subject = 'Play' | 'Playback' | 'Download';

/** One media session an upper opened on us (a SIP dialog where we are the UAS). */
interface CascadeSession {
  callId: string;
  upper: UpperPlatform;
  channel: SharedChannel;
  subject: Subject;
  /** the hub stream sent: the channel's live stream, or a playback stream of its recordings */
  key: string;
  /** we own the playback stream and close it with the session */
  ownsStream: boolean;
  sendId: string;
  peer: Peer;
  /** dialog: their tag (From of the INVITE), ours (To of our 200), their Contact */
  remoteTag: string;
  localTag: string;
  remoteTarget: string;
  cseq: number;
  /** playback/download range (Unix ms) */
  startMs?: number;
  endMs?: number;
  ended: boolean;
}

/**
 * Media to the upper (GB/T 28181-2016 §9.2 and §9.8, we are the UAS): INVITE `s=Play` sends the channel's live
 * stream (the one local viewers share), `s=Playback`/`s=Download` a paced playback of our platform recordings in the
 * `t=` range; PS over RTP to the upper's `c=`/`m=` over UDP, TCP active or TCP passive with the SSRC of its `y=`.
 * INFO MANSRTSP pauses, resumes, seeks and scales a playback; MediaStatus 121 tells the upper a playback/download
 * reached its end; BYE either way tears everything down. Nothing leaks when the upper never ACKs.
 */
export class CascadeInvites {
  private readonly sessions = new Map<string, CascadeSession>();
  private readonly offs: Array<() => void> = [];

  constructor(private readonly d: { store: Store; media: MediaNode; live: LiveService; endpoint: SipEndpoint; clock: Clock; log: Logger; mediaIp?: string }) {
    this.offs.push(
      d.media.on('send.ended', (e) => {
        const s = [...this.sessions.values()].find((x) => x.sendId === e.id);
        if (s && !s.ended) void this.end(s, `media ended: ${e.reason}`, true);
      }),
      d.media.on('playback.ended', (ref) => {
        const s = [...this.sessions.values()].find((x) => x.key === ref.key);
        if (s && !s.ended) void this.mediaStatus121(s);
      }),
    );
  }

  get size(): number {
    return this.sessions.size;
  }

  list() {
    return [...this.sessions.values()].map((s) => ({ callId: s.callId, upperId: s.upper.id, channelId: s.channel.id, subject: s.subject, key: s.key }));
  }

  async handle(upper: UpperPlatform, r: IncomingRequest, resolve: (id: string) => Promise<SharedChannel | undefined>): Promise<void> {
    const callId = r.msg.headers.get('call-id') ?? '';
    switch (r.msg.method) {
      case 'INVITE':
        return this.onInvite(upper, r, resolve);
      case 'ACK':
        return; // the endpoint resolves r.acked of the INVITE
      case 'CANCEL':
        return r.reply(200); // our INVITE handling answers at once; a CANCEL after it has no effect (RFC 3261 §9.2)
      case 'BYE': {
        const s = this.sessions.get(callId);
        if (!s) return r.reply(481);
        r.reply(200);
        return this.end(s, 'upper sent BYE', false);
      }
      case 'INFO': {
        const s = this.sessions.get(callId);
        if (!s) return r.reply(481);
        return this.onInfo(s, r);
      }
    }
  }

  private async onInvite(upper: UpperPlatform, r: IncomingRequest, resolve: (id: string) => Promise<SharedChannel | undefined>): Promise<void> {
    const { msg } = r;
    const callId = msg.headers.get('call-id') ?? '';
    if (this.sessions.has(callId)) return r.reply(491, 'Request Pending'); // re-INVITE in a running session: not supported
    r.reply(100);
    // the channel: Request-URI user (GB/T 28181-2016 §9.2.2.1), else To user
    const target = /^sips?:([^@;]+)@/.exec(msg.uri)?.[1] ?? userOf(msg.headers.get('to')) ?? '';
    const channel = await resolve(target);
    if (!channel) return r.reply(404, 'Not Found (channel not shared with this platform)');
    let offer;
    try {
      offer = parseGbOffer(msg.body.toString('utf8'));
    } catch (e) {
      return r.reply(488, `Not Acceptable Here (${(e as Error).message.slice(0, 60)})`);
    }
    const subject = (['Play', 'Playback', 'Download'].find((s) => s.toLowerCase() === (offer.subject ?? 'Play').toLowerCase()) ?? undefined) as Subject | undefined;
    if (!subject) return r.reply(488, `Not Acceptable Here (s=${offer.subject} not supported)`);
    if (offer.media !== 'video' || !offer.ip || !net.isIP(offer.ip) || !Number.isInteger(offer.port) || offer.port < 1 || offer.port > 65535) return r.reply(488, 'Not Acceptable Here (no usable m=video / c= in the offer)');
    const ps = offer.codecs.find((c) => /^(PS|MP2P)$/i.test(c.encoding)) ?? (offer.codecs.length ? undefined : { payloadType: 96 });
    if (!ps) return r.reply(488, 'Not Acceptable Here (PS/90000 not offered)');
    const ssrc = parseGbSsrc(offer.ssrc) ?? ssrcFor(callId);
    const transport = offer.transport === 'udp' ? 'udp' : answerSetup(offer.setup) === 'active' ? 'tcp-active' : 'tcp-passive';

    let key: string;
    let ownsStream = false;
    let startMs: number | undefined;
    let endMs: number | undefined;
    try {
      if (subject === 'Play') {
        const ch = await this.d.store.channels.get(channel.id, ALL_CHANNELS);
        if (!ch) return r.reply(404, 'Not Found');
        key = (await this.d.live.openStream(ch, 'main')).info.key;
      } else {
        startMs = (offer.startTime ?? 0) * 1000;
        endMs = (offer.endTime ?? 0) * 1000;
        if (!(endMs > startMs)) return r.reply(488, 'Not Acceptable Here (t= must give a start and an end for playback/download)');
        const segs = await this.d.store.segments.range(channel.id, startMs, endMs);
        if (!segs.length) return r.reply(404, 'Not Found (no recordings in the requested range)');
        key = `playback/${channel.id}/c${createHash('sha1').update(callId).digest('hex').slice(0, 12)}`;
        const speed = subject === 'Download' ? clampSpeed(offer.downloadSpeed ?? 1) : 1;
        await this.d.media.openPlayback({
          stream: { key, channelId: channel.id, kind: 'playback', variant: key.split('/')[2] },
          segments: segs.map((s) => ({ id: s.id, channelId: s.channelId, startMs: s.startMs, endMs: s.endMs, path: s.path, size: s.size })),
          startMs: Math.max(startMs, segs[0].startMs),
          endMs,
          speed,
          // a download keeps the recording's own timestamps and just sends faster (the upper writes a file)
          ...(subject === 'Download' ? { timestamps: 'content' as const } : {}),
        });
        ownsStream = true;
      }
    } catch (e) {
      this.d.log.warn({ upper: upper.id, channel: channel.id, subject, err: (e as Error).message }, 'cascade INVITE: source not available');
      const code = isAppError(e) ? e.code : '';
      return r.reply(code === 'DEVICE_OFFLINE' ? 480 : code === 'DEVICE_TIMEOUT' || code === 'MEDIA_TIMEOUT' ? 504 : 500, `${code || 'Server Internal Error'}`);
    }

    let send;
    try {
      send = await this.d.media.openSend({ key, transport, host: offer.ip, port: offer.port, ssrc, payloadType: ps.payloadType, owner: upper.id });
    } catch (e) {
      if (ownsStream) await this.d.media.closeStream(key, 'cascade send failed').catch(() => undefined);
      return r.reply(503, `Service Unavailable (${(e as Error).message.slice(0, 60)})`);
    }
    const ip = this.d.mediaIp ?? send.localHost ?? this.d.endpoint.localFor(r.peer).address;
    const answer = buildGbAnswerSdp({
      subject,
      deviceChannelId: channel.upperId,
      ip: ip === '0.0.0.0' ? this.d.endpoint.localFor(r.peer).address : ip,
      port: send.localPort,
      transport: transport === 'udp' ? 'udp' : 'tcp',
      setup: transport === 'tcp-active' ? 'active' : transport === 'tcp-passive' ? 'passive' : undefined,
      ssrc: offer.ssrc ?? String(ssrc).padStart(10, '0'),
      payloadType: ps.payloadType,
      startTime: offer.startTime,
      endTime: offer.endTime,
      downloadSpeed: subject === 'Download' ? offer.downloadSpeed : undefined,
    });
    const l = this.d.endpoint.localFor(r.peer);
    r.reply(200, 'OK', { 'Content-Type': 'application/sdp', Contact: `<sip:${channel.upperId}@${l.address}:${l.port}>` }, Buffer.from(answer));
    const s: CascadeSession = {
      callId,
      upper,
      channel,
      subject,
      key,
      ownsStream,
      sendId: send.id,
      peer: r.peer,
      remoteTag: tagOf(msg.headers.get('from') ?? '') ?? '',
      localTag: tagOf(r.sent?.headers.get('to') ?? '') ?? '',
      remoteTarget: uriOf(msg.headers.get('contact')) ?? `sip:${upper.serverId}@${r.peer.address}:${r.peer.port}`,
      cseq: 1,
      startMs,
      endMs,
      ended: false,
    };
    this.sessions.set(callId, s);
    const acked = await (r.acked ?? Promise.resolve(true));
    if (!acked) {
      this.d.log.warn({ upper: upper.id, channel: channel.id }, 'upper platform never ACKed our 200: session dropped');
      return this.end(s, 'no ACK', false);
    }
    if (s.ended) return;
    try {
      await this.d.media.startSend(send.id);
      await this.audit(s, `${subject} ${transport} → ${offer.ip}:${offer.port}`);
    } catch (e) {
      await this.end(s, `send failed: ${(e as Error).message}`, true);
    }
  }

  /** MANSRTSP over INFO (GB/T 28181-2016 §9.8.2): PLAY (resume, Range seek, Scale), PAUSE, TEARDOWN. */
  private async onInfo(s: CascadeSession, r: IncomingRequest): Promise<void> {
    let m;
    try {
      m = parseMansrtsp(r.msg.body.toString('utf8'));
    } catch (e) {
      return r.reply(400, `Bad Request (${(e as Error).message})`);
    }
    if (!s.ownsStream) return r.reply(200); // live: nothing to control
    try {
      if (m.method === 'PAUSE') await this.d.media.controlPlayback(s.key, { action: 'pause' });
      else if (m.method === 'PLAY') {
        if (m.scale !== undefined && m.scale > 0) await this.d.media.controlPlayback(s.key, { action: 'speed', speed: nearestSpeed(m.scale) });
        if (m.range && m.range.from !== 'now' && s.startMs !== undefined) await this.d.media.controlPlayback(s.key, { action: 'seek', time: s.startMs + m.range.from * 1000 });
        await this.d.media.controlPlayback(s.key, { action: 'resume' });
      } else if (m.method === 'TEARDOWN') {
        r.reply(200);
        return this.end(s, 'TEARDOWN', true);
      }
      r.reply(200);
    } catch (e) {
      r.reply(500, (e as Error).message.slice(0, 60));
    }
  }

  /** MediaStatus 121 (end of file, GB/T 28181-2016 §9.8.4) in the session's dialog, so the upper can BYE. */
  private async mediaStatus121(s: CascadeSession): Promise<void> {
    const body = buildMediaStatusNotify(s.cseq + 1000, s.channel.upperId, 121, { charset: s.upper.charset });
    await this.inDialog(s, 'MESSAGE', { 'Content-Type': 'Application/MANSCDP+xml' }, body).catch((e: Error) => this.d.log.debug({ err: e.message }, 'MediaStatus to upper not delivered'));
  }

  private inDialog(s: CascadeSession, method: string, extra: Record<string, string> = {}, body: Buffer = Buffer.alloc(0)) {
    const h = SipHeaders.from({
      From: `<sip:${s.channel.upperId}@${s.upper.localId.slice(0, 10)}>;tag=${s.localTag}`,
      To: `<sip:${s.upper.serverId}@${s.upper.domain}>;tag=${s.remoteTag}`,
      'Call-ID': s.callId,
      CSeq: `${++s.cseq} ${method}`,
      ...extra,
    });
    return this.d.endpoint.request(s.peer, { kind: 'request', method, uri: s.remoteTarget, headers: h, body }, { timeoutMs: 5000 });
  }

  /** Ends a session: stop sending, close a playback stream we own, BYE the upper when it did not end it. */
  private async end(s: CascadeSession, reason: string, sendBye: boolean): Promise<void> {
    if (s.ended) return;
    s.ended = true;
    this.sessions.delete(s.callId);
    await this.d.media.stopSend(s.sendId).catch(() => undefined);
    if (s.ownsStream) await this.d.media.closeStream(s.key, reason).catch(() => undefined);
    if (sendBye) await this.inDialog(s, 'BYE').catch(() => undefined);
    this.d.log.info({ upper: s.upper.id, channel: s.channel.id, subject: s.subject, reason }, 'cascade session ended');
  }

  private async audit(s: CascadeSession, detail: string): Promise<void> {
    await this.d.store.logs
      .appendUser({ at: this.d.clock.now().toISOString(), userId: null, username: `upper:${s.upper.name}`, action: `cascade.${s.subject.toLowerCase()}`, targetType: 'channel', targetId: s.channel.id, detail, ip: s.peer.address, result: 'ok' })
      .catch(() => undefined);
  }

  async closeUpper(upperId: string): Promise<void> {
    await Promise.all([...this.sessions.values()].filter((s) => s.upper.id === upperId).map((s) => this.end(s, 'upper platform removed', true)));
  }

  async closeAll(): Promise<void> {
    for (const off of this.offs) off();
    await Promise.all([...this.sessions.values()].map((s) => this.end(s, 'shutdown', true)));
  }
}

/** An SSRC when the upper sent no y= (GB/T 28181-2016 附录F: 0 = live, 1 = history, then domain digits and a number). */
function ssrcFor(callId: string): number {
  return Number.parseInt(createHash('sha1').update(callId).digest('hex').slice(0, 8), 16) % 1_000_000_000;
}

const SPEEDS = [0.125, 0.25, 0.5, 1, 2, 4, 8, 16];
function nearestSpeed(k: number): number {
  return SPEEDS.reduce((best, s) => (Math.abs(Math.log2(s / k)) < Math.abs(Math.log2(best / k)) ? s : best), 1);
}
function clampSpeed(k: number): number {
  return nearestSpeed(Math.max(0.125, Math.min(16, k || 1)));
}

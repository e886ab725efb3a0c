import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { buildMediaStatusNotify, MEDIA_STATUS_END_OF_FILE } from '../../lib/manscdp/index.js';
import { parseMansrtsp } from '../../lib/mansrtsp/index.js';
import type { Logger } from '../../core/logger.js';
import { parseNameAddr, serializeSipMessage, SipHeaders, tagOf, type SipRequest } from '../../lib/sip/index.js';
import { newTag, type SipEndpoint } from '../../sip/endpoint.js';
import { T1, T2 } from '../../sip/timers.js';
import type { Peer } from '../../sip/transport.js';
import type { InviteContext } from '../device.js';
import { CODECS } from './codecs.js';
import { openLeg, TcpPassiveLeg, type MediaLeg } from '../../media/out/rtp-legs.js';
import { Pacer } from './pacer.js';
import type { GbMediaFormat } from '../../lib/sdp/index.js';
import { buildGbAnswer, gbFormat, parseGbOffer, type GbOffer } from './sdp.js';
import type { MediaSource } from './source.js';
import { newMediaCounters, RtpStream, type MediaCounters } from './stream.js';
import { waitAtMost } from '../../core/wait.js';

export interface SimMediaOptions {
  source: MediaSource;
  /** address put in the answer's o=/c= */
  localHost: string;
  /** the device ends each stream with its own BYE after this many seconds of media */
  byeAfterS?: number;
  log: Logger;
  /** true while per-stream info lines are within the simulator's log rate limit */
  logBudget?: () => boolean;
}

type CallState = 'setup' | 'answered' | 'confirmed' | 'ended';

interface Call {
  callId: string;
  deviceId: string;
  channelId: string;
  ep: SipEndpoint;
  peer: Peer;
  invite: SipRequest;
  localTag: string;
  offer: GbOffer;
  ssrc: string;
  state: CallState;
  cancelled: boolean;
  replyInvite: InviteContext['reply'];
  contact: string;
  answer?: Buffer;
  leg?: MediaLeg;
  stream?: RtpStream;
  cseq: number;
  /** the media connection went away before the ACK: BYE as soon as the dialog is confirmed */
  legGone?: string;
  ackTimer?: NodeJS.Timeout;
  resendTimer?: NodeJS.Timeout;
  byeTimer?: NodeJS.Timeout;
}

const SESSIONS = new Set(['play', 'playback', 'download']);
/** RFC 3261 §13.3.1.4: a UAS that gets no ACK within 64·T1 ends the call with BYE. */
const ACK_WAIT_MS = 64 * T1;
/** TCP where the platform connects to us: how long we wait for it. */
const CONNECT_WAIT_MS = 30_000;

/**
 * The simulator's media side (the `onInvite` hook): answers INVITE for live (Play), Playback and Download with the
 * shared file as PS over RTP (GB/T 28181-2016 §9.2, §9.8, 附录C), over UDP, TCP active or TCP passive as the offer
 * asks; handles ACK, BYE, CANCEL, INFO (MANSRTSP PAUSE/PLAY) and sends its own BYE when the platform's media
 * connection closes, when the platform never ACKs or connects, after `byeAfterS`, and on stop().
 */
export class SimMedia {
  readonly counters: MediaCounters = newMediaCounters();
  private readonly calls = new Map<string, Call>();
  private readonly pacer = new Pacer();
  private readonly format: GbMediaFormat;
  private ssrcSeq = 0;
  private stopped = false;
  private rate = { at: performance.now(), bytes: 0, kbps: 0 };

  get source(): MediaSource {
    return this.o.source;
  }

  constructor(private readonly o: SimMediaOptions) {
    const s = o.source;
    this.format = gbFormat(CODECS[s.codec].fCode, s.width, s.height, s.fps, s.kbps);
  }

  /** The hook: INVITE, ACK, BYE, CANCEL and INFO addressed to a device or channel. */
  readonly handle = (ctx: InviteContext): void => {
    switch (ctx.msg.method) {
      case 'INVITE':
        void this.onInvite(ctx);
        return;
      case 'ACK':
        return this.onAck(ctx);
      case 'BYE':
        return this.onBye(ctx);
      case 'CANCEL':
        return this.onCancel(ctx);
      case 'INFO':
        return this.onInfo(ctx);
      default:
        ctx.reply(405);
    }
  };

  /** Streams sending (or connected and waiting for their first frame). */
  get streams(): number {
    let n = 0;
    for (const c of this.calls.values()) if (c.state === 'confirmed') n++;
    return n;
  }

  /** Media bit rate since the previous call (over at least 0.5 s), kbit/s. */
  mediaKbps(): number {
    const now = performance.now();
    const dt = now - this.rate.at;
    if (dt >= 500) {
      this.rate.kbps = Math.round(((this.counters.bytesSent - this.rate.bytes) * 8) / dt);
      this.rate = { at: now, bytes: this.counters.bytesSent, kbps: this.rate.kbps };
    }
    return this.rate.kbps;
  }

  private info(o: object, m: string): void {
    if (!this.o.logBudget || this.o.logBudget()) this.o.log.info(o, m);
    else this.o.log.debug(o, m);
  }

  private async onInvite(ctx: InviteContext): Promise<void> {
    const { msg } = ctx;
    const callId = msg.headers.get('call-id')!;
    const existing = this.calls.get(callId);
    if (tagOf(msg.headers.get('to'))) {
      // re-INVITE inside the dialog: same media, same answer
      if (!existing || existing.localTag !== tagOf(msg.headers.get('to')) || !existing.answer) return ctx.reply(481);
      return ctx.reply(200, 'OK', { Contact: existing.contact, 'Content-Type': 'APPLICATION/SDP' }, existing.answer);
    }
    if (existing) return ctx.reply(482, 'Loop Detected');
    if (this.stopped) return ctx.reply(503, 'Service Unavailable');
    let offer: GbOffer;
    try {
      offer = parseGbOffer(msg.body.toString('utf8'));
    } catch (e) {
      return ctx.reply(488, 'Not Acceptable Here', { Warning: `399 sharpeye-sim "${(e as Error).message}"` });
    }
    if (!SESSIONS.has(offer.session.toLowerCase())) return ctx.reply(488, 'Not Acceptable Here', { Warning: `399 sharpeye-sim "s=${offer.session} not supported"` });
    if (offer.payloadType === undefined) return ctx.reply(488, 'Not Acceptable Here', { Warning: '399 sharpeye-sim "no PS payload type (a=rtpmap:96 PS/90000) offered"' });
    const ssrc = offer.ssrc && /^\d{1,10}$/.test(offer.ssrc) && Number(offer.ssrc) <= 0xffffffff ? offer.ssrc : this.newSsrc(offer.session);
    const local = ctx.endpoint.localFor(ctx.peer);
    const call: Call = {
      callId,
      deviceId: ctx.deviceId,
      channelId: ctx.channelId,
      ep: ctx.endpoint,
      peer: ctx.peer,
      invite: msg,
      localTag: newTag(),
      offer,
      ssrc,
      state: 'setup',
      cancelled: false,
      replyInvite: ctx.reply,
      contact: `<sip:${ctx.channelId}@${local.address}:${local.port}${ctx.peer.transport === 'TCP' ? ';transport=tcp' : ''}>`,
      cseq: 1,
    };
    this.calls.set(callId, call);
    ctx.reply(100, 'Trying');
    try {
      call.leg = await openLeg(offer.transport, { ip: offer.ip, port: offer.port });
    } catch (e) {
      this.calls.delete(callId);
      if (!call.cancelled) ctx.reply(488, 'Not Acceptable Here', { Warning: `399 sharpeye-sim "media ${offer.transport} to ${offer.ip}:${offer.port}: ${(e as Error).message}"` });
      return;
    }
    call.leg.onGone((why) => {
      if (call.state === 'answered') call.legGone = why;
      if (call.state !== 'confirmed') return;
      this.info({ callId, channel: call.channelId, why }, 'media ended: sending BYE');
      void this.end(call, true);
    });
    if (call.cancelled || this.stopped) {
      call.leg.close();
      this.calls.delete(callId);
      if (!call.cancelled) ctx.reply(503);
      return;
    }
    const sdp = buildGbAnswer({ channelId: ctx.channelId, offer, ip: this.o.localHost, port: call.leg.localPort, payloadType: offer.payloadType, ssrc, format: this.format });
    call.answer = Buffer.from(sdp);
    // the 200 (and every later answer in the dialog) carries our tag
    msg.headers.set('to', `${msg.headers.get('to')!};tag=${call.localTag}`);
    const extra = { Contact: call.contact, 'Content-Type': 'APPLICATION/SDP' };
    ctx.reply(200, 'OK', extra, call.answer);
    call.state = 'answered';
    this.info({ device: ctx.deviceId, channel: ctx.channelId, callId, s: offer.session, transport: offer.transport, to: `${offer.ip}:${offer.port}`, ssrc }, 'INVITE answered');
    if (ctx.peer.transport === 'UDP') {
      // §13.3.1.4: the UAS core re-sends the 2xx until the ACK comes
      const res = serializeSipMessage(ctx.endpoint.buildResponse(msg, ctx.peer, 200, 'OK', extra, call.answer));
      let interval = T1;
      const again = () => {
        if (call.state !== 'answered') return;
        ctx.endpoint.transport.send(ctx.peer, res);
        interval = Math.min(2 * interval, T2);
        call.resendTimer = setTimeout(again, interval);
      };
      call.resendTimer = setTimeout(again, interval);
    }
    call.ackTimer = setTimeout(() => {
      if (call.state !== 'answered') return;
      this.info({ callId, channel: call.channelId }, 'no ACK for the 200: ending the call');
      void this.end(call, true);
    }, ACK_WAIT_MS);
  }

  private newSsrc(session: string): string {
    this.ssrcSeq = (this.ssrcSeq + 1) % 10_000;
    // GB/T 28181-2016 附录F: first digit 0 live / 1 history, then 5 digits of the domain, then 4 of our own
    return `${session.toLowerCase() === 'play' ? 0 : 1}${this.o.localHost.replace(/\D/g, '').slice(-5).padStart(5, '0')}${String(this.ssrcSeq).padStart(4, '0')}`;
  }

  private onAck(ctx: InviteContext): void {
    const call = this.calls.get(ctx.msg.headers.get('call-id') ?? '');
    if (!call || call.state !== 'answered') return; // ACK of an error answer, or a repeated ACK
    if (tagOf(ctx.msg.headers.get('to')) !== call.localTag) return;
    clearTimeout(call.ackTimer);
    clearTimeout(call.resendTimer);
    call.state = 'confirmed';
    if (call.legGone) {
      this.info({ callId: call.callId, channel: call.channelId, why: call.legGone }, 'media ended before the ACK: sending BYE');
      void this.end(call, true);
      return;
    }
    this.startMedia(call);
  }

  private startMedia(call: Call): void {
    const leg = call.leg!;
    const stream = new RtpStream(this.o.source, leg, Number(call.ssrc), call.offer.payloadType!, this.counters);
    call.stream = stream;
    const o = call.offer;
    const session = o.session.toLowerCase();
    if (session !== 'play' && o.startTime !== undefined && o.endTime !== undefined && o.endTime > o.startTime) {
      // Playback/Download of the t= range: the file (looping) stands for the recording; at its end, MediaStatus 121
      stream.endAt = Math.round((o.endTime - o.startTime) * this.o.source.fps);
      if (session === 'download' && o.downloadSpeed && o.downloadSpeed > 0) stream.scale = o.downloadSpeed;
      stream.onEnd = () => {
        if (call.state !== 'confirmed') return;
        this.info({ callId: call.callId, channel: call.channelId, s: o.session, frames: stream.position }, 'end of the range: MediaStatus 121');
        void this.mediaStatus(call);
      };
    }
    const go = () => {
      if (call.state !== 'confirmed') return;
      this.pacer.add(stream, stream.start(performance.now()));
    };
    if (leg.ready) go();
    else {
      leg.onReady(go);
      if (leg instanceof TcpPassiveLeg) leg.expectWithin(CONNECT_WAIT_MS);
    }
    if (this.o.byeAfterS && this.o.byeAfterS > 0) {
      call.byeTimer = setTimeout(() => {
        if (call.state !== 'confirmed') return;
        this.info({ callId: call.callId, channel: call.channelId, after: this.o.byeAfterS }, 'ending the stream (--media-bye-after): sending BYE');
        void this.end(call, true);
      }, this.o.byeAfterS * 1000);
    }
  }

  private onBye(ctx: InviteContext): void {
    const call = this.calls.get(ctx.msg.headers.get('call-id') ?? '');
    if (!call || call.state === 'setup' || tagOf(ctx.msg.headers.get('to')) !== call.localTag) return ctx.reply(481);
    ctx.reply(200);
    this.info({ callId: call.callId, channel: call.channelId }, 'BYE: stream stopped');
    void this.end(call, false);
  }

  private onCancel(ctx: InviteContext): void {
    const call = this.calls.get(ctx.msg.headers.get('call-id') ?? '');
    if (!call) return ctx.reply(481);
    ctx.reply(200);
    if (call.state !== 'setup') return; // already answered: the platform sends BYE (RFC 3261 §9.2)
    call.cancelled = true;
    call.replyInvite(487, 'Request Terminated');
  }

  /**
   * MANSRTSP (GB/T 28181-2016 §9.8.2, 附录B): PAUSE stops the frames; PLAY resumes them, `Scale: k` sends k× faster
   * (timestamps keep the content clock), `Range: npt=S-` continues at the keyframe at or before S seconds into the range.
   */
  private onInfo(ctx: InviteContext): void {
    const call = this.calls.get(ctx.msg.headers.get('call-id') ?? '');
    if (!call || call.state !== 'confirmed') return ctx.reply(481);
    let req;
    try {
      req = parseMansrtsp(ctx.msg.body.toString('utf8'));
    } catch {
      return ctx.reply(400, 'Bad Request');
    }
    const verb = req.method;
    const s = call.stream!;
    if (verb === 'PAUSE' && !s.paused) {
      s.paused = true;
      this.pacer.remove(s);
    } else if (verb === 'PLAY') {
      if (req.scale !== undefined) {
        if (!(req.scale > 0 && req.scale <= 16)) return ctx.reply(457, 'Invalid Range');
        s.scale = req.scale;
      }
      if (req.range && req.range.from !== 'now') s.seek(req.range.from * this.o.source.fps);
      if (s.paused || req.scale !== undefined || (req.range && req.range.from !== 'now')) {
        s.paused = false;
        this.pacer.add(s, s.start(performance.now()));
      }
    } else if (verb === 'TEARDOWN') {
      ctx.reply(200);
      void this.end(call, true);
      return;
    }
    ctx.reply(200);
  }

  private end(call: Call, sendBye: boolean): Promise<void> {
    if (call.state === 'ended') return Promise.resolve();
    const wasUp = call.state === 'answered' || call.state === 'confirmed';
    call.state = 'ended';
    clearTimeout(call.ackTimer);
    clearTimeout(call.resendTimer);
    clearTimeout(call.byeTimer);
    if (call.stream) this.pacer.remove(call.stream);
    call.leg?.close();
    this.calls.delete(call.callId);
    if (!sendBye || !wasUp) return Promise.resolve();
    return this.bye(call);
  }

  /**
   * MediaStatus NotifyType 121 (GB/T 28181-2016 §9.8.2, §9.9.2): the file was sent to its end. An in-dialog MESSAGE
   * (the INVITE's Call-ID, our tag), as the standard's flow shows; the platform then sends BYE.
   */
  private async mediaStatus(call: Call): Promise<void> {
    const inv = call.invite.headers;
    const h = SipHeaders.from({
      From: inv.get('to')!,
      To: inv.get('from')!,
      'Call-ID': call.callId,
      CSeq: `${call.cseq++} MESSAGE`,
      'Max-Forwards': 70,
      'Content-Type': 'Application/MANSCDP+xml',
    });
    for (const rr of inv.getAll('record-route')) h.append('Route', rr);
    let target: string | undefined;
    try {
      target = parseNameAddr(inv.get('contact') ?? inv.get('from')!).rawUri;
    } catch {
      target = call.invite.uri;
    }
    const body = buildMediaStatusNotify(randomInt(1, 1_000_000), call.channelId, MEDIA_STATUS_END_OF_FILE);
    try {
      const res = await call.ep.request(call.peer, { kind: 'request', method: 'MESSAGE', uri: target, headers: h, body }, { timeoutMs: 8000 });
      if (res.status >= 300) this.o.log.debug({ callId: call.callId, status: res.status }, 'MediaStatus refused');
    } catch (e) {
      this.o.log.debug({ callId: call.callId, err: (e as Error).message }, 'MediaStatus not answered');
    }
  }

  /** In-dialog BYE (RFC 3261 §12.2.1.1, §15.1.1): to the INVITE's Contact, along its Record-Route, our tag in From. */
  private async bye(call: Call): Promise<void> {
    const inv = call.invite.headers;
    let target: string | undefined;
    for (const h of [inv.get('contact'), inv.get('from')]) {
      if (!h) continue;
      try {
        target = parseNameAddr(h).rawUri;
        break;
      } catch {
        /* next */
      }
    }
    const h = SipHeaders.from({
      From: inv.get('to')!, // carries our tag since the 200
      To: inv.get('from')!,
      'Call-ID': call.callId,
      CSeq: `${call.cseq++} BYE`,
      'Max-Forwards': 70,
    });
    for (const rr of inv.getAll('record-route')) h.append('Route', rr);
    try {
      const res = await call.ep.request(call.peer, { kind: 'request', method: 'BYE', uri: target ?? call.invite.uri, headers: h, body: Buffer.alloc(0) }, { timeoutMs: 8000 });
      if (res.status >= 300) this.o.log.debug({ callId: call.callId, status: res.status }, 'BYE refused');
    } catch (e) {
      this.o.log.debug({ callId: call.callId, err: (e as Error).message }, 'BYE not answered');
    }
  }

  /** Ends every call (BYE to the platform, waiting up to `timeoutMs`) and stops the clock. */
  async stop(timeoutMs = 5000): Promise<void> {
    this.stopped = true;
    const byes = [...this.calls.values()].map((c) => this.end(c, true));
    await waitAtMost(Promise.all(byes), timeoutMs);
    this.pacer.close();
  }
}

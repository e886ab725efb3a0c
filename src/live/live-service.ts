import type { Principal } from '../auth/access.js';
import type { Clock } from '../core/clock.js';
import { AppError, isAppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { MediaTokens } from '../core/media-token.js';
import type { GbService } from '../gb28181/service.js';
import type { MediaDialog } from '../gb28181/invites.js';
import { buildGbInviteSdp, parseGbAnswer } from '../lib/sdp/index.js';
import { liveKey, type MediaNode, type StreamInfo, type StreamRef } from '../media/node.js';
import type { Store } from '../store/index.js';
import { ALL_CHANNELS } from '../store/scope.js';
import type { Channel } from '../store/repos/channels.js';

export interface LiveSettings {
  /** media URL tokens must be opened within this many seconds */
  tokenTtlSec: number;
  /** a started stream must deliver its first picture within this */
  firstFrameTimeoutMs: number;
  /** re-INVITE attempts after a stall or a device BYE while viewers remain */
  maxRestarts: number;
}

export const DEFAULT_LIVE_SETTINGS: LiveSettings = { tokenTtlSec: 300, firstFrameTimeoutMs: 10_000, maxRestarts: 5 };

export interface LiveGrant {
  stream: StreamInfo;
  /** the stream path (`live/<channel>/<variant>`), the part of every media URL after the protocol prefix */
  path: string;
  token: string;
  variant: 'main' | 'sub';
  /** true when the sub-stream was asked for but the device has none: the main stream is served */
  fallback: boolean;
  /** an H.264 rendition of an H.265 stream is served */
  transcoded: boolean;
}

interface Session {
  ref: StreamRef;
  /** gb: INVITEd from a device; pull: an RTSP URL pulled by the media node; always: a pull kept without viewers */
  kind: 'gb' | 'pull' | 'always';
  deviceId: string;
  dialog?: MediaDialog;
  restarts: number;
  restarting?: Promise<void>;
}

/**
 * On-demand live video (R3): the first viewer's request INVITEs the device, later viewers join the running stream,
 * the stream is BYEd when the last viewer has been gone for the linger time, and a stream that stops sending (or is
 * BYEd by the device) is re-INVITEd while viewers remain. Talks to media only through MediaNode.
 */
export class LiveService {
  private readonly sessions = new Map<string, Session>();
  private readonly starting = new Map<string, Promise<StreamInfo>>();
  private readonly byCallId = new Map<string, string>();
  /** when URLs of a stream were last handed to a viewer (wall ms): a server-side user must not hang up under them */
  private readonly granted = new Map<string, number>();

  constructor(
    private readonly deps: { store: Store; gb: GbService; media: MediaNode; tokens: MediaTokens; clock: Clock; log: Logger; settings: LiveSettings },
  ) {
    const { media, gb } = deps;
    media.on('idle', (s) => void this.stop(s.key, 'no viewers'));
    media.on('stalled', (s) => void this.restart(s.key, 'no data'));
    gb.invites.onRemoteBye = (d) => {
      const key = this.byCallId.get(d.callId);
      if (key) void this.restart(key, 'device sent BYE');
    };
  }

  /**
   * Starts or joins the channel's live stream for a principal allowed to see it, and signs its URLs. `codec: 'h264'`
   * asks for an H.264 rendition when the stream is H.265 (browsers without HEVC decoding).
   */
  async open(p: Principal, channel: Channel, want: 'main' | 'sub', opts: { codec?: 'h264' } = {}): Promise<LiveGrant> {
    const g = await this.openStream(channel, want);
    let { info, variant } = g;
    let path = liveKey(channel.id, variant);
    let transcoded = false;
    if (opts.codec === 'h264' && info.codec === 'h265') {
      path = await this.deps.media.openRendition(path, 'h264');
      info = await this.deps.media.waitLive(path, 15_000);
      variant = `${variant}-h264` as 'main';
      transcoded = true;
    }
    const token = this.deps.tokens.sign({ u: p.userId, s: p.tokenId ?? `key:${p.apiKeyId ?? ''}`, p: path, e: Math.floor(this.deps.clock.now().getTime() / 1000) + this.deps.settings.tokenTtlSec });
    await this.deps.media.touch(path);
    this.granted.set(path, Date.now());
    return { stream: info, path, token, variant: g.variant, fallback: g.fallback, transcoded };
  }

  /** The running stream of a channel (started if needed), for server-side users such as snapshots. */
  async openStream(channel: Channel, want: 'main' | 'sub'): Promise<{ info: StreamInfo; variant: 'main' | 'sub'; fallback: boolean }> {
    let variant = want;
    let fallback = false;
    let info: StreamInfo;
    try {
      info = await this.ensure(channel, variant);
    } catch (e) {
      if (want !== 'sub' || !isAppError(e) || e.code !== 'DEVICE_REJECTED') throw e;
      // GB/T 28181-2016 devices without a sub-stream refuse the SDP: serve the main stream instead.
      variant = 'main';
      fallback = true;
      info = await this.ensure(channel, variant);
    }
    return { info, variant, fallback };
  }

  private async ensure(channel: Channel, variant: 'main' | 'sub'): Promise<StreamInfo> {
    const key = liveKey(channel.id, variant);
    const running = await this.deps.media.stream(key);
    if (running && running.state === 'live' && (this.sessions.has(key) || channel.sourceType === 'rtmp')) return running;
    if (channel.sourceType === 'rtmp') {
      throw new AppError('CHANNEL_NOT_PUBLISHING', `Nothing is publishing to channel ${channel.id}: point the encoder at its push URL (推流地址)`);
    }
    const inflight = this.starting.get(key);
    if (inflight) return inflight;
    const restarting = this.sessions.get(key)?.restarting;
    if (restarting) {
      // a re-INVITE is under way (stall, device BYE, media node lost): join it rather than INVITE a second time
      await restarting;
      const again = await this.deps.media.stream(key);
      if (again?.state === 'live' && this.sessions.has(key)) return again;
    }
    const p = this.start(channel, variant).finally(() => this.starting.delete(key));
    this.starting.set(key, p);
    return p;
  }

  private async start(channel: Channel, variant: 'main' | 'sub'): Promise<StreamInfo> {
    const key = liveKey(channel.id, variant);
    const ref: StreamRef = { key, channelId: channel.id, kind: 'live', variant };
    if (channel.sourceType === 'rtsp' || channel.sourceType === 'onvif') return this.startPull(channel, ref);
    const s: Session = this.sessions.get(key) ?? { ref, kind: 'gb', deviceId: channel.deviceId, restarts: 0 };
    this.sessions.set(key, s);
    try {
      await this.invite(s, channel);
      return await this.deps.media.waitLive(key, this.deps.settings.firstFrameTimeoutMs);
    } catch (e) {
      await this.stop(key, `start failed: ${(e as Error).message}`);
      throw e;
    }
  }

  /** RTSP / ONVIF channels: the media node pulls the URL (and reconnects by itself with back-off). */
  private async startPull(channel: Channel, ref: StreamRef, kind: 'pull' | 'always' = channel.pullMode === 'always' ? 'always' : 'pull'): Promise<StreamInfo> {
    const urls = await this.deps.store.channels.sourceUrls(channel.id);
    const url = ref.variant === 'sub' ? urls?.sub ?? urls?.main : urls?.main;
    if (!url) throw new AppError('CHANNEL_NO_SOURCE', `Channel ${channel.id} has no source URL`);
    this.sessions.set(ref.key, { ref, kind, deviceId: channel.deviceId, restarts: 0 });
    await this.deps.media.openPull({ stream: ref, url, transport: channel.pullTransport });
    try {
      return await this.deps.media.waitLive(ref.key, this.deps.settings.firstFrameTimeoutMs);
    } catch (e) {
      const st = (await this.deps.media.stream(ref.key))?.source;
      if (kind !== 'always') await this.stop(ref.key, 'pull failed');
      if (st?.error) throw new AppError('SOURCE_FAILED', `RTSP source of ${channel.id}: ${st.error.code} ${st.error.message}`, { source: st });
      throw e;
    }
  }

  /** Channels pulled all the time (pullMode always): started with the platform and kept without viewers. */
  async startAlwaysOn(channels: Channel[]): Promise<void> {
    for (const ch of channels) {
      const ref: StreamRef = { key: liveKey(ch.id, 'main'), channelId: ch.id, kind: 'live', variant: 'main' };
      await this.startPull(ch, ref, 'always').catch((e) => this.deps.log.warn({ channel: ch.id, err: (e as Error).message }, 'always-on pull not live yet; it keeps retrying'));
    }
  }

  /** INVITE for a session (first start or restart); the stream and its readers persist on the media node. */
  private async invite(s: Session, channel?: Channel): Promise<void> {
    const { gb, media, store } = this.deps;
    const device = await store.devices.get(s.deviceId, ALL_CHANNELS);
    if (!device) throw new AppError('NOT_FOUND', `Device ${s.deviceId} of channel ${s.ref.channelId} is not in the archive`);
    const ssrc = gb.invites.nextSsrc(false);
    const port = await media.openReceive({ stream: s.ref, transport: device.mediaTransport, ssrc: Number(ssrc) });
    const ip = port.host ?? gb.localAddressFor(s.deviceId);
    const sdp = buildGbInviteSdp({
      subject: 'Play',
      deviceChannelId: s.ref.channelId,
      ip,
      port: port.port,
      transport: device.mediaTransport,
      ssrc,
      streamNumber: s.ref.variant === 'sub' ? 1 : 0,
      streamProfile: profileFor(device.streamProfile, device.manufacturer),
    });
    let dialog: MediaDialog;
    try {
      dialog = await gb.invites.invite({ deviceId: s.deviceId, channelId: s.ref.channelId, ssrc, sdp });
    } catch (e) {
      await media.stopReceive(s.ref.key).catch(() => undefined);
      throw e;
    }
    s.dialog = dialog;
    this.byCallId.set(dialog.callId, s.ref.key);
    const answer = parseGbAnswer(dialog.answerSdp);
    const answerSsrc = answer.ssrcNumber;
    try {
      await media.confirmReceive(s.ref.key, { ssrc: answerSsrc ?? Number(ssrc), host: answer.ip, port: answer.port, rtpmap: answer.rtpmap });
    } catch (e) {
      await this.bye(s);
      throw e;
    }
    this.deps.log.info({ stream: s.ref.key, callId: dialog.callId, transport: device.mediaTransport, port: port.port, channel: channel?.name }, 'live stream invited');
  }

  private async bye(s: Session, timeoutMs?: number): Promise<void> {
    if (!s.dialog) return;
    const d = s.dialog;
    s.dialog = undefined;
    this.byCallId.delete(d.callId);
    await this.deps.gb.invites.bye(d.callId, timeoutMs);
  }

  /** Source gone (stall or device BYE): re-INVITE while viewers remain, with a growing pause between attempts. */
  private async restart(key: string, why: string): Promise<void> {
    const s = this.sessions.get(key);
    if (!s || s.restarting || s.kind !== 'gb') return; // pulls reconnect by themselves
    const info = await this.deps.media.stream(key);
    if (!info || info.readers === 0 || s.restarts >= this.deps.settings.maxRestarts) {
      await this.stop(key, `${why}${s.restarts >= this.deps.settings.maxRestarts ? ' (gave up re-inviting)' : ''}`);
      return;
    }
    s.restarts++;
    this.deps.log.warn({ stream: key, why, attempt: s.restarts }, 'live stream lost its source; re-inviting');
    s.restarting = (async () => {
      await this.bye(s);
      await this.deps.media.stopReceive(key).catch(() => undefined);
      await new Promise((r) => setTimeout(r, Math.min(8000, 500 * 2 ** (s.restarts - 1))));
      try {
        await this.invite(s);
        await this.deps.media.waitLive(key, this.deps.settings.firstFrameTimeoutMs);
        s.restarts = 0;
      } catch (e) {
        this.deps.log.warn({ stream: key, err: (e as Error).message }, 're-invite failed');
      }
    })().finally(() => {
      s.restarting = undefined;
    });
  }

  /**
   * A server-side user (availability probe, snapshot) is done with a stream it started: hang up unless a viewer was
   * given its URLs since `sinceMs` (wall clock) or is watching — those keep it, and the linger ends it later.
   */
  async release(key: string, sinceMs: number, reason: string): Promise<void> {
    if ((this.granted.get(key) ?? 0) >= sinceMs) return;
    const s = await this.deps.media.stream(key).catch(() => undefined);
    if (s && s.readers > 0) return;
    await this.stop(key, reason);
  }

  /** BYE and close the stream (last viewer left, or shutdown). */
  async stop(key: string, reason: string, byeTimeoutMs?: number): Promise<void> {
    const s = this.sessions.get(key);
    if (!s && reason === 'no viewers') return; // not ours (an RTMP publisher's stream lives as long as the publisher)
    if (s?.kind === 'always' && reason === 'no viewers') return;
    this.sessions.delete(key);
    this.granted.delete(key);
    if (s) await this.bye(s, byeTimeoutMs);
    await this.deps.media.closeStream(key, reason).catch(() => undefined);
    if (s) this.deps.log.info({ stream: key, reason }, 'live stream stopped');
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((k) => this.stop(k, 'shutdown', 1500)));
  }

  get size(): number {
    return this.sessions.size;
  }
}

/** `auto` picks the SDP dialect from the manufacturer the device reported in DeviceInfo. */
function profileFor(p: string, manufacturer: string | null): 'gb2022' | 'hikvision' | 'dahua' | 'none' {
  if (p !== 'auto') return p as 'gb2022' | 'hikvision' | 'dahua' | 'none';
  const m = (manufacturer ?? '').toLowerCase();
  if (m.includes('hik') || m.includes('海康')) return 'hikvision';
  if (m.includes('dahua') || m.includes('大华')) return 'dahua';
  return 'gb2022';
}

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
}

interface Session {
  ref: StreamRef;
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

  /** Starts or joins the channel's live stream for a principal allowed to see it, and signs its URLs. */
  async open(p: Principal, channel: Channel, want: 'main' | 'sub'): Promise<LiveGrant> {
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
    const path = liveKey(channel.id, variant);
    const token = this.deps.tokens.sign({ u: p.userId, s: p.tokenId ?? `key:${p.apiKeyId ?? ''}`, p: path, e: Math.floor(this.deps.clock.now().getTime() / 1000) + this.deps.settings.tokenTtlSec });
    await this.deps.media.touch(path);
    return { stream: info, path, token, variant, fallback };
  }

  private async ensure(channel: Channel, variant: 'main' | 'sub'): Promise<StreamInfo> {
    const key = liveKey(channel.id, variant);
    const running = await this.deps.media.stream(key);
    if (running && running.state === 'live' && this.sessions.has(key)) return running;
    const inflight = this.starting.get(key);
    if (inflight) return inflight;
    const p = this.start(channel, variant).finally(() => this.starting.delete(key));
    this.starting.set(key, p);
    return p;
  }

  private async start(channel: Channel, variant: 'main' | 'sub'): Promise<StreamInfo> {
    if (channel.sourceUrl) throw new AppError('CHANNEL_NO_SOURCE', `Channel ${channel.id} is an RTSP source; pulling RTSP arrives with the non-GB device support`);
    const key = liveKey(channel.id, variant);
    const ref: StreamRef = { key, channelId: channel.id, kind: 'live', variant };
    const s: Session = this.sessions.get(key) ?? { ref, deviceId: channel.deviceId, restarts: 0 };
    this.sessions.set(key, s);
    try {
      await this.invite(s, channel);
      return await this.deps.media.waitLive(key, this.deps.settings.firstFrameTimeoutMs);
    } catch (e) {
      await this.stop(key, `start failed: ${(e as Error).message}`);
      throw e;
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
    if (!s || s.restarting) return;
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

  /** BYE and close the stream (last viewer left, or shutdown). */
  async stop(key: string, reason: string, byeTimeoutMs?: number): Promise<void> {
    const s = this.sessions.get(key);
    this.sessions.delete(key);
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

import { randomBytes } from 'node:crypto';
import type { Principal } from '../auth/access.js';
import { AppError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { MediaTokens } from '../core/media-token.js';
import type { GbService } from '../gb28181/service.js';
import type { MediaNode, PlaybackAction, PlaybackState, SegmentLocation } from '../media/node.js';
import type { Store } from '../store/index.js';
import { ALL_CHANNELS } from '../store/scope.js';
import { deviceOf } from './device-records.js';
import { DevicePlayback } from './device-playback.js';

export const SPEEDS = [0.125, 0.25, 0.5, 1, 2, 4, 8, 16] as const;

interface Session {
  id: string;
  key: string;
  channelId: string;
  userId: string;
  startedAt: number;
  /** a playback of the device's own recording (GB/T 28181 Playback INVITE); absent for platform recordings */
  device?: DevicePlayback;
}

export type PlaybackSource = 'platform' | 'device';

export interface PlaybackGrant {
  session: string;
  path: string;
  token: string;
  state: PlaybackState;
  /** segments in range that are damaged or missing (skipped) */
  damaged: number;
  source: PlaybackSource;
  /** device playback: ms from the request to the first decodable picture */
  firstFrameMs?: number;
}

export interface DevicePlaybackSettings {
  /** the device's first picture must come within this (default 10 s) */
  firstFrameTimeoutMs: number;
  /** no video for this long while playing ends the session (default SHARPEYE_STREAM_TIMEOUT) */
  stallMs: number;
}

/**
 * Playback (R3/R5): a session per viewer, a stream `playback/<channel>/<session>` on the media node, signed URLs like
 * live video, and controls checked against the session's owner. Two kinds behind one API: platform recordings (a
 * paced stream read from the segment files) and the device's own recordings (`source: 'device'`, GB/T 28181 Playback
 * INVITE with MANSRTSP control, see DevicePlayback).
 */
export class PlaybackService {
  private readonly sessions = new Map<string, Session>();
  private readonly offs: Array<() => void> = [];

  constructor(private readonly d: { store: Store; media: MediaNode; tokens: MediaTokens; clock: Clock; log: Logger; tokenTtlSec: number; maxRangeMs: number; gb?: GbService; device?: DevicePlaybackSettings }) {
    // nobody watching for the linger time: the playback stream goes
    this.offs.push(
      d.media.on('idle', (s) => {
        if (s.kind === 'playback') void this.close(s.variant, 'no viewers');
      }),
    );
  }

  /** Validates a requested range against the platform clock: reversed, far-future and over-long ranges are refused. */
  checkRange(startMs: number, endMs: number): { startMs: number; endMs: number } {
    const now = this.d.clock.now().getTime();
    if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) throw new AppError('RANGE_INVALID', 'start and end must be ISO 8601 times (e.g. 2026-11-25T08:00:00+08:00)');
    if (endMs <= startMs) throw new AppError('RANGE_INVALID', `end ${new Date(endMs).toISOString()} is not after start ${new Date(startMs).toISOString()} (结束时间早于开始时间)`);
    if (startMs > now) throw new AppError('RANGE_INVALID', `start ${new Date(startMs).toISOString()} is in the future (开始时间晚于当前时间)`);
    if (endMs - startMs > this.d.maxRangeMs) throw new AppError('RANGE_INVALID', `range of ${Math.round((endMs - startMs) / 3600_000)} h is longer than the ${Math.round(this.d.maxRangeMs / 3600_000)} h allowed per request (时间范围过长)`);
    return { startMs, endMs: Math.min(endMs, now + 60_000) };
  }

  async segments(channelId: string, startMs: number, endMs: number): Promise<{ segments: SegmentLocation[]; damaged: number }> {
    const rows = await this.d.store.segments.range(channelId, startMs, endMs, ['open', 'closed', 'corrupt', 'missing']);
    const ok = rows.filter((r) => r.state === 'open' || r.state === 'closed');
    // uploaded segments carry their S3 object: the node reads it when the local file is gone (issue 8)
    const at = (r: (typeof ok)[number]) => (r.storage === 's3' && r.objectKey ? { objectKey: r.objectKey, etag: r.etag } : {});
    return { segments: ok.map((r) => ({ id: r.id, channelId: r.channelId, startMs: r.startMs, endMs: r.endMs, path: r.path, size: r.size, nodeId: r.nodeId, ...at(r) })), damaged: rows.length - ok.length };
  }

  async open(p: Principal, channelId: string, o: { startMs: number; endMs: number; speed?: number; source?: PlaybackSource }): Promise<PlaybackGrant> {
    const { startMs, endMs } = this.checkRange(o.startMs, o.endMs);
    const speed = o.speed ?? 1;
    if (!(SPEEDS as readonly number[]).includes(speed)) throw new AppError('VALIDATION_FAILED', `speed must be one of ${SPEEDS.join(', ')}`);
    if (o.source === 'device') return this.openDevice(p, channelId, startMs, endMs, speed);
    const { segments, damaged } = await this.segments(channelId, startMs, endMs);
    if (!segments.length) throw new AppError('NO_RECORDINGS', `channel ${channelId} has no platform recordings between ${new Date(startMs).toISOString()} and ${new Date(endMs).toISOString()} (该时间段无录像)`);
    const id = randomBytes(9).toString('base64url');
    const key = `playback/${channelId}/${id}`;
    const state = await this.d.media.openPlayback({ stream: { key, channelId, kind: 'playback', variant: id }, segments, startMs: Math.max(startMs, segments[0].startMs), endMs, speed });
    this.sessions.set(id, { id, key, channelId, userId: p.userId, startedAt: Date.now() });
    await this.d.media.touch(key);
    return { session: id, path: key, token: this.sign(p, key), state, damaged, source: 'platform' };
  }

  private sign(p: Principal, key: string): string {
    return this.d.tokens.sign({ u: p.userId, s: p.tokenId ?? `key:${p.apiKeyId ?? ''}`, p: key, e: Math.floor(this.d.clock.now().getTime() / 1000) + this.d.tokenTtlSec });
  }

  /** The device's own recording: INVITE s=Playback and wait for its first picture (typed errors: DEVICE_OFFLINE, DEVICE_TIMEOUT, DEVICE_REJECTED, MEDIA_TIMEOUT). */
  private async openDevice(p: Principal, channelId: string, startMs: number, endMs: number, speed: number): Promise<PlaybackGrant> {
    const gb = this.d.gb;
    if (!gb) throw new AppError('FEATURE_UNAVAILABLE', 'GB/T 28181 signalling is not running on this node: device recordings cannot be played');
    const channel = await this.d.store.channels.get(channelId, ALL_CHANNELS);
    if (!channel) throw new AppError('NOT_FOUND', `no channel ${channelId}`);
    const deviceId = deviceOf(channel);
    const id = randomBytes(9).toString('base64url');
    const key = `playback/${channelId}/${id}`;
    const settings = this.d.device ?? { firstFrameTimeoutMs: 10_000, stallMs: 10_000 };
    const dp = new DevicePlayback({ store: this.d.store, gb, media: this.d.media, log: this.d.log, ...settings }, { key, channelId, kind: 'playback', variant: id }, deviceId, startMs, endMs, speed);
    const t0 = performance.now();
    await dp.start();
    const firstFrameMs = Math.round(performance.now() - t0);
    this.sessions.set(id, { id, key, channelId, userId: p.userId, startedAt: Date.now(), device: dp });
    await this.d.media.touch(key);
    this.d.log.info({ stream: key, device: deviceId, firstFrameMs, speed }, 'device playback started');
    return { session: id, path: key, token: this.sign(p, key), state: await dp.state(), damaged: 0, source: 'device', firstFrameMs };
  }

  private owned(p: Principal, id: string): Session {
    const s = this.sessions.get(id);
    // another user's session is reported as absent: session ids are not to be probed
    if (!s || (s.userId !== p.userId && !p.permissions.has('system.config'))) throw new AppError('PLAYBACK_NOT_FOUND', `no playback session ${id} (回放会话不存在或已结束)`);
    return s;
  }

  channelOf(p: Principal, id: string): string {
    return this.owned(p, id).channelId;
  }

  async control(p: Principal, id: string, a: PlaybackAction): Promise<PlaybackState> {
    const s = this.owned(p, id);
    if (a.action === 'speed' && !(SPEEDS as readonly number[]).includes(a.speed)) throw new AppError('VALIDATION_FAILED', `speed must be one of ${SPEEDS.join(', ')}`);
    await this.d.media.touch(s.key);
    if (s.device) return s.device.control(a);
    return this.d.media.controlPlayback(s.key, a);
  }

  async state(p: Principal, id: string): Promise<PlaybackState> {
    const s = this.owned(p, id);
    if (s.device) return s.device.state();
    const st = await this.d.media.playbackState(s.key);
    if (!st) throw new AppError('PLAYBACK_NOT_FOUND', `playback session ${id} has ended`);
    return st;
  }

  async stop(p: Principal, id: string): Promise<void> {
    this.owned(p, id);
    await this.close(id, 'stopped by user');
  }

  private async close(id: string, reason: string): Promise<void> {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    if (s.device) await s.device.close(reason);
    else await this.d.media.closeStream(s.key, reason).catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    for (const off of this.offs) off();
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id, 'shutdown')));
  }
}

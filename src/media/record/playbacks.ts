import { EventEmitter } from 'node:events';
import { AppError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Hub, Stream } from '../../stream/index.js';
import type { PlaybackAction, PlaybackStart, PlaybackState } from '../node.js';
import { PlaybackSession } from './playback/playback-session.js';
import type { SegmentOpener } from './random-access.js';
import { SegmentFrames } from './segment-reader.js';

/**
 * Playbacks of recorded segments on this node: each is a hub stream (`playback/<channel>/<session>`) fed by a paced
 * PlaybackSession, so viewers use the same FLV / WS-FLV / HLS outputs as live video.
 */
export class Playbacks extends EventEmitter<{ ended: [Stream] }> {
  private readonly sessions = new Map<string, { session: PlaybackSession; stream: Stream }>();

  constructor(
    private readonly hub: Hub,
    private readonly log: Logger,
    /** how segments are opened (local files, or S3 objects once uploaded) */
    private readonly openSegment?: SegmentOpener,
  ) {
    super();
  }

  open(req: PlaybackStart): PlaybackState {
    if (this.sessions.has(req.stream.key)) throw new AppError('CONFLICT', `playback ${req.stream.key} already running`);
    const stream = this.hub.open(req.stream);
    const frames = new SegmentFrames(
      req.segments.map((s) => ({ ...s })),
      { onBadSegment: (seg, err) => this.log.warn({ segment: seg.path, err: err.message }, 'segment skipped in playback (录像文件损坏或丢失)'), open: this.openSegment },
    );
    const session = new PlaybackSession({ frames, stream, startMs: req.startMs, endMs: req.endMs, speed: req.speed, timestamps: req.timestamps, log: this.log });
    session.on('ended', () => this.emit('ended', stream));
    session.on('error', (e: Error) => this.log.warn({ stream: req.stream.key, err: e.message }, 'playback error'));
    this.sessions.set(req.stream.key, { session, stream });
    stream.once('ended', () => this.stop(req.stream.key));
    session.start();
    return session.state();
  }

  control(key: string, a: PlaybackAction): PlaybackState {
    const p = this.sessions.get(key);
    if (!p) throw new AppError('PLAYBACK_NOT_FOUND', `no playback ${key}`);
    const s = p.session;
    switch (a.action) {
      case 'pause':
        s.pause();
        break;
      case 'resume':
        s.resume();
        break;
      case 'seek':
        s.seek(a.time);
        break;
      case 'speed':
        s.setSpeed(a.speed);
        break;
      case 'step':
        s.step(a.direction);
        break;
    }
    return s.state();
  }

  state(key: string): PlaybackState | undefined {
    return this.sessions.get(key)?.session.state();
  }

  stop(key: string): void {
    const p = this.sessions.get(key);
    if (!p) return;
    this.sessions.delete(key);
    p.session.stop();
  }

  close(): void {
    for (const k of [...this.sessions.keys()]) this.stop(k);
  }
}

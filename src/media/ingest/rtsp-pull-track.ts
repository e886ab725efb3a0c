import type { AudioFrame, AudioParams, Frame, VideoFrame } from '../../lib/av/frame.js';
import { parseAudioSpecificConfig } from '../../lib/aac/index.js';
import { AacDepacketizer, G711Depacketizer, H264Depacketizer, H265Depacketizer, parseRtp, ReorderBuffer, type RtpPacket } from '../../lib/rtp/index.js';
import type { RtspTrack } from '../../lib/rtsp/index.js';
import { AudioTimeline, DtsFixer, SESSION_ORIGIN, type SessionClock } from './rtsp-pull-timing.js';

export interface ChosenTracks {
  video?: RtspTrack;
  audio?: RtspTrack;
  /** what was in the SDP and is not pulled, e.g. "video JPEG" */
  skipped: string[];
}

/**
 * The tracks to SETUP: the first H.264/H.265 video and the first AAC (mpeg4-generic with a config) or G.711 audio of
 * the DESCRIBE answer; everything else is skipped.
 */
export function chooseTracks(tracks: readonly RtspTrack[]): ChosenTracks {
  const out: ChosenTracks = { skipped: [] };
  for (const t of tracks) {
    const label = `${t.media} ${t.encoding}/${t.clockRate}`;
    if (t.media === 'video' && (t.codec === 'h264' || t.codec === 'h265') && !out.video) out.video = t;
    else if (t.media === 'audio' && (t.codec === 'g711a' || t.codec === 'g711u') && !out.audio) out.audio = t;
    else if (t.media === 'audio' && t.codec === 'aac' && !out.audio && t.config?.length && t.sizeLength && t.sizeLength > 0 && t.sizeLength <= 16) out.audio = t;
    else out.skipped.push(t.codec === 'aac' && !t.config?.length ? `${label} (no config)` : label);
  }
  return out;
}

/** The audio format the hub is told about (AAC: from the AudioSpecificConfig of the SDP). */
export function audioParams(t: RtspTrack): AudioParams | undefined {
  if (t.codec === 'g711a' || t.codec === 'g711u') return { codec: t.codec, sampleRate: t.clockRate, channels: t.channels ?? 1 };
  if (t.codec === 'aac' && t.config) {
    try {
      const c = parseAudioSpecificConfig(t.config);
      return { codec: 'aac', sampleRate: c.sampleRate, channels: c.channels || (t.channels ?? 1), config: t.config };
    } catch {
      return { codec: 'aac', sampleRate: t.clockRate, channels: t.channels ?? 1, config: t.config };
    }
  }
  return undefined;
}

export interface TrackReceiverOptions {
  track: RtspTrack;
  clock: SessionClock;
  /** RTP-Info rtptime of this track (RFC 2326 §12.33), when the PLAY answer had one */
  rtptime?: number;
  /** packets held behind a gap: small over TCP (nothing reorders there), larger over UDP */
  reorderWindow: number;
  onFrame(f: Frame): void;
  onLoss(count: number): void;
  now?: () => number;
}

interface Depacketizer {
  push(p: RtpPacket): void;
}

/**
 * One pulled track: RTP packets (only the SDP's payload type) → sequence order (ReorderBuffer) → depacketizer →
 * frames on the session time line (SessionClock) with growing dts, parameter sets from the SDP sprop-* put in front
 * of keyframes that come without them. The depacketizer is made at the first packet, when its RTP base is known.
 */
export class TrackReceiver {
  readonly stats = { packets: 0, bytes: 0, foreign: 0 };
  private readonly reorder: ReorderBuffer;
  private depacketizer: Depacketizer | undefined;
  private readonly now: () => number;
  private readonly dtsFixer = new DtsFixer();
  private readonly audioTime = new AudioTimeline();
  private readonly params: AudioParams | undefined;
  private rtptime: number | undefined;

  constructor(private readonly opts: TrackReceiverOptions) {
    this.now = opts.now ?? Date.now;
    this.rtptime = opts.rtptime;
    this.params = opts.track.media === 'audio' ? audioParams(opts.track) : undefined;
    this.reorder = new ReorderBuffer({ onPacket: (p) => this.depacketize(p), onLoss: (n) => opts.onLoss(n), window: opts.reorderWindow });
  }

  /** RTP-Info rtptime from the PLAY answer; must be set before the first packet is pushed */
  setRtptime(rtptime: number | undefined): void {
    this.rtptime = rtptime;
  }

  get kind(): 'video' | 'audio' {
    return this.opts.track.media === 'video' ? 'video' : 'audio';
  }

  get lost(): number {
    return this.reorder.stats.lost;
  }

  /** One RTP datagram or interleaved frame. Returns false when it was not RTP of this track. */
  push(buf: Buffer): boolean {
    const p = parseRtp(buf);
    if (!p || p.payloadType !== this.opts.track.payloadType) {
      this.stats.foreign++;
      return false;
    }
    this.stats.packets++;
    this.stats.bytes += buf.length;
    this.reorder.push(p);
    return true;
  }

  private depacketize(p: RtpPacket): void {
    this.depacketizer ??= this.create(p.timestamp);
    this.depacketizer.push(p);
  }

  private create(firstTs: number): Depacketizer {
    const t = this.opts.track;
    const rtpBase = this.opts.clock.base(firstTs, t.clockRate, this.rtptime, this.now());
    if (t.codec === 'h264' || t.codec === 'h265') {
      const o = { onFrame: (f: VideoFrame) => this.video(f), vps: t.vps, sps: t.sps, pps: t.pps, rtpBase };
      return t.codec === 'h264' ? new H264Depacketizer(o) : new H265Depacketizer(o);
    }
    if (t.codec === 'aac') {
      const layout = { sizeLength: t.sizeLength ?? 13, indexLength: t.indexLength ?? 3, indexDeltaLength: t.indexDeltaLength ?? 3 };
      return new AacDepacketizer({ onFrame: (f) => this.audio(f), sampleRate: t.clockRate, layout, rtpBase });
    }
    const codec = t.codec === 'g711u' ? 'g711u' : 'g711a';
    return new G711Depacketizer({ onFrame: (f) => this.audio(f), codec, rtpBase, clockRate: t.clockRate });
  }

  private video(f: VideoFrame): void {
    const pts = f.pts + SESSION_ORIGIN;
    this.opts.onFrame({ ...f, pts, dts: this.dtsFixer.dts(pts) });
  }

  private audio(f: AudioFrame): void {
    const t = this.audioTime.next(f.pts + SESSION_ORIGIN);
    this.opts.onFrame(this.params ? { ...f, pts: t, dts: t, params: this.params } : { ...f, pts: t, dts: t });
  }
}

/**
 * MPEG-2 program stream demuxer for GB/T 28181-2016 附录C (PS over RTP), ISO/IEC 13818-1 §2.5.
 *
 * Input is the PS byte stream in whatever pieces RTP delivers it (packs split over packets, several packs per packet).
 * Headers are gathered in a small buffer; PES payloads are passed on as subarrays of the input and copied once per
 * frame when the frame is joined. The caller must not modify a pushed buffer afterwards (its bytes may be referenced
 * until the frame they belong to is emitted).
 *
 * Access units: see video-assembler.ts (a PES with a new PTS; PES without PTS continue the picture) and
 * audio-assembler.ts (one PES per audio frame). endOfFrame (the RTP marker) emits the pending picture at once when the
 * stream is at a PES boundary. Garbage, a PES cut short by a pack header, or a wrong PES length are skipped by
 * searching for the next `00 00 01 BA/BB/BC/C0–EF` start code; a frame that lost bytes is dropped, never delivered cut.
 */
import type { AudioCodec, Frame, VideoCodec } from '../av/frame.js';
import { AudioAssembler } from './audio-assembler.js';
import { DEFAULT_MAX_FRAME_BYTES, type DemuxErrorCode, type DemuxOptions } from './errors.js';
import { packHeaderSize } from './pack.js';
import { pesHeaderSize, pesTimestamps } from './pes.js';
import { parsePsm } from './psm.js';
import type { FrameSink } from './sink.js';
import { findStartCode, lastThree, NO_PREV } from './start-code.js';
import { audioCodecOf, videoCodecOf } from './stream-types.js';
import { Timeline } from './timeline.js';
import { VideoAssembler } from './video-assembler.js';

export interface PsDemuxStats {
  /** bytes pushed */
  bytes: number;
  packs: number;
  pes: number;
  psm: number;
  videoFrames: number;
  audioFrames: number;
  /** frames thrown away (damaged, oversize, unknown codec) */
  dropped: number;
  /** times the parser lost sync and searched for a start code */
  resyncs: number;
  errors: number;
}

const enum St {
  /** gathering a start code + header into acc */
  Hdr,
  /** payload of a PES with a known length */
  Body,
  /** bytes to throw away (padding, private streams, system header, streams not carried) */
  Skip,
  /** payload of a PES with PES_packet_length 0: up to the next system start code */
  Open,
  /** lost: searching for a start code */
  Scan,
}

type Target = 'video' | 'audio' | null;

const ACC_SIZE = 2048;
const PACK_START = Buffer.from([0, 0, 1, 0xba]);
const EMPTY = Buffer.alloc(0);

const isVideoId = (id: number): boolean => id >= 0xe0 && id <= 0xef;
const isAudioId = (id: number): boolean => id >= 0xc0 && id <= 0xdf;
/** stream ids ending an unbounded PES: any system start code (§2.5.3.1: stream_id ≥ 0xB9) */
const isSystemId = (id: number): boolean => id >= 0xb9;
/** start codes to resynchronise on */
const isResyncId = (id: number): boolean =>
  id === 0xba || id === 0xbb || id === 0xbc || id === 0xbe || (id >= 0xc0 && id <= 0xef);

export class PsDemuxer {
  readonly stats: PsDemuxStats = {
    bytes: 0,
    packs: 0,
    pes: 0,
    psm: 0,
    videoFrames: 0,
    audioFrames: 0,
    dropped: 0,
    resyncs: 0,
    errors: 0,
  };
  private st = St.Scan;
  private readonly acc = Buffer.alloc(ACC_SIZE);
  private accLen = 0;
  private remaining = 0;
  private target: Target = null;
  /** the target of the last PES body, blamed when the next header is not where its length said */
  private lastBody: Target = null;
  /** last three bytes seen (Scan, Open) */
  private prev = NO_PREV;
  /** Open: the last ≤ 3 payload bytes, held back until known not to begin a start code */
  private held: Buffer = EMPTY;
  /** searching for sync (at the start, or after a loss): false start codes met meanwhile are not reported */
  private recovering = true;
  private videoId = -1;
  private audioId = -1;
  /** codecs the last PSM declared (a repeated PSM does not undo a correction made from the parameter sets) */
  private psmVideo: VideoCodec | undefined;
  private psmAudio: AudioCodec | null | undefined;
  private readonly timeline = new Timeline();
  private readonly video: VideoAssembler;
  private readonly audio: AudioAssembler;

  constructor(private readonly opts: DemuxOptions) {
    const max = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    const sink: FrameSink = {
      frame: (f: Frame) => {
        if (f.track === 'video') this.stats.videoFrames++;
        else this.stats.audioFrames++;
        this.opts.onFrame(f);
      },
      error: (code, detail) => this.error(code, detail),
      dropped: () => void this.stats.dropped++,
    };
    this.video = new VideoAssembler(sink, max);
    this.audio = new AudioAssembler(sink, max);
  }

  /** Codecs known so far (from the PSM or guessed from the streams). */
  get codecs(): { video?: VideoCodec; audio?: AudioCodec } {
    return { video: this.video.codec, audio: this.audio.codec ?? undefined };
  }

  /**
   * Feeds PS bytes (one RTP payload). endOfFrame: the RTP marker bit, emit the pending frame now instead of waiting
   * for the next one (ignored when the stream is in the middle of a PES, i.e. the marker cannot be right).
   */
  push(payload: Buffer, endOfFrame = false): void {
    this.stats.bytes += payload.length;
    this.feed(payload, 0);
    if (endOfFrame) this.endOfFrame();
  }

  /** End of input: emits what is pending. */
  flush(): void {
    if (this.st === St.Open) this.releaseHeld();
    this.video.end();
    this.audio.end();
  }

  /** Input was lost (RTP sequence gap): drops the frames being assembled and resynchronises on the next start code. */
  discard(): void {
    this.video.discard();
    this.audio.discard();
    this.st = St.Scan;
    this.accLen = 0;
    this.prev = NO_PREV;
    this.held = EMPTY;
    this.target = null;
  }

  private endOfFrame(): void {
    if (this.st === St.Body || this.st === St.Skip || (this.st === St.Hdr && this.accLen > 0)) return;
    if (this.st === St.Open) this.releaseHeld();
    this.video.end();
    this.audio.end();
  }

  private error(code: DemuxErrorCode, detail: string): void {
    this.stats.errors++;
    this.opts.onError?.(code, detail);
  }

  private feed(buf: Buffer, from: number): void {
    const len = buf.length;
    let pos = from;
    while (pos < len) {
      switch (this.st) {
        case St.Hdr:
          pos = this.header(buf, pos);
          break;
        case St.Body: {
          const n = Math.min(this.remaining, len - pos);
          const piece = buf.subarray(pos, pos + n);
          const k = piece.indexOf(PACK_START);
          if (k >= 0) {
            // 00 00 01 BA cannot occur inside H.264/H.265/MPEG video (start code emulation prevention) and is
            // vanishingly unlikely in audio: a pack header inside the claimed length means the PES was cut short
            this.deliver(piece.subarray(0, k));
            this.markCorrupt(this.target);
            this.error('PES_TRUNCATED', `PES ended ${this.remaining - k} bytes early by a pack header`);
            this.pesEnd();
            pos += k;
            this.toHeader();
            break;
          }
          this.deliver(piece);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            this.pesEnd();
            this.toHeader();
          }
          break;
        }
        case St.Skip: {
          const n = Math.min(this.remaining, len - pos);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) this.toHeader();
          break;
        }
        case St.Open:
          pos = this.open(buf, pos);
          break;
        case St.Scan: {
          const id = findStartCode(buf, pos, this.prev, isResyncId);
          if (id < 0) {
            this.prev = lastThree(buf, pos, len, this.prev);
            pos = len;
            break;
          }
          this.acc.writeUInt32BE(0x100 | buf[id], 0);
          this.accLen = 4;
          this.st = St.Hdr;
          pos = id + 1;
          break;
        }
      }
    }
  }

  private toHeader(): void {
    this.st = St.Hdr;
    this.accLen = 0;
  }

  /** Gathers the header of the unit at the stream position; acts on it when complete. */
  private header(buf: Buffer, pos: number): number {
    for (;;) {
      const want = this.want();
      if (want < 0) return this.lostSync(buf, pos);
      if (this.accLen >= want) {
        this.onHeader();
        return pos;
      }
      if (pos >= buf.length) return pos;
      const n = Math.min(want - this.accLen, buf.length - pos);
      buf.copy(this.acc, this.accLen, pos, pos + n);
      this.accLen += n;
      pos += n;
    }
  }

  /** Bytes of the current unit's header needed (from what acc holds); -1 when acc does not hold a valid one. */
  private want(): number {
    const a = this.acc;
    if (this.accLen < 4) return 4;
    if (a[0] !== 0 || a[1] !== 0 || a[2] !== 1) return -1;
    const id = a[3];
    if (id === 0xba) {
      const s = packHeaderSize(a, this.accLen);
      return s === 0 ? this.accLen + 1 : s;
    }
    if (id === 0xb9) return 4; // MPEG_program_end_code
    if (id < 0xb9) return -1;
    if (this.accLen < 6) return 6;
    const len = a.readUInt16BE(4);
    if (id === 0xbc) return 6 + len <= ACC_SIZE && len >= 10 ? 6 + len : 6;
    if (!isVideoId(id) && !isAudioId(id)) return 6;
    const s = pesHeaderSize(a, this.accLen);
    if (s < 0 || (len !== 0 && s > 6 + len)) return -1;
    return s === 0 ? this.accLen + 1 : s;
  }

  private onHeader(): void {
    const a = this.acc;
    const id = a[3];
    this.recovering = false;
    this.lastBody = null;
    if (id === 0xba) {
      this.stats.packs++;
      this.toHeader();
      return;
    }
    if (id === 0xb9) {
      this.toHeader();
      return;
    }
    const len = a.readUInt16BE(4);
    if (id === 0xbc) {
      if (this.accLen === 6 + len) this.onPsm(a.subarray(0, this.accLen));
      else {
        this.error('BAD_HEADER', `program stream map of ${len} bytes skipped`);
        return this.skip(len);
      }
      return this.toHeader();
    }
    if (id === 0xbb) this.video.hintKey(); // GB/T 28181 附录C: system header + PSM go before keyframes
    if (!isVideoId(id) && !isAudioId(id)) return this.skip(len);
    this.pesHeader(id, len);
  }

  private skip(len: number): void {
    this.accLen = 0;
    if (len === 0) return this.toHeader();
    this.st = St.Skip;
    this.remaining = len;
  }

  private onPsm(psm: Buffer): void {
    this.stats.psm++;
    const entries = parsePsm(psm);
    if (!entries) {
      this.error('BAD_HEADER', 'program stream map does not parse');
      return;
    }
    this.video.hintKey();
    let video = false;
    let audio = false;
    for (const e of entries) {
      const vc = videoCodecOf(e.streamType);
      const ac = audioCodecOf(e.streamType);
      if (vc && !video && isVideoId(e.streamId)) {
        video = true;
        this.videoId = e.streamId;
        if (this.psmVideo !== vc) this.video.declare(vc);
        this.psmVideo = vc;
      } else if (!audio && isAudioId(e.streamId)) {
        // G.722.1 / G.723.1 / G.729 and other audio we do not carry: declared null, dropped quietly
        audio = true;
        this.audioId = e.streamId;
        if (this.psmAudio !== (ac ?? null)) this.audio.declare(ac ?? null);
        this.psmAudio = ac ?? null;
      }
    }
  }

  private pesHeader(id: number, len: number): void {
    this.stats.pes++;
    const size = pesHeaderSize(this.acc, this.accLen);
    let target: Target = null;
    if (id === this.videoId || (this.videoId < 0 && isVideoId(id))) {
      this.videoId = id;
      target = 'video';
    } else if (id === this.audioId || (this.audioId < 0 && isAudioId(id))) {
      this.audioId = id;
      target = 'audio';
    }
    this.target = target;
    if (target) {
      const t = pesTimestamps(this.acc, size);
      let pts: number | undefined;
      let dts: number | undefined;
      if (t.pts !== undefined) {
        const m = this.timeline.map(t.pts, t.dts);
        if (m.jump) this.error('TIME_JUMP', `timestamps jumped at PTS ${t.pts}; rebased`);
        pts = m.pts;
        dts = m.dts;
      }
      if (target === 'video') this.video.pesStart(pts, dts);
      else this.audio.pesStart(pts, dts);
    }
    this.accLen = 0;
    if (len === 0) {
      // PES_packet_length 0 (allowed for video): the payload runs to the next system start code
      this.st = St.Open;
      this.prev = NO_PREV;
      this.held = EMPTY;
      return;
    }
    const payload = len + 6 - size;
    if (payload === 0) {
      this.pesEnd();
      return this.toHeader();
    }
    this.st = St.Body;
    this.remaining = payload;
  }

  /** Open PES payload up to the next system start code (which may begin in the held-back bytes). */
  private open(buf: Buffer, pos: number): number {
    const len = buf.length;
    const id = findStartCode(buf, pos, this.prev, isSystemId);
    if (id < 0) {
      const avail = this.held.length + len - pos;
      const keep = Math.min(3, avail);
      if (len - pos >= keep) {
        this.releaseHeld();
        this.deliver(buf.subarray(pos, len - keep));
        this.held = Buffer.from(buf.subarray(len - keep, len));
      } else {
        const merged = Buffer.concat([this.held, buf.subarray(pos, len)]);
        this.deliver(merged.subarray(0, merged.length - keep));
        this.held = merged.subarray(merged.length - keep);
      }
      this.prev = lastThree(buf, pos, len, this.prev);
      return len;
    }
    const sc = id - 3;
    if (sc >= pos) {
      this.releaseHeld();
      this.deliver(buf.subarray(pos, sc));
    } else {
      // the start code began in earlier bytes: those held back are not payload (if already delivered after a
      // marker, they are zero bytes at the end of a NAL unit, which splitAnnexB drops)
      const keep = this.held.length - (pos - sc);
      if (keep > 0) this.deliver(this.held.subarray(0, keep));
      this.held = EMPTY;
    }
    this.pesEnd();
    this.acc.writeUInt32BE(0x100 | buf[id], 0);
    this.accLen = 4;
    this.st = St.Hdr;
    return id + 1;
  }

  private releaseHeld(): void {
    if (this.held.length > 0) this.deliver(this.held);
    this.held = EMPTY;
  }

  private deliver(b: Buffer): void {
    if (b.length === 0) return;
    if (this.target === 'video') this.video.append(b);
    else if (this.target === 'audio') this.audio.append(b);
  }

  private pesEnd(): void {
    if (this.target === 'audio') this.audio.end();
    this.lastBody = this.target;
    this.target = null;
  }

  private markCorrupt(t: Target): void {
    if (t === 'video') this.video.markCorrupt();
    else if (t === 'audio') this.audio.markCorrupt();
  }

  /** acc does not hold a valid header: blame the PES before it, then search again from acc's second byte. */
  private lostSync(buf: Buffer, pos: number): number {
    if (!this.recovering) {
      this.stats.resyncs++;
      const seen = this.acc.subarray(0, Math.min(this.accLen, 8)).toString('hex');
      this.error('RESYNC', `no start code where one was expected (${seen})`);
    }
    this.recovering = true;
    this.markCorrupt(this.lastBody);
    this.lastBody = null;
    const again = Buffer.from(this.acc.subarray(1, this.accLen));
    this.accLen = 0;
    this.st = St.Scan;
    this.prev = NO_PREV;
    this.feed(again, 0);
    return pos;
  }
}

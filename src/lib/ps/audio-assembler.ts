/**
 * Audio frames from PES payloads (shared by the PS and TS demuxers): one PES → one AudioFrame, emitted when the PES is
 * complete. G.711 payloads are passed as they are; AAC is split from ADTS into raw frames (ISO/IEC 14496-3 §1.A.2).
 * A PES without PTS continues on the previous frame's timeline.
 */
import type { AudioCodec, AudioParams } from '../av/frame.js';
import { parseAdtsHeader, splitAdts } from '../aac/adts.js';
import { audioSpecificConfig } from '../aac/config.js';
import { ByteList } from './byte-list.js';
import type { FrameSink } from './sink.js';

export class AudioAssembler {
  /** known codec; null: a stream type we do not carry (dropped quietly); undefined: not known yet */
  codec: AudioCodec | null | undefined;
  private readonly data = new ByteList();
  private open = false;
  private pts = 0;
  private dts = 0;
  private corrupt = false;
  /** where the next frame starts when its PES has no PTS; -1 unknown */
  private expected = -1;
  private params?: AudioParams;

  constructor(
    private readonly sink: FrameSink,
    private readonly maxBytes: number,
  ) {}

  declare(codec: AudioCodec | null): void {
    if (codec !== this.codec) this.params = undefined;
    this.codec = codec;
  }

  pesStart(pts: number | undefined, dts: number | undefined): void {
    if (this.open && this.data.length > 0) this.end();
    if (pts === undefined) {
      if (this.expected < 0) {
        this.open = false;
        return;
      }
      pts = dts = this.expected;
    }
    this.open = true;
    this.pts = pts;
    this.dts = dts ?? pts;
    this.corrupt = false;
    this.data.clear();
  }

  append(b: Buffer): void {
    if (!this.open || b.length === 0) return;
    if (this.data.length + b.length > this.maxBytes) {
      this.sink.error('FRAME_TOO_LARGE', `audio frame over ${this.maxBytes} bytes dropped`);
      this.sink.dropped();
      this.data.clear();
      this.open = false;
      return;
    }
    this.data.push(b);
  }

  markCorrupt(): void {
    if (this.open) this.corrupt = true;
  }

  /** The PES is complete: emit it. */
  end(): void {
    if (!this.open) return;
    this.open = false;
    if (this.data.length === 0) return;
    const buf = this.data.join();
    this.data.clear();
    if (this.corrupt || this.codec === null) {
      if (this.corrupt) this.sink.dropped();
      return;
    }
    // no PSM: cameras send G.711A on 0xC0; an ADTS sync word tells AAC
    this.codec ??= parseAdtsHeader(buf, 0) ? 'aac' : 'g711a';
    if (this.codec === 'aac') {
      const a = splitAdts(buf);
      if (!a) {
        this.sink.error('BAD_ADTS', `AAC PES of ${buf.length} bytes without valid ADTS frames`);
        this.sink.dropped();
        return;
      }
      const p = this.params;
      if (!p || p.sampleRate !== a.sampleRate || p.channels !== a.channels) {
        this.params = {
          codec: 'aac',
          sampleRate: a.sampleRate,
          channels: a.channels,
          config: audioSpecificConfig(a.objectType, a.sampleRate, a.channels),
        };
      }
      this.expected = this.pts + Math.round((a.frames.length * 1024 * 90_000) / a.sampleRate);
      this.emit('aac', a.frames);
      return;
    }
    this.params ??= { codec: this.codec, sampleRate: 8000, channels: 1 };
    this.expected = this.pts + Math.round((buf.length * 90_000) / 8000);
    this.emit(this.codec, [buf]);
  }

  private emit(codec: AudioCodec, units: Buffer[]): void {
    this.sink.frame({ track: 'audio', codec, pts: this.pts, dts: this.dts, key: true, units, params: this.params });
  }

  discard(): void {
    if (this.open && this.data.length > 0) this.sink.dropped();
    this.data.clear();
    this.open = false;
  }
}

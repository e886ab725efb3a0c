/**
 * Minimal MPEG-2 transport stream demuxer (ISO/IEC 13818-1 §2.4) for devices that put TS in RTP (RFC 2250 MP2T):
 * 188-byte packets, PAT → PMT → the first video (H.264/H.265) and first audio (AAC ADTS, G.711) stream, PES
 * reassembly, same Frame output as the PS demuxer (access units per video-assembler.ts). Pushed buffers must not be
 * modified afterwards (PES payloads are kept as subarrays until their frame is emitted).
 */
import type { AudioCodec, Frame, VideoCodec } from '../av/frame.js';
import { AudioAssembler } from '../ps/audio-assembler.js';
import { DEFAULT_MAX_FRAME_BYTES, type DemuxErrorCode, type DemuxOptions } from '../ps/errors.js';
import { pesHeaderSize, pesTimestamps } from '../ps/pes.js';
import type { FrameSink } from '../ps/sink.js';
import { audioCodecOf, videoCodecOf } from '../ps/stream-types.js';
import { Timeline } from '../ps/timeline.js';
import { VideoAssembler } from '../ps/video-assembler.js';
import { parsePat, parsePmt, sectionCrcOk, sectionSize } from './psi.js';

export const TS_PACKET = 188;
const SYNC = 0x47;
/** PES headers are ≤ 9 + 255 bytes */
const MAX_PES_HEADER = 264;

export interface TsDemuxStats {
  bytes: number;
  packets: number;
  pes: number;
  videoFrames: number;
  audioFrames: number;
  dropped: number;
  resyncs: number;
  /** continuity_counter gaps and transport_error_indicator packets */
  discontinuities: number;
  errors: number;
}

interface PesStream {
  readonly kind: 'video' | 'audio';
  cc: number;
  /** a PES is being received */
  active: boolean;
  /** PES header bytes gathered when it spans packets */
  hdr: Buffer | null;
  /** payload bytes left of a bounded PES; -1 unbounded */
  remaining: number;
}

interface SectionBuf {
  parts: Buffer[];
  have: number;
}

export class TsDemuxer {
  readonly stats: TsDemuxStats = {
    bytes: 0,
    packets: 0,
    pes: 0,
    videoFrames: 0,
    audioFrames: 0,
    dropped: 0,
    resyncs: 0,
    discontinuities: 0,
    errors: 0,
  };
  private readonly part = Buffer.alloc(TS_PACKET);
  private partLen = 0;
  private synced = true;
  private readonly pmtPids = new Set<number>();
  private readonly sections = new Map<number, SectionBuf>();
  private readonly streams = new Map<number, PesStream>();
  private readonly timeline = new Timeline();
  /** codecs the last PMT declared (a repeated PMT does not undo a correction made from the parameter sets) */
  private pmtVideo: VideoCodec | undefined;
  private pmtAudio: AudioCodec | undefined;
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

  /** Feeds TS bytes (any split; one RTP payload usually holds 7 packets). */
  push(buf: Buffer): void {
    this.stats.bytes += buf.length;
    let pos = 0;
    if (this.partLen > 0) {
      const n = Math.min(TS_PACKET - this.partLen, buf.length);
      buf.copy(this.part, this.partLen, 0, n);
      this.partLen += n;
      pos = n;
      if (this.partLen < TS_PACKET) return;
      this.partLen = 0;
      if (this.part[0] === SYNC) this.packet(Buffer.from(this.part));
      else pos = 0; // lost: search from the start of buf
    }
    while (pos < buf.length) {
      if (buf[pos] !== SYNC || (pos + TS_PACKET < buf.length && buf[pos + TS_PACKET] !== SYNC)) {
        const next = this.resync(buf, pos);
        if (next < 0) return;
        pos = next;
        continue;
      }
      if (pos + TS_PACKET > buf.length) {
        this.partLen = buf.copy(this.part, 0, pos);
        return;
      }
      this.synced = true;
      this.packet(buf.subarray(pos, pos + TS_PACKET));
      pos += TS_PACKET;
    }
  }

  /** End of input: emits what is pending. */
  flush(): void {
    for (const s of this.streams.values()) if (s.active) this.endPes(s);
    this.video.end();
    this.audio.end();
  }

  /** Input was lost: drops the frames being assembled. */
  discard(): void {
    this.video.discard();
    this.audio.discard();
    this.partLen = 0;
    for (const s of this.streams.values()) {
      s.active = false;
      s.cc = -1;
    }
  }

  private error(code: DemuxErrorCode, detail: string): void {
    this.stats.errors++;
    this.opts.onError?.(code, detail);
  }

  /** Next position of a sync byte followed by another one packet later (or at the end); -1 when none. */
  private resync(buf: Buffer, from: number): number {
    if (this.synced) {
      this.synced = false;
      this.stats.resyncs++;
      // skipped bytes that held packets of our streams show up as continuity_counter gaps
      this.error('RESYNC', `TS sync byte lost at byte ${from} of a ${buf.length}-byte chunk`);
    }
    for (let i = buf.indexOf(SYNC, from + 1); i >= 0; i = buf.indexOf(SYNC, i + 1)) {
      if (i + TS_PACKET >= buf.length || buf[i + TS_PACKET] === SYNC) return i;
    }
    return -1;
  }

  private packet(p: Buffer): void {
    this.stats.packets++;
    const pid = ((p[1] & 0x1f) << 8) | p[2];
    const pusi = (p[1] & 0x40) !== 0;
    const afc = (p[3] >> 4) & 3;
    const stream = this.streams.get(pid);
    if (p[1] & 0x80) {
      // transport_error_indicator
      if (stream) this.lost(stream, 'transport_error_indicator set');
      return;
    }
    if ((p[3] & 0xc0) !== 0 || !(afc & 1)) return; // scrambled, or no payload
    let off = 4;
    if (afc & 2) off += 1 + p[4];
    if (off >= TS_PACKET) return;
    const payload = p.subarray(off);
    if (pid === 0 || this.pmtPids.has(pid)) return this.section(pid, payload, pusi);
    if (!stream) return;
    const cc = p[3] & 0x0f;
    const discontinuity = (afc & 2) !== 0 && p[4] > 0 && (p[5] & 0x80) !== 0;
    if (stream.cc >= 0 && !discontinuity && cc !== ((stream.cc + 1) & 0x0f)) {
      if (cc === stream.cc) return; // duplicate packet (§2.4.3.3)
      this.lost(stream, `continuity_counter ${stream.cc} → ${cc} on PID ${pid}`);
    }
    stream.cc = cc;
    this.pes(stream, payload, pusi);
  }

  private lost(s: PesStream, detail: string): void {
    this.stats.discontinuities++;
    this.error('DISCONTINUITY', detail);
    if (s.kind === 'video') this.video.markCorrupt();
    else this.audio.markCorrupt();
  }

  private pes(s: PesStream, payload: Buffer, pusi: boolean): void {
    if (pusi) {
      if (s.active) this.endPes(s);
      s.active = true;
      s.hdr = null;
      this.stats.pes++;
    } else if (!s.active) return; // joined in the middle of a PES
    if (s.remaining === -2 || s.hdr !== null || pusi) {
      // gathering the PES header
      const h = s.hdr ? Buffer.concat([s.hdr, payload]) : payload;
      if (h.length >= 4 && (h[0] !== 0 || h[1] !== 0 || h[2] !== 1)) return this.badPes(s, 'PES does not start with 00 00 01');
      const size = h.length < 4 ? 0 : pesHeaderSize(h, h.length);
      if (size < 0) return this.badPes(s, 'malformed PES header');
      if (size === 0 || size > h.length) {
        if (h.length > MAX_PES_HEADER) return this.badPes(s, 'PES header too long');
        s.hdr = Buffer.from(h);
        s.remaining = -2;
        return;
      }
      s.hdr = null;
      const len = h.readUInt16BE(4);
      s.remaining = len === 0 ? -1 : len + 6 - size;
      const t = pesTimestamps(h, size);
      let pts: number | undefined;
      let dts: number | undefined;
      if (t.pts !== undefined) {
        const m = this.timeline.map(t.pts, t.dts);
        if (m.jump) this.error('TIME_JUMP', `timestamps jumped at PTS ${t.pts}; rebased`);
        pts = m.pts;
        dts = m.dts;
      }
      if (s.kind === 'video') this.video.pesStart(pts, dts);
      else this.audio.pesStart(pts, dts);
      payload = h.subarray(size);
    }
    if (s.remaining >= 0 && payload.length > s.remaining) payload = payload.subarray(0, s.remaining);
    if (s.kind === 'video') this.video.append(payload);
    else this.audio.append(payload);
    if (s.remaining >= 0) {
      s.remaining -= payload.length;
      if (s.remaining === 0) this.endPes(s);
    }
  }

  private badPes(s: PesStream, detail: string): void {
    this.error('BAD_HEADER', detail);
    s.active = false;
    s.hdr = null;
    s.remaining = -1;
  }

  private endPes(s: PesStream): void {
    s.active = false;
    if (s.kind === 'audio') this.audio.end();
  }

  /** Gathers PSI sections (pointer_field on payload_unit_start, §2.4.4.2) and acts on complete ones. */
  private section(pid: number, payload: Buffer, pusi: boolean): void {
    let sb = this.sections.get(pid);
    let rest = payload;
    if (pusi) {
      const ptr = payload[0];
      if (sb) this.addSection(pid, sb, payload.subarray(1, 1 + ptr));
      rest = payload.subarray(1 + ptr);
      sb = { parts: [], have: 0 };
      this.sections.set(pid, sb);
    } else if (!sb) return;
    this.addSection(pid, sb, rest);
  }

  private addSection(pid: number, sb: SectionBuf, bytes: Buffer): void {
    if (bytes.length === 0) return;
    sb.parts.push(bytes);
    sb.have += bytes.length;
    for (;;) {
      if (sb.have < 3) return;
      const all = sb.parts.length === 1 ? sb.parts[0] : Buffer.concat(sb.parts, sb.have);
      if (all[0] === 0xff) {
        // stuffing: no more sections in this payload
        sb.parts = [];
        sb.have = 0;
        return;
      }
      const size = sectionSize(all);
      if (sb.have < size) {
        sb.parts = [all];
        return;
      }
      this.onSection(pid, all.subarray(0, size));
      const left = all.subarray(size);
      sb.parts = left.length ? [left] : [];
      sb.have = left.length;
    }
  }

  private onSection(pid: number, sec: Buffer): void {
    if (!sectionCrcOk(sec)) {
      this.error('BAD_HEADER', `PSI section on PID ${pid} fails its CRC`);
      return;
    }
    if (pid === 0 && sec[0] === 0x00) {
      for (const p of parsePat(sec)) this.pmtPids.add(p);
    } else if (sec[0] === 0x02) this.onPmt(sec);
  }

  private onPmt(sec: Buffer): void {
    let video = false;
    let audio = false;
    for (const s of parsePmt(sec)) {
      const vc = videoCodecOf(s.streamType);
      const ac = audioCodecOf(s.streamType);
      if (vc && !video) {
        video = true;
        if (this.pmtVideo !== vc) this.video.declare(vc);
        this.pmtVideo = vc;
        this.track(s.pid, 'video');
      } else if (ac && !audio) {
        audio = true;
        if (this.pmtAudio !== ac) this.audio.declare(ac);
        this.pmtAudio = ac;
        this.track(s.pid, 'audio');
      }
    }
  }

  private track(pid: number, kind: 'video' | 'audio'): void {
    const cur = this.streams.get(pid);
    if (cur?.kind === kind) return;
    for (const [p, s] of this.streams) if (s.kind === kind) this.streams.delete(p);
    this.streams.set(pid, { kind, cc: -1, active: false, hdr: null, remaining: -1 });
  }
}

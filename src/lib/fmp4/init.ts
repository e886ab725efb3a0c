/**
 * The fragmented-MP4 initialization segment (ISO/IEC 14496-12 §8.8, RFC 8216 §3.3 / EXT-X-MAP): ftyp + moov with
 * one trak per carried track and empty sample tables, and mvex/trex announcing movie fragments.
 */
import type { AudioParams, TrackParams, VideoParams } from '../av/frame.js';
import { box, fields, fullBox, UNITY_MATRIX } from './box.js';
import { audioSpecificConfig } from '../aac/index.js';
import { avcDecoderConfigurationRecord } from '../h264/index.js';
import { hevcDecoderConfigurationRecord } from '../h265/index.js';
import { carriedAudio, carriedVideo, Fmp4Error, fmp4Tracks, type Fmp4Track } from './tracks.js';

export interface InitOptions {
  /** ftyp major brand (default 'iso6') */
  majorBrand?: string;
  /** ftyp compatible brands (default iso6, iso5, mp42, mp41) */
  compatibleBrands?: string[];
  /** add a pasp box with this pixel aspect ratio [hSpacing, vSpacing] (§12.1.4) */
  pixelAspect?: [number, number];
}

/** ftyp (§4.3): major brand, minor version, compatible brands. */
export function ftyp(major = 'iso6', compatible = ['iso6', 'iso5', 'mp42', 'mp41'], minor = 0): Buffer {
  return box('ftyp', fields(major, [32, minor], ...compatible));
}

/** styp (§8.16.2) for CMAF-style segments: msdh/msix brands (14496-12 §10). */
export function styp(major = 'msdh', compatible = ['msdh', 'msix']): Buffer {
  return box('styp', fields(major, [32, 0], ...compatible));
}

export function initSegment(params: TrackParams, opts: InitOptions = {}): Buffer {
  const tracks = fmp4Tracks(params);
  if (tracks.length === 0) throw new Fmp4Error('no track that fMP4 can carry (H.264/H.265 video, AAC audio)');
  const traks = tracks.map((t) => trak(t, params, opts));
  const trexes = tracks.map((t) =>
    // trex (§8.8.3): track_ID, default sample description index 1, default duration/size/flags 0 (trun carries them)
    fullBox('trex', 0, 0, fields([32, t.id], [32, 1], [32, 0], [32, 0], [32, 0])),
  );
  return Buffer.concat([ftyp(opts.majorBrand, opts.compatibleBrands), box('moov', mvhd(tracks.length + 1), ...traks, box('mvex', ...trexes))]);
}

/** mvhd v0 (§8.2.2): times 0, timescale 1000, duration 0 (fragmented), rate 1.0, volume 1.0, unity matrix. */
function mvhd(nextTrackId: number): Buffer {
  return fullBox('mvhd', 0, 0, fields([32, 0], [32, 0], [32, 1000], [32, 0], [32, 0x00010000], [16, 0x0100], Buffer.alloc(10), UNITY_MATRIX, Buffer.alloc(24), [32, nextTrackId]));
}

function trak(t: Fmp4Track, params: TrackParams, opts: InitOptions): Buffer {
  const video = t.kind === 'video' ? carriedVideo(params)! : undefined;
  const audio = t.kind === 'audio' ? carriedAudio(params)! : undefined;
  // tkhd v0 (§8.3.2), flags 3 = track_enabled | track_in_movie; width/height 16.16 for video, volume 1.0 for audio
  const tkhd = fullBox(
    'tkhd',
    0,
    3,
    fields([32, 0], [32, 0], [32, t.id], [32, 0], [32, 0], Buffer.alloc(8), [16, 0], [16, 0], [16, audio ? 0x0100 : 0], [16, 0], UNITY_MATRIX, [32, (video?.width ?? 0) * 65536], [32, (video?.height ?? 0) * 65536]),
  );
  // mdhd v0 (§8.4.2): timescale, duration 0, language 'und' (ISO-639-2/T packed 5-bit letters)
  const und = (('u'.charCodeAt(0) - 0x60) << 10) | (('n'.charCodeAt(0) - 0x60) << 5) | ('d'.charCodeAt(0) - 0x60);
  const mdhd = fullBox('mdhd', 0, 0, fields([32, 0], [32, 0], [32, t.timescale], [32, 0], [16, und], [16, 0]));
  const name = video ? 'VideoHandler' : 'SoundHandler';
  // hdlr (§8.4.3): pre_defined, handler_type, reserved[3], name (null-terminated UTF-8)
  const hdlr = fullBox('hdlr', 0, 0, fields([32, 0], video ? 'vide' : 'soun', Buffer.alloc(12), Buffer.from(name + '\0', 'utf8')));
  // vmhd (§12.1.2, flags 1) / smhd (§12.2.2)
  const mhd = video ? fullBox('vmhd', 0, 1, Buffer.alloc(8)) : fullBox('smhd', 0, 0, Buffer.alloc(4));
  // dinf/dref (§8.7.2) with one self-contained 'url ' entry (flags 1)
  const dinf = box('dinf', fullBox('dref', 0, 0, fields([32, 1]), fullBox('url ', 0, 1)));
  const entry = video ? visualSampleEntry(video, opts) : audioSampleEntry(audio!);
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, 0, fields([32, 1]), entry),
    fullBox('stts', 0, 0, fields([32, 0])),
    fullBox('stsc', 0, 0, fields([32, 0])),
    fullBox('stsz', 0, 0, fields([32, 0], [32, 0])),
    fullBox('stco', 0, 0, fields([32, 0])),
  );
  return box('trak', tkhd, box('mdia', mdhd, hdlr, box('minf', mhd, dinf, stbl)));
}

/** VisualSampleEntry (§12.1.3) 'avc1' + avcC (14496-15 §5.4.2) or 'hvc1' + hvcC (§8.4.1). */
function visualSampleEntry(v: VideoParams, opts: InitOptions): Buffer {
  let type: string;
  let config: Buffer;
  if (v.codec === 'h264') {
    if (!v.sps || !v.pps) throw new Fmp4Error('H.264 params need SPS and PPS');
    type = 'avc1';
    config = box('avcC', avcDecoderConfigurationRecord(v.sps, v.pps));
  } else {
    if (!v.vps || !v.sps || !v.pps) throw new Fmp4Error('H.265 params need VPS, SPS and PPS');
    type = 'hvc1';
    config = box('hvcC', hevcDecoderConfigurationRecord(v.vps, v.sps, v.pps));
  }
  const extra: Buffer[] = [config];
  if (opts.pixelAspect) extra.push(box('pasp', fields([32, opts.pixelAspect[0]], [32, opts.pixelAspect[1]])));
  return box(
    type,
    fields(
      Buffer.alloc(6), // reserved
      [16, 1], // data_reference_index
      Buffer.alloc(16), // pre_defined, reserved, pre_defined[3]
      [16, v.width],
      [16, v.height],
      [32, 0x00480000], // horizresolution 72 dpi
      [32, 0x00480000], // vertresolution
      [32, 0],
      [16, 1], // frame_count
      Buffer.alloc(32), // compressorname
      [16, 0x0018], // depth
      [16, 0xffff], // pre_defined = -1
    ),
    ...extra,
  );
}

/** AudioSampleEntry (§12.2.3) 'mp4a' + esds (ISO/IEC 14496-14 §5.6) with the AudioSpecificConfig. */
function audioSampleEntry(a: AudioParams): Buffer {
  const asc = a.config ?? audioSpecificConfig(2, a.sampleRate, a.channels); // AAC-LC when the producer gave none
  return box(
    'mp4a',
    fields(Buffer.alloc(6), [16, 1], Buffer.alloc(8), [16, a.channels], [16, 16], [16, 0], [16, 0], [32, a.sampleRate <= 0xffff ? a.sampleRate * 65536 : 0]),
    esds(asc),
  );
}

/** ISO/IEC 14496-1 §7.2.2.1 descriptor: tag + expandable size (7 bits per byte, MSB = more) + body. */
function descriptor(tag: number, ...parts: Buffer[]): Buffer {
  let len = 0;
  for (const p of parts) len += p.length;
  const sizeBytes: number[] = [len & 0x7f];
  for (let n = len >> 7; n > 0; n >>= 7) sizeBytes.unshift(0x80 | (n & 0x7f));
  return Buffer.concat([Buffer.from([tag, ...sizeBytes]), ...parts]);
}

function esds(asc: Buffer): Buffer {
  // ES_Descriptor (tag 3): ES_ID 0, flags 0; DecoderConfigDescriptor (tag 4): objectTypeIndication 0x40 (Audio
  // ISO/IEC 14496-3), streamType 5 (audio) << 2 | upStream 0 | reserved 1, bufferSizeDB 0, max/avg bitrate 0;
  // DecoderSpecificInfo (tag 5) = AudioSpecificConfig; SLConfigDescriptor (tag 6) predefined 2 (MP4 files).
  const dcd = descriptor(4, fields([8, 0x40], [8, (5 << 2) | 1], [24, 0], [32, 0], [32, 0]), descriptor(5, asc));
  return fullBox('esds', 0, 0, descriptor(3, fields([16, 0], [8, 0]), dcd, descriptor(6, Buffer.from([2]))));
}

/**
 * Sample entries (ISO/IEC 14496-12 §8.5.2, §12.1.3 VisualSampleEntry, §12.2.3 AudioSampleEntry): what codec a track
 * carries and its decoder configuration: avcC (14496-15 §5.3.3.1), hvcC (14496-15 §8.3.3.1), esds (14496-14 §5.6,
 * descriptors of 14496-1 §7.2.6).
 */
import { parseAudioSpecificConfig } from '../aac/index.js';
import { parseAvcDecoderConfigurationRecord, type AvcConfig } from '../h264/index.js';
import { parseHevcDecoderConfigurationRecord, type HevcConfig } from '../h265/index.js';
import { iterateBoxes, Mp4Error, type Box } from './box.js';

export type Mp4Codec = 'h264' | 'h265' | 'aac' | 'unknown';

export interface SampleEntryInfo {
  /** the entry's 4CC: avc1, avc3, hvc1, hev1, mp4a, … */
  format: string;
  codec: Mp4Codec;
  /** VisualSampleEntry width/height (0 for audio) */
  width: number;
  height: number;
  avc?: AvcConfig;
  hevc?: HevcConfig;
  /** AAC: AudioSpecificConfig from esds, and the rate/channels it gives (else the entry's own fields) */
  audio?: { sampleRate: number; channels: number; config?: Buffer };
}

/** VisualSampleEntry: 8 bytes SampleEntry + 70 bytes of fields before its child boxes (§12.1.3.2). */
const VISUAL_FIELDS = 78;
/** AudioSampleEntry v0: 8 + 20 bytes (§12.2.3.2); QuickTime sound description v1 adds 16, v2 adds 36. */
const AUDIO_FIELDS = 28;

export function parseSampleEntry(entry: Box): SampleEntryInfo {
  const format = entry.type;
  const b = entry.body;
  if (format === 'avc1' || format === 'avc3' || format === 'hvc1' || format === 'hev1') {
    if (b.length < VISUAL_FIELDS) throw new Mp4Error(`'${format}' sample entry too short`);
    const info: SampleEntryInfo = { format, codec: format.startsWith('avc') ? 'h264' : 'h265', width: b.readUInt16BE(24), height: b.readUInt16BE(26) };
    for (const c of iterateBoxes(b, VISUAL_FIELDS, b.length, entry.start + entry.headerSize)) {
      if (c.type === 'avcC' && info.codec === 'h264') info.avc = parseAvcDecoderConfigurationRecord(c.body);
      if (c.type === 'hvcC' && info.codec === 'h265') info.hevc = parseHevcDecoderConfigurationRecord(c.body);
    }
    if (!info.avc && !info.hevc) throw new Mp4Error(`'${format}' sample entry without its decoder configuration`);
    return info;
  }
  if (format === 'mp4a') {
    if (b.length < AUDIO_FIELDS) throw new Mp4Error(`'mp4a' sample entry too short`);
    const version = b.readUInt16BE(8);
    const skip = AUDIO_FIELDS + (version === 1 ? 16 : version === 2 ? 36 : 0);
    let channels = b.readUInt16BE(16);
    let sampleRate = b.readUInt32BE(24) >>> 16;
    let config: Buffer | undefined;
    let aac = false;
    for (const c of iterateBoxes(b, Math.min(skip, b.length), b.length, entry.start + entry.headerSize)) {
      if (c.type !== 'esds') continue;
      const es = parseEsds(c.body.subarray(4));
      aac = es.objectType === 0x40 || es.objectType === 0x66 || es.objectType === 0x67 || es.objectType === 0x68;
      config = es.decoderSpecificInfo;
    }
    if (aac && config) {
      try {
        const asc = parseAudioSpecificConfig(config);
        sampleRate = asc.sampleRate;
        if (asc.channels > 0) channels = asc.channels;
      } catch {
        // keep the entry's own fields
      }
    }
    return { format, codec: aac ? 'aac' : 'unknown', width: 0, height: 0, audio: { sampleRate, channels, config } };
  }
  return { format, codec: 'unknown', width: b.length >= VISUAL_FIELDS ? b.readUInt16BE(24) : 0, height: b.length >= VISUAL_FIELDS ? b.readUInt16BE(26) : 0 };
}

/** 14496-1 §8.3.3 expandable size: 7 bits per byte while the top bit is set (at most 4 bytes). */
function descriptorAt(b: Buffer, at: number): { tag: number; body: Buffer; end: number } | undefined {
  if (at + 2 > b.length) return undefined;
  const tag = b[at];
  let o = at + 1;
  let len = 0;
  for (let k = 0; k < 4; k++) {
    if (o >= b.length) return undefined;
    const v = b[o++];
    len = (len << 7) | (v & 0x7f);
    if (!(v & 0x80)) break;
  }
  const end = Math.min(b.length, o + len);
  return { tag, body: b.subarray(o, end), end };
}

/** ES_Descriptor (tag 3) → DecoderConfigDescriptor (tag 4) → DecoderSpecificInfo (tag 5). */
function parseEsds(b: Buffer): { objectType?: number; decoderSpecificInfo?: Buffer } {
  const es = descriptorAt(b, 0);
  if (!es || es.tag !== 3 || es.body.length < 3) return {};
  const flags = es.body[2];
  let o = 3;
  if (flags & 0x80) o += 2; // dependsOn_ES_ID
  if (flags & 0x40) o += 1 + (es.body[o] ?? 0); // URL
  if (flags & 0x20) o += 2; // OCR_ES_Id
  for (let d = descriptorAt(es.body, o); d; d = descriptorAt(es.body, d.end)) {
    if (d.tag !== 4 || d.body.length < 13) continue;
    const out: { objectType?: number; decoderSpecificInfo?: Buffer } = { objectType: d.body[0] };
    for (let s = descriptorAt(d.body, 13); s; s = descriptorAt(d.body, s.end)) if (s.tag === 5) out.decoderSpecificInfo = s.body;
    return out;
  }
  return {};
}

/** AudioSpecificConfig, ISO/IEC 14496-3 §1.6.2.1 (FLV AAC sequence header, MP4 `esds`, RTSP `config=`). */

/** samplingFrequencyIndex → Hz, ISO/IEC 14496-3 §1.6.3.4 Table 1.18 */
export const AAC_SAMPLE_RATES: readonly number[] = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/** Table 1.18 index of a sample rate, -1 when it has none (then the explicit 24-bit form is used). */
export function sampleRateIndex(rate: number): number {
  return AAC_SAMPLE_RATES.indexOf(rate);
}

/** AAC object types of §1.5.1.1 Table 1.1 that matter here. */
export const AacObjectType = { MAIN: 1, LC: 2, SSR: 3, LTP: 4, SBR: 5 } as const;

export interface AacConfig {
  /** audioObjectType, 2 = AAC LC */
  readonly objectType: number;
  readonly sampleRate: number;
  /** channelConfiguration (1..7; 0 = defined in a program_config_element) */
  readonly channels: number;
}

/**
 * The AudioSpecificConfig of a plain AAC stream (GASpecificConfig with frameLengthFlag 0, no core coder,
 * no extension): 2 bytes, or 5 when the rate has no table index.
 */
export function audioSpecificConfig(objectType: number, sampleRate: number, channels: number): Buffer {
  if (objectType < 1 || objectType > 30) throw new RangeError(`audioObjectType ${objectType} not supported`);
  if (channels < 0 || channels > 15) throw new RangeError(`channelConfiguration ${channels} out of range`);
  const idx = sampleRateIndex(sampleRate);
  if (idx >= 0) return Buffer.from([(objectType << 3) | (idx >> 1), ((idx & 1) << 7) | (channels << 3)]);
  // samplingFrequencyIndex 0xf, then samplingFrequency (24 bits)
  const bits = [objectType, 5, 0xf, 4, sampleRate, 24, channels, 4, 0, 3] as const;
  return packBits(bits, 5);
}

function packBits(fields: readonly number[], bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  let pos = 0;
  for (let f = 0; f < fields.length; f += 2) {
    const v = fields[f];
    const n = fields[f + 1];
    for (let k = n - 1; k >= 0; k--, pos++) if (Math.floor(v / 2 ** k) & 1) out[pos >> 3] |= 0x80 >> (pos & 7);
  }
  return out;
}

/** Reads objectType / rate / channels from an AudioSpecificConfig (escape object types and explicit rates handled). */
export function parseAudioSpecificConfig(asc: Buffer): AacConfig {
  let pos = 0;
  const u = (n: number): number => {
    let v = 0;
    for (let k = 0; k < n; k++, pos++) {
      if (pos >> 3 >= asc.length) throw new RangeError('AudioSpecificConfig truncated');
      v = v * 2 + ((asc[pos >> 3] >> (7 - (pos & 7))) & 1);
    }
    return v;
  };
  let objectType = u(5);
  if (objectType === 31) objectType = 32 + u(6);
  const idx = u(4);
  const sampleRate = idx === 0xf ? u(24) : AAC_SAMPLE_RATES[idx];
  if (!sampleRate) throw new RangeError(`bad samplingFrequencyIndex ${idx}`);
  const channels = u(4);
  return { objectType, sampleRate, channels };
}

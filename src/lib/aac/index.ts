// AAC framing: ADTS (ISO/IEC 13818-7 §6.2, 14496-3 §1.A.2) and AudioSpecificConfig (14496-3 §1.6.2.1).
export { adtsHeader, parseAdtsHeader, splitAdts, type AdtsFrames, type AdtsHeader } from './adts.js';
export {
  AAC_SAMPLE_RATES,
  AacObjectType,
  audioSpecificConfig,
  parseAudioSpecificConfig,
  sampleRateIndex,
  type AacConfig,
} from './config.js';

import type { VideoParams } from '../../lib/av/frame.js';
import { H264Nal, h264NalType, h264Params, h264StartsAccessUnit, isH264Vcl } from '../../lib/h264/index.js';
import { H265Nal, h265NalType, h265Params, h265StartsAccessUnit, isH265Vcl } from '../../lib/h265/index.js';

export type SimCodec = 'h264' | 'h265';

/** What the simulator needs to know of a codec's NAL units (the parsing itself lives in src/lib/h264, src/lib/h265). */
export interface CodecOps {
  nalType(u: Buffer): number;
  isVcl(u: Buffer): boolean;
  isAud(u: Buffer): boolean;
  /** begins a new access unit when the current one already has a picture */
  startsAu(u: Buffer): boolean;
  /** IDR (H.264) / IRAP (H.265) slice */
  isKey(u: Buffer): boolean;
  /** parameter set NAL types a keyframe must carry, in order */
  paramTypes: readonly number[];
  seiType: number;
  params(units: readonly Buffer[]): VideoParams | undefined;
  /** GB/T 28181 SDP f= video coding: 2 H.264, 5 H.265 (GB/T 28181-2022 §附录G) */
  fCode: number;
}

export const CODECS: Record<SimCodec, CodecOps> = {
  h264: {
    nalType: h264NalType,
    isVcl: isH264Vcl,
    isAud: (u) => h264NalType(u) === H264Nal.AUD,
    startsAu: (u) => h264StartsAccessUnit(u, 0),
    isKey: (u) => h264NalType(u) === H264Nal.IDR,
    paramTypes: [H264Nal.SPS, H264Nal.PPS],
    seiType: H264Nal.SEI,
    params: h264Params,
    fCode: 2,
  },
  h265: {
    nalType: h265NalType,
    isVcl: isH265Vcl,
    isAud: (u) => h265NalType(u) === H265Nal.AUD,
    startsAu: (u) => h265StartsAccessUnit(u, 0),
    isKey: (u) => {
      const t = h265NalType(u);
      return t >= 16 && t <= 23;
    },
    paramTypes: [H265Nal.VPS, H265Nal.SPS, H265Nal.PPS],
    seiType: H265Nal.SEI_PREFIX,
    params: h265Params,
    fCode: 5,
  },
};

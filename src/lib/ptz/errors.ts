/** Why a PTZCmd could not be encoded or decoded. */
export type PtzErrorCode = 'MALFORMED' | 'CHECKSUM' | 'UNKNOWN_INSTRUCTION' | 'INVALID_COMBINATION' | 'RANGE';

/** Typed error of the PTZCmd codec (GB/T 28181-2016 §A.3). */
export class PtzError extends Error {
  override readonly name = 'PtzError';
  constructor(
    readonly code: PtzErrorCode,
    message: string,
  ) {
    super(message);
  }
}

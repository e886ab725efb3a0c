/**
 * Why a MANSCDP body was refused:
 * TOO_LARGE over the size cap · EMPTY nothing but whitespace · XML_INVALID not well-formed even after the lenient
 * repairs (or forbidden DOCTYPE) · NO_ROOT root is not Query/Response/Notify/Control · NO_CMDTYPE · BAD_SN missing or
 * non-numeric SN · WRONG_CMDTYPE a typed parser got another command · BAD_INPUT a builder got unusable arguments.
 */
export type ManscdpErrorCode =
  | 'TOO_LARGE'
  | 'EMPTY'
  | 'XML_INVALID'
  | 'NO_ROOT'
  | 'NO_CMDTYPE'
  | 'BAD_SN'
  | 'WRONG_CMDTYPE'
  | 'BAD_INPUT';

/** Typed error of the MANSCDP codec (GB/T 28181-2016 Appendix A). */
export class ManscdpError extends Error {
  override readonly name = 'ManscdpError';
  constructor(
    readonly code: ManscdpErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

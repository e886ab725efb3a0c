/** A message that cannot be understood; `status` is the SIP answer a server gives to it (RFC 3261 §21.4). */
export class SipParseError extends Error {
  constructor(
    message: string,
    readonly code: 'START_LINE' | 'HEADER' | 'CONTENT_LENGTH' | 'TOO_LARGE' | 'MISSING_HEADER' | 'URI',
    readonly status = 400,
  ) {
    super(message);
    this.name = 'SipParseError';
  }
}

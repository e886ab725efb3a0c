/** A byte stream or header that cannot be RTSP; `status` is the answer a server gives (RFC 2326 §7.1.1). */
export class RtspParseError extends Error {
  constructor(
    message: string,
    readonly code: 'START_LINE' | 'HEADER' | 'CONTENT_LENGTH' | 'TOO_LARGE' | 'GARBAGE' | 'TRANSPORT' | 'RANGE',
    readonly status = 400,
  ) {
    super(message);
    this.name = 'RtspParseError';
  }
}

/** A peer broke the RTMP protocol (Adobe RTMP spec 1.0): the connection cannot continue. */
export class RtmpProtocolError extends Error {
  override readonly name = 'RtmpProtocolError';
}

/** Text that is not a session description at all (no v=/m= line), or a builder given impossible values. */
export class SdpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SdpError';
  }
}

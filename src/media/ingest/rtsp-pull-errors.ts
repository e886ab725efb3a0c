/** Why an RTSP pull is not playing, as shown on the channel (R9). */
export type PullErrorCode = 'AUTH_FAILED' | 'UNREACHABLE' | 'TIMEOUT' | 'NOT_FOUND' | 'UNSUPPORTED_CODEC' | 'PROTOCOL';

/** A failed pull session: the code is what the channel shows, the message says what exactly happened. */
export class PullError extends Error {
  constructor(
    readonly code: PullErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PullError';
  }
}

/** A socket error of the control connection, as the channel should show it. */
export function socketError(e: unknown, what: string): PullError {
  if (e instanceof PullError) return e;
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ECONNREFUSED':
      return new PullError('UNREACHABLE', `${what}: connection refused`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
    case 'EADDRNOTAVAIL':
      return new PullError('UNREACHABLE', `${what}: host unreachable (${err.code})`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return new PullError('UNREACHABLE', `${what}: host name not resolved (${err.code})`);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return new PullError('UNREACHABLE', `${what}: connection reset by the server`);
    case 'ETIMEDOUT':
      return new PullError('TIMEOUT', `${what}: timed out`);
    default:
      return new PullError('PROTOCOL', `${what}: ${err?.message ?? String(e)}`);
  }
}

/** An RTSP status (RFC 2326 §7.1.1) that ends the attempt. */
export function statusError(method: string, status: number, reason: string): PullError {
  const what = `${method} answered ${status} ${reason}`.trim();
  if (status === 401 || status === 403) return new PullError('AUTH_FAILED', what);
  if (status === 404) return new PullError('NOT_FOUND', what);
  if (status === 415) return new PullError('UNSUPPORTED_CODEC', what);
  return new PullError('PROTOCOL', what);
}

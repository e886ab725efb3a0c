/**
 * Why an ONVIF exchange failed:
 * AUTH_FAILED the device refused the credentials (ter:NotAuthorized, wsse:FailedAuthentication, HTTP 401/403) ·
 * UNREACHABLE no TCP connection (refused, no route, DNS) · TIMEOUT no complete answer in time ·
 * SOAP_FAULT any other SOAP fault (detail = the fault reason) · BAD_RESPONSE not a SOAP envelope, or the
 * expected element is missing · NOT_SUPPORTED the device lacks the service or operation (ter:ActionNotSupported,
 * no PTZ service, focus/iris asked of PTZ) · INVALID_ARGUMENT a caller passed something unusable (empty token,
 * bad URL, unknown PTZ action).
 */
export type OnvifErrorCode = 'AUTH_FAILED' | 'UNREACHABLE' | 'TIMEOUT' | 'SOAP_FAULT' | 'BAD_RESPONSE' | 'NOT_SUPPORTED' | 'INVALID_ARGUMENT';

/** Typed error of the ONVIF client and codecs. */
export class OnvifError extends Error {
  override readonly name = 'OnvifError';
  readonly code: OnvifErrorCode;
  /** Fault reason, HTTP status line or lower-level cause, for logs and operators. */
  readonly detail?: string;
  /** HTTP status of the answer, when there was one. */
  readonly status?: number;
  /** SOAP fault subcode chain as local names (e.g. ['NotAuthorized']), when the device sent a fault. */
  readonly subcodes?: string[];
  constructor(code: OnvifErrorCode, message: string, extra: { detail?: string; status?: number; subcodes?: string[]; cause?: unknown } = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.code = code;
    if (extra.detail !== undefined) this.detail = extra.detail;
    if (extra.status !== undefined) this.status = extra.status;
    if (extra.subcodes !== undefined) this.subcodes = extra.subcodes;
  }
}

export function isOnvifError(e: unknown, code?: OnvifErrorCode): e is OnvifError {
  return e instanceof OnvifError && (code === undefined || e.code === code);
}

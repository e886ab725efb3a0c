import { AppError } from '../core/errors.js';
import { OnvifError } from '../lib/onvif/index.js';

/**
 * An `OnvifError` as the platform's `AppError`. Authentication failures deliberately do not become AUTH_* codes:
 * those are 401s about the platform's own user, and the console logs out on a 401.
 */
export function toAppError(e: OnvifError): AppError;
export function toAppError(e: unknown): unknown;
export function toAppError(e: unknown): unknown {
  if (!(e instanceof OnvifError)) return e;
  const details = { onvif: e.code, ...(e.detail !== undefined ? { detail: e.detail } : {}), ...(e.status !== undefined ? { httpStatus: e.status } : {}) };
  switch (e.code) {
    case 'AUTH_FAILED':
      return new AppError('ONVIF_AUTH_FAILED', `ONVIF device refused the username or password (用户名或密码错误): ${e.message}`, details);
    case 'UNREACHABLE':
      return new AppError('ONVIF_UNREACHABLE', `${e.message} (设备不可达)`, details);
    case 'TIMEOUT':
      return new AppError('DEVICE_TIMEOUT', e.message, details);
    case 'NOT_SUPPORTED':
      return new AppError('UNSUPPORTED_BY_DEVICE', e.message, details);
    case 'INVALID_ARGUMENT':
      return new AppError('VALIDATION_FAILED', e.message, details);
    case 'SOAP_FAULT':
    case 'BAD_RESPONSE':
      return new AppError('DEVICE_REJECTED', e.message, details);
  }
  return new AppError('INTERNAL', e.message, details);
}

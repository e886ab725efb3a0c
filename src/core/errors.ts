/**
 * The one catalogue of error codes. Every failure that leaves the process (HTTP answer, SIP answer, log line)
 * carries one of these codes; the HTTP status is decided here, once.
 */
export const ErrorCatalogue = {
  // request shape
  VALIDATION_FAILED: { status: 400, message: 'Request validation failed' },
  INVALID_JSON: { status: 400, message: 'Request body is not valid JSON' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body is too large' },
  INVALID_GB_ID: { status: 400, message: 'Invalid GB/T 28181 ID' },
  INVALID_FILE: { status: 400, message: 'Uploaded file could not be read' },
  IMPORT_INVALID: { status: 400, message: 'Import rejected: some rows are invalid; nothing was stored' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  ROUTE_NOT_FOUND: { status: 404, message: 'No such endpoint' },
  CONFLICT: { status: 409, message: 'Already exists' },
  ORG_NOT_EMPTY: { status: 409, message: 'Organisation still has children, devices or channels' },
  BUILTIN_READONLY: { status: 409, message: 'Built-in item cannot be changed this way' },
  // authentication and authorisation
  AUTH_REQUIRED: { status: 401, message: 'Authentication required' },
  AUTH_INVALID_CREDENTIALS: { status: 401, message: 'Wrong username or password' },
  AUTH_TOKEN_INVALID: { status: 401, message: 'Token invalid, expired or revoked' },
  AUTH_ACCOUNT_LOCKED: { status: 423, message: 'Account locked after repeated failed logins' },
  AUTH_ACCOUNT_DISABLED: { status: 403, message: 'Account disabled' },
  PASSWORD_POLICY: { status: 400, message: 'Password does not meet the policy' },
  PASSWORD_WRONG: { status: 400, message: 'Current password is wrong' },
  FORBIDDEN: { status: 403, message: 'Permission denied' },
  CHANNEL_FORBIDDEN: { status: 403, message: 'No permission for this channel' },
  // devices (GB/T 28181)
  DEVICE_OFFLINE: { status: 409, message: 'Device is offline' },
  DEVICE_TIMEOUT: { status: 504, message: 'Device did not answer in time' },
  DEVICE_REJECTED: { status: 502, message: 'Device refused the request' },
  UNSUPPORTED_BY_DEVICE: { status: 409, message: 'The device does not support this' },
  // a camera refusing our credentials is a 502 about the camera, never a 401 (that would log the operator out)
  ONVIF_AUTH_FAILED: { status: 502, message: 'The ONVIF device refused the username or password' },
  ONVIF_UNREACHABLE: { status: 502, message: 'The ONVIF device cannot be reached' },
  // media (live view, outputs)
  MEDIA_TIMEOUT: { status: 504, message: 'No video arrived from the device in time' },
  MEDIA_NO_PORT: { status: 503, message: 'No free media receive port' },
  MEDIA_TOKEN_INVALID: { status: 401, message: 'Media URL token invalid, expired or revoked' },
  STREAM_NOT_FOUND: { status: 404, message: 'No such stream running' },
  CHANNEL_NO_SOURCE: { status: 409, message: 'The channel has no video source' },
  CHANNEL_NOT_PUBLISHING: { status: 409, message: 'Nothing is publishing to this RTMP channel' },
  MEDIA_BUSY: { status: 503, message: 'Media resources are busy' },
  SOURCE_FAILED: { status: 502, message: 'The video source could not be opened' },
  // recording (issue 7)
  NO_RECORDINGS: { status: 404, message: 'No recordings in the requested range' },
  RANGE_INVALID: { status: 400, message: 'Time range invalid' },
  RECORD_UNSUPPORTED_CODEC: { status: 409, message: 'The channel\'s codec cannot be recorded' },
  STORAGE_FULL: { status: 507, message: 'Recording storage is full' },
  PLAYBACK_NOT_FOUND: { status: 404, message: 'No such playback session' },
  // device recordings over GB/T 28181 (issue 8)
  DOWNLOAD_NOT_READY: { status: 409, message: 'The download has not finished' },
  DOWNLOAD_FAILED: { status: 502, message: 'The device download failed' },
  OBJECT_STORE_UNAVAILABLE: { status: 502, message: 'The S3 object store cannot be reached' },
  RECORD_DAMAGED: { status: 409, message: 'The recording file is damaged' },
  // electronic patrol and alarms (issue 10)
  PATROL_PLAN_OVERLAP: { status: 409, message: 'Another plan on the same wall has an overlapping time window' },
  PATROL_IN_USE: { status: 409, message: 'The patrol task is used by a plan' },
  ALARM_ALREADY_ACKED: { status: 409, message: 'The alarm has already been acknowledged' },
  // face/vehicle images (issue 12); the seed interfaces themselves answer EC000–EC006 in the seed's format
  IMAGE_MISSING: { status: 404, message: 'The image file is no longer on the storage' },
  SNAPSHOT_SESSION_UNKNOWN: { status: 404, message: 'No such snapshot upload session' },
  SNAPSHOT_SESSION_EXPIRED: { status: 410, message: 'The snapshot upload session has expired' },
  SNAPSHOT_SESSION_USED: { status: 409, message: 'The snapshot upload session has received all its pictures' },
  // security, backup (issue 14 §5–6, R11)
  RATE_LIMITED: { status: 429, message: 'Too many requests; try again later (Retry-After)' },
  SENSITIVE_REASON_REQUIRED: { status: 400, message: 'This channel is sensitive: a reason is required to view it' },
  SOD_VIOLATION: { status: 403, message: 'Separation of duties (三员分立): this change would mix system, security and audit duties' },
  SECRET_KEY_MISMATCH: { status: 500, message: 'The secret key cannot open the secrets stored in the database' },
  BACKUP_INVALID: { status: 400, message: 'The backup file is damaged or not a sharpeye backup' },
  BACKUP_TOO_NEW: { status: 409, message: 'The backup was made by a newer sharpeye version' },
  // operations: alert rules and fault tickets (issue 14 §4)
  ALERT_RULE_INVALID: { status: 400, message: 'Alert rule invalid' },
  TICKET_STATE: { status: 409, message: 'The fault ticket is not in a state that allows this' },
  METRICS_TOKEN_INVALID: { status: 401, message: 'Metrics token missing or wrong' },
  // cluster (issue 13)
  NODE_UNAVAILABLE: { status: 503, message: 'The media node holding this stream cannot be reached' },
  NO_MEDIA_NODE: { status: 503, message: 'No media node is online with room for the stream' },
  DATABASE_UNAVAILABLE: { status: 503, message: 'The database cannot be reached; try again shortly' },
  CLUSTER_UNAVAILABLE: { status: 503, message: 'The cluster services (NATS, Redis, PostgreSQL) cannot be reached' },
  // availability and video quality diagnosis (issue 14, R12/R15)
  QUALITY_CHECK_FAILED: { status: 502, message: 'The picture check could not read the channel\'s video' },
  // configuration
  CONFIG_INVALID: { status: 500, message: 'Configuration invalid' },
  // server side
  FEATURE_UNAVAILABLE: { status: 503, message: 'Feature unavailable on this installation' },
  INTERNAL: { status: 500, message: 'Internal error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ErrorCatalogue;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: unknown;
  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ?? ErrorCatalogue[code].message);
    this.name = 'AppError';
    this.code = code;
    this.status = ErrorCatalogue[code].status;
    this.details = details;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** Minimal typed fetch client for the sharpeye REST API (/api/v1). */

export const API_BASE = '/api/v1';
const TOKEN_KEY = 'sharpeye.token';

export interface ApiErrorDetail {
  row?: number;
  column?: string;
  message?: string;
  [k: string]: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export type QueryValue = string | number | boolean | null | undefined;
export type Query = Record<string, QueryValue>;

let token: string | null = readStoredToken();
let unauthorizedHandler: (() => void) | null = null;

function readStoredToken(): string | null {
  try {
    return globalThis.localStorage?.getItem(TOKEN_KEY) ?? null;
  } catch {
    return null;
  }
}

export function getToken(): string | null {
  return token;
}

export function setToken(value: string | null): void {
  token = value;
  try {
    if (value) localStorage.setItem(TOKEN_KEY, value);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage unavailable */
  }
}

let reasonHandler: ((message: string) => Promise<string | null>) | null = null;

/**
 * Sensitive channels (R11): a media request answered SENSITIVE_REASON_REQUIRED asks the user for a reason through
 * this handler and is sent again with it (X-Access-Reason); null = the user cancelled.
 */
export function onReasonRequired(handler: ((message: string) => Promise<string | null>) | null): void {
  reasonHandler = handler;
}

/** Called when an authenticated request answers 401 (token expired or revoked). */
export function onUnauthorized(handler: (() => void) | null): void {
  unauthorizedHandler = handler;
}

/** Builds `path?query`, dropping empty values. */
export function buildUrl(path: string, query?: Query): string {
  const params = new URLSearchParams();
  if (query) {
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue;
      params.append(k, String(v));
    }
  }
  const qs = params.toString();
  return `${API_BASE}${path}${qs ? `?${qs}` : ''}`;
}

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Skip the global 401 handler (login form shows the error itself). */
  noAuthRedirect?: boolean;
  /** why a sensitive channel is opened (sent as X-Access-Reason) */
  reason?: string;
}

async function toApiError(res: Response): Promise<ApiError> {
  let code = `HTTP_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  let details: unknown;
  try {
    const text = await res.text();
    if (text) {
      const data = JSON.parse(text) as { code?: unknown; message?: unknown; details?: unknown };
      if (typeof data.code === 'string') code = data.code;
      if (typeof data.message === 'string') message = data.message;
      details = data.details;
    }
  } catch {
    /* not JSON */
  }
  return new ApiError(res.status, code, message, details);
}

/** Low-level fetch with auth header and error mapping; returns the raw Response when ok. */
export async function rawRequest(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (opts.reason) headers['X-Access-Reason'] = encodeURIComponent(opts.reason);
  let body: BodyInit | undefined;
  if (opts.body instanceof FormData) {
    body = opts.body;
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(buildUrl(path, opts.query), { method, headers, body });
  } catch (e) {
    throw new ApiError(0, 'NETWORK_ERROR', e instanceof Error ? e.message : String(e));
  }
  if (!res.ok) {
    const err = await toApiError(res);
    if (res.status === 401 && !opts.noAuthRedirect && unauthorizedHandler) unauthorizedHandler();
    if (err.code === 'SENSITIVE_REASON_REQUIRED' && !opts.reason && reasonHandler) {
      const reason = await reasonHandler(err.message);
      if (reason) return rawRequest(method, path, { ...opts, reason });
    }
    throw err;
  }
  return res;
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await rawRequest(method, path, opts);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const http = {
  get: <T>(path: string, query?: Query) => request<T>('GET', path, { query }),
  post: <T>(path: string, body?: unknown, opts: Omit<RequestOptions, 'body'> = {}) =>
    request<T>('POST', path, { ...opts, body }),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body }),
  del: (path: string) => request<void>('DELETE', path),
  upload: <T>(path: string, file: File | Blob, filename?: string) => {
    const fd = new FormData();
    if (filename) fd.append('file', file, filename);
    else fd.append('file', file);
    return request<T>('POST', path, { body: fd });
  },
};

/** Extracts a file name from a Content-Disposition header. */
export function filenameFromDisposition(header: string | null, fallback: string): string {
  if (!header) return fallback;
  const star = /filename\*\s*=\s*(?:UTF-8'')?([^;]+)/i.exec(header);
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1].trim().replace(/^"|"$/g, ''));
    } catch {
      /* fall through */
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(header);
  return plain?.[1]?.trim() || fallback;
}

/** Fetches a file with the bearer token and hands it to the browser as a download. */
export async function downloadFile(path: string, query: Query, fallbackName: string): Promise<string> {
  const res = await rawRequest('GET', path, { query });
  const blob = await res.blob();
  const name = filenameFromDisposition(res.headers.get('Content-Disposition'), fallbackName);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}

/** Fetches an authenticated binary resource (e.g. a photo) as an object URL. */
export async function fetchObjectUrl(path: string): Promise<string> {
  const res = await rawRequest('GET', path);
  return URL.createObjectURL(await res.blob());
}
